// Issue 17 on the real inputs: Debian's firmware-linux-free and firmware-ath9k-htc split into
// per-driver packages and built (kmpkit firmware split + kmpkit build), beside the real kernel's
// ath9k_htc KMP and the KMPs it needs (kmpkit package --only ath9k_htc --with-deps: not all 3800).
// zypper in a private root: a machine with an AR9271 USB wireless adapter (a device of ath9k_htc's
// table) gets the KMP and exactly its firmware package; a machine without one gets no firmware
// package; kmpkit verify stops warning about ath9k_htc's firmware once it is installed. Prints the
// sizes against the two Debian packages whole.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "package/tests/pipeline_support.hpp"

namespace kmpkit::test {
namespace {

namespace pl = pipeline;
namespace fs = std::filesystem;
using pl::q;
using Strings = std::set<std::string>;

// An AR9271 as the USB core shows it: usb:v0CF3p9271... (ath9k_htc's alias usb:v0CF3p9271d*dc*...).
constexpr const char* kAr9271 = "usb:v0CF3p9271d0108dcFFdscFFdpFFicFFiscFFipFFin00";

struct Repos {
  std::string kmps;      // kernel, host base, ath9k_htc and its dependencies
  std::string firmware;  // the per-driver firmware packages
  nlohmann::json report;
};

const Repos& repos() {
  static Repos r = [] {
    Repos x;
    const std::string kver = kernel_release();
    std::string dir = pl::cached_dir(
        pl::cache_base() + "/firmware-ath9k-kmps-" + kver + "-" + pl::binary_key(),
        [&](const std::string& tmp) {
          auto t0 = std::chrono::steady_clock::now();
          auto res = run(q(kmpkit_binary()) + " package --policy " + q(source_dir() + "/policies/default.toml") + " -b " +
                         q(kernel_root()) + " " + q(kver) + " --out " + q(tmp + "/split") +
                         " --only ath9k_htc --only 'kernel-*' --with-deps --host-base -j2");
          if (res.exit_code != 0) throw std::runtime_error("kmpkit package failed: " + res.out + res.err);
          double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          pl::write_text(tmp + "/package.out", res.out + "seconds " + std::to_string(secs) + "\n");
        },
        "firmware-ath9k-kmps-" + kver + "-");
    std::cout << pl::read_text(dir + "/package.out");
    x.kmps = dir + "/split/repo";
    std::string split = temp_dir("kmpkit-fw-real") + "/split";
    std::string cmd = q(kmpkit_binary()) + " firmware split";
    for (const auto& root : debian_firmware_roots()) cmd += " " + q(root);
    auto s = run(cmd + " --kernel-root " + q(kernel_root()) + " " + q(kver) + " --out " + q(split) + " --json");
    if (s.exit_code != 0) throw std::runtime_error("kmpkit firmware split failed: " + s.out + s.err);
    x.report = nlohmann::json::parse(s.out);
    auto b = run(q(kmpkit_binary()) + " build " + q(split));
    if (b.exit_code != 0) throw std::runtime_error("kmpkit build failed: " + b.out + b.err);
    std::cout << b.out;
    x.firmware = split + "/repo";
    return x;
  }();
  return r;
}

std::string rpm_field(const std::string& rpm, const std::string& qf) {
  auto lines = split_lines(run("rpm -qp --qf " + q(qf) + " " + q(rpm) + " 2>/dev/null").out);
  return lines.empty() ? "" : lines[0];
}

// name → rpm file of a repository.
std::map<std::string, std::string> rpms_by_name(const std::string& repo) {
  std::map<std::string, std::string> out;
  for (const auto& f : pl::repo_rpms(repo)) out[rpm_field(f, "%{NAME}\\n")] = f;
  return out;
}

Strings deps(const std::string& rpm, const std::string& kind, const std::string& prefix) {
  Strings out;
  for (auto& l : split_lines(run("rpm -qp --" + kind + " " + q(rpm) + " 2>/dev/null").out))
    if (l.starts_with(prefix)) out.insert(l);
  return out;
}

// A root with the host base (/bin/sh, kmpkit, depmod for the scriptlets), both repositories or
// only the KMPs', and the given devices (none: an empty list).
std::string make_root(const std::string& hint, const std::vector<std::string>& devices, bool with_firmware) {
  std::string root = pl::new_root(hint);
  pl::write_text(root + "/.modalias", devices.empty() ? "" : devices[0] + "\n");
  auto hb = run(pl::rpm_in(root) + "-i " + q(repos().kmps) + "/x86_64/kmpkit-host-base-*.rpm 2>&1");
  EXPECT_EQ(hb.exit_code, 0) << hb.out;
  EXPECT_EQ(pl::zypper_add_repo(root, repos().kmps).exit_code, 0);
  if (with_firmware) EXPECT_EQ(pl::zypper_add_repo(root, repos().firmware, "firmware").exit_code, 0);
  return root;
}

CommandResult zypper(const std::string& root, const std::string& args) {
  return pl::zypper(root, args, root + "/.modalias");
}

// verify's firmware findings: "module: name".
Strings firmware_findings(const std::string& root) {
  auto v = run(q(kmpkit_binary()) + " verify --json --root " + q(root));
  const auto report = nlohmann::json::parse(v.out);
  Strings out;
  for (const auto& k : report["kernels"])
    for (const auto& f : k["findings"])
      if (f["check"] == "firmware") out.insert(f["module"].get<std::string>() + ": " + f["subject"].get<std::string>());
  return out;
}

Strings installed_firmware_packages(const std::string& root) {
  Strings out;
  for (const auto& n : pl::installed(root))
    if (n.starts_with("kernel-firmware")) out.insert(n);
  return out;
}

bool has_ath9k_htc_kmp(const std::string& root) {
  for (const auto& n : pl::installed(root))
    if (n.starts_with("ath9k_htc-kmp-")) return true;
  return false;
}

TEST(FirmwareRealInstall, KmpRecommendsMatchTheProvidesExactly) {
  auto kmps = rpms_by_name(repos().kmps);
  auto fw = rpms_by_name(repos().firmware);
  std::map<std::string, std::string> provider;  // firmware(...) → firmware package
  for (const auto& [name, rpm] : fw)
    for (const auto& p : deps(rpm, "provides", "firmware(")) {
      EXPECT_FALSE(provider.count(p)) << p << " provided twice";
      provider[p] = name;
    }
  std::set<std::string> absent;
  for (const auto& n : repos().report["requested_absent"]) absent.insert("firmware(" + n.get<std::string>() + ")");
  std::string ath9k;
  for (const auto& [name, rpm] : kmps) {
    if (name.starts_with("ath9k_htc-kmp-")) ath9k = rpm;
    // Each firmware() a KMP recommends is provided by one package, or names a file neither tree has.
    for (const auto& r : deps(rpm, "recommends", "firmware("))
      EXPECT_TRUE(provider.count(r) || absent.count(r)) << name << ": " << r;
  }
  ASSERT_FALSE(ath9k.empty());
  Strings recommended = deps(ath9k, "recommends", "firmware(");
  EXPECT_EQ(recommended, (Strings{"firmware(ath9k_htc/htc_7010-1.4.0.fw)", "firmware(ath9k_htc/htc_9271-1.4.0.fw)"}));
  for (const auto& r : recommended) EXPECT_EQ(provider[r], "kernel-firmware-ath9k_htc") << r;
  EXPECT_EQ(deps(fw["kernel-firmware-ath9k_htc"], "provides", "firmware("), recommended);
}

TEST(FirmwareRealInstall, TheAdapterBringsItsFirmwareAndNothingElse) {
  std::string root = make_root("kmpkit-fw-ar9271", {kAr9271}, true);
  auto in = zypper(root, "in kernel-amd64");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  EXPECT_TRUE(has_ath9k_htc_kmp(root)) << in.out;
  EXPECT_EQ(installed_firmware_packages(root), Strings{"kernel-firmware-ath9k_htc"});
  // Byte for byte what Debian ships.
  const std::string deb = debian_firmware_roots().at(1);
  for (const char* f : {"ath9k_htc/htc_9271-1.4.0.fw", "ath9k_htc/htc_7010-1.4.0.fw"}) {
    EXPECT_EQ(pl::sha256_of(root + "/lib/firmware/" + f), pl::sha256_of(deb + "/lib/firmware/" + f)) << f;
    EXPECT_EQ(fs::last_write_time(root + "/lib/firmware/" + f), fs::last_write_time(deb + "/lib/firmware/" + f)) << f;
  }
  // verify: nothing missing for ath9k_htc (cfg80211's regulatory.db is wireless-regdb's, not here).
  for (const auto& f : firmware_findings(root)) EXPECT_FALSE(f.starts_with("ath9k_htc:")) << f;
  auto problems = pl::verify_problems(root, true);
  EXPECT_TRUE(problems.empty()) << problems.front();
  auto size = run(pl::rpm_in(root) + "-q --qf '%{SIZE}' kernel-firmware-ath9k_htc").out;
  std::cout << "AR9271 machine: installed " << installed_firmware_packages(root).size()
            << " firmware package (kernel-firmware-ath9k_htc, " << size << " bytes installed)\n";
}

TEST(FirmwareRealInstall, NoAdapterNoFirmware) {
  std::string root = make_root("kmpkit-fw-none", {}, true);
  auto in = zypper(root, "in kernel-amd64");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  EXPECT_FALSE(has_ath9k_htc_kmp(root));
  EXPECT_EQ(installed_firmware_packages(root), Strings{});
}

TEST(FirmwareRealInstall, VerifyStopsWarningOnceTheFirmwareIsInstalled) {
  // The adapter, but only the KMPs' repository: the driver comes without its firmware.
  std::string root = make_root("kmpkit-fw-later", {kAr9271}, false);
  auto in = zypper(root, "in kernel-amd64");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  ASSERT_TRUE(has_ath9k_htc_kmp(root));
  Strings before = firmware_findings(root);
  EXPECT_TRUE(before.count("ath9k_htc: ath9k_htc/htc_9271-1.4.0.fw")) << before.size();
  EXPECT_TRUE(before.count("ath9k_htc: ath9k_htc/htc_7010-1.4.0.fw"));
  // The firmware repository appears; zypper inr installs what the installed KMPs recommend.
  ASSERT_EQ(pl::zypper_add_repo(root, repos().firmware, "firmware").exit_code, 0);
  auto inr = zypper(root, "inr");
  ASSERT_EQ(inr.exit_code, 0) << inr.out << inr.err;
  EXPECT_EQ(installed_firmware_packages(root), Strings{"kernel-firmware-ath9k_htc"});
  Strings after = firmware_findings(root);
  for (const auto& f : after) EXPECT_FALSE(f.starts_with("ath9k_htc:")) << f;
  EXPECT_EQ(before.size() - after.size(), 2u);
}

TEST(FirmwareRealInstall, SizesAgainstTheDebianPackagesWhole) {
  auto fw = rpms_by_name(repos().firmware);
  uint64_t rpm_total = 0, installed_total = 0;
  std::cout << "package | files | firmware() provides | rpm bytes | installed bytes\n";
  for (const auto& [name, rpm] : fw) {
    uint64_t rpm_bytes = fs::file_size(rpm);
    uint64_t installed = std::stoull(rpm_field(rpm, "%{SIZE}\\n"));
    size_t files = 0;  // files and links, not directories
    for (auto& l : split_lines(run("rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\\n]' " + q(rpm) + " 2>/dev/null").out))
      files += l.find(" /lib/firmware/") != std::string::npos && !l.starts_with("d");
    size_t provides = deps(rpm, "provides", "firmware(").size();
    std::cout << name << " | " << files << " | " << provides << " | " << rpm_bytes << " | " << installed << "\n";
    rpm_total += rpm_bytes;
    installed_total += installed;
    EXPECT_GT(provides, 0u) << name;
  }
  std::cout << "all " << fw.size() << " packages | | | " << rpm_total << " | " << installed_total << "\n";
  uint64_t deb_total = 0, deb_installed = 0;
  for (const char* p : {"firmware-linux-free", "firmware-ath9k-htc"}) {
    auto deb = split_lines(run("ls " + q(pl::cache_base() + "/debs") + "/" + p + "_*.deb | sort -V | tail -1").out);
    ASSERT_FALSE(deb.empty());
    uint64_t bytes = fs::file_size(deb[0]);
    uint64_t kib = std::stoull(split_lines(run("dpkg-deb -f " + q(deb[0]) + " Installed-Size").out).at(0));
    std::cout << p << " (deb) | | | " << bytes << " | " << kib * 1024 << "\n";
    deb_total += bytes;
    deb_installed += kib * 1024;
  }
  std::cout << "both Debian packages whole | | | " << deb_total << " | " << deb_installed << "\n";
  EXPECT_LT(std::stoull(rpm_field(fw.at("kernel-firmware-ath9k_htc"), "%{SIZE}\\n")), deb_installed);
}

}  // namespace
}  // namespace kmpkit::test
