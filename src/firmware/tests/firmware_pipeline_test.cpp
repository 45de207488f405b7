// Firmware packages end to end on the fast fixture: the test kernel tree's kmpt_leaf names
// kmpt/fw-1.bin and kmpt/fw-2.bin; a firmware tree holds them (one xz-compressed, one link to a
// file) and a file no driver names. kmpkit firmware split + kmpkit build make the packages; the
// chain KMP's Recommends match kernel-firmware-kmpt_leaf's Provides exactly; zypper installs the
// firmware with the driver and nothing else; kmpkit verify stops warning once it is there.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "package/tests/fixture_repo.hpp"

namespace kmpkit::test {
namespace {

namespace fs = std::filesystem;
using Strings = std::set<std::string>;

struct FirmwareRepo {
  std::string tree, split, repo;
  nlohmann::json report;
};

// ROOT/lib/firmware as an unpacked Debian package would have it.
std::string make_kmpt_firmware_tree(const std::string& root) {
  const std::string fw = root + "/lib/firmware";
  pl::write_text(fw + "/kmpt/fw-1.bin", "firmware one\n");
  pl::write_text(fw + "/kmpt/fw-2.bin", std::string(4096, 'x'));
  run("xz -f " + q(fw + "/kmpt/fw-2.bin"));
  fs::create_symlink("fw-1.bin", fw + "/kmpt/fw-current.bin");
  pl::write_text(fw + "/other/unused.bin", "nobody loads me\n");
  pl::write_text(root + "/usr/share/doc/firmware-kmpt/copyright",
                 "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\n"
                 "Copyright: 2025 kmpkit\nLicense: GPL-2+\n\nFiles: kmpt/*\nCopyright: 2025 kmpkit\nLicense: MIT\n");
  pl::write_text(root + "/usr/share/doc/firmware-kmpt/changelog.Debian", "firmware-kmpt (3.1-4) unstable; urgency=low\n");
  run("gzip -n -f " + q(root + "/usr/share/doc/firmware-kmpt/changelog.Debian"));
  return root;
}

const FirmwareRepo& firmware_repo() {
  static FirmwareRepo r = [] {
    FirmwareRepo x;
    std::string base = temp_dir("kmpkit-fw-pipeline");
    x.tree = make_kmpt_firmware_tree(base + "/tree");
    x.split = base + "/split";
    auto s = run(q(kmpkit_binary()) + " firmware split " + q(x.tree) + " --kernel-root " + q(fixture().root) + " " +
                 q(fixture().kver) + " --out " + q(x.split) + " --json");
    if (s.exit_code != 0) throw std::runtime_error("kmpkit firmware split failed: " + s.out + s.err);
    x.report = nlohmann::json::parse(s.out);
    auto b = run(q(kmpkit_binary()) + " build " + q(x.split));
    if (b.exit_code != 0) throw std::runtime_error("kmpkit build failed: " + b.out + b.err);
    x.repo = x.split + "/repo";
    return x;
  }();
  return r;
}

std::string rpm_named(const std::string& repo, const std::string& name) {
  for (const auto& f : pl::repo_rpms(repo))
    if (split_lines(run("rpm -qp --qf '%{NAME}\\n' " + q(f) + " 2>/dev/null").out) == std::vector<std::string>{name})
      return f;
  return {};
}

Strings query(const std::string& rpm, const std::string& what) {
  Strings out;
  for (auto& l : split_lines(run("rpm -qp " + what + " " + q(rpm) + " 2>/dev/null").out))
    if (!l.empty()) out.insert(l);
  return out;
}

std::vector<std::string> firmware_findings(const std::string& root) {
  auto v = run(q(kmpkit_binary()) + " verify --json --root " + q(root));
  std::vector<std::string> out;
  const auto report = nlohmann::json::parse(v.out);
  for (const auto& k : report["kernels"])
    for (const auto& f : k["findings"])
      if (f["check"] == "firmware") out.push_back(f["subject"].get<std::string>());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FirmwarePipeline, SplitReportsPackagesAndUnclaimedFiles) {
  const auto& r = firmware_repo();
  const auto& j = r.report;
  ASSERT_EQ(j["packages"].size(), 2u) << j.dump(1);
  EXPECT_EQ(j["packages"][0]["name"], "kernel-firmware-kmpt_leaf");
  EXPECT_EQ(j["packages"][0]["drivers"], nlohmann::json::array({"kmpt_leaf"}));
  EXPECT_EQ(j["packages"][0]["version"], "3.1");
  EXPECT_EQ(j["packages"][0]["release"], "4");
  EXPECT_EQ(j["packages"][0]["license"], "MIT");
  EXPECT_EQ(j["packages"][1]["name"], "kernel-firmware-unclaimed");
  EXPECT_EQ(j["unclaimed"]["count"], 1);
  EXPECT_EQ(j["unclaimed"]["files"], nlohmann::json::array({"/lib/firmware/other/unused.bin"}));
  EXPECT_EQ(j["requested"]["names"], 2);
  EXPECT_EQ(j["requested"]["provided"], 2);
  EXPECT_EQ(j["problems"].size(), 0u);
}

TEST(FirmwarePipeline, KmpRecommendsMatchTheFirmwareProvidesExactly) {
  const auto& r = firmware_repo();
  std::string kmp = rpm_named(fixture().repo, "kmpt-chain-kmp-amd64");
  std::string fw = rpm_named(r.repo, "kernel-firmware-kmpt_leaf");
  ASSERT_FALSE(kmp.empty());
  ASSERT_FALSE(fw.empty());
  Strings recommended;
  for (const auto& d : query(kmp, "--recommends"))
    if (d.starts_with("firmware(")) recommended.insert(d);
  EXPECT_EQ(recommended, (Strings{"firmware(kmpt/fw-1.bin)", "firmware(kmpt/fw-2.bin)"}));
  Strings provides = query(fw, "--provides");
  for (const auto& d : recommended) EXPECT_TRUE(provides.count(d)) << d;
  EXPECT_EQ(provides, (Strings{"firmware(kmpt/fw-1.bin)", "firmware(kmpt/fw-2.bin)", "firmware(kmpt/fw-current.bin)",
                               "kernel-firmware-kmpt_leaf = 3.1-4"}));
  // No generated requires beyond rpm's own and the scripts' shell; noarch; the compressed file and
  // the link as they are.
  for (const auto& d : query(fw, "--requires")) EXPECT_TRUE(d.starts_with("rpmlib(") || d == "/bin/sh") << d;
  EXPECT_EQ(query(fw, "--qf '%{ARCH}\\n'"), Strings{"noarch"});
  auto files = run("rpm -qp --qf '[%{FILENAMES} %{FILEMODES:perms} %{FILELINKTOS}\\n]' " + q(fw)).out;
  EXPECT_NE(files.find("/lib/firmware/kmpt/fw-2.bin.xz -rw-r--r-- \n"), std::string::npos) << files;
  EXPECT_NE(files.find("/lib/firmware/kmpt/fw-current.bin lrwxrwxrwx fw-1.bin\n"), std::string::npos) << files;
  EXPECT_NE(files.find("/usr/share/licenses/kernel-firmware-kmpt_leaf/copyright"), std::string::npos) << files;
}

TEST(FirmwarePipeline, ZypperInstallsTheDriversFirmwareOnly) {
  const auto& r = firmware_repo();
  std::string root = pl::new_root("kmpkit-fw-zypper");
  ASSERT_EQ(pl::zypper_add_repo(root, fixture().repo).exit_code, 0);
  ASSERT_EQ(pl::zypper_add_repo(root, r.repo, "firmware").exit_code, 0);
  // A KMP without firmware lines: no firmware package.
  auto dash = pl::zypper(root, "in kmpt_dash-kmp-amd64");
  ASSERT_EQ(dash.exit_code, 0) << dash.out << dash.err;
  for (const auto& n : pl::installed(root)) EXPECT_FALSE(n.starts_with("kernel-firmware")) << n;
  // The driver without its recommends: verify names both files it would load.
  auto bare = pl::zypper(root, "in --no-recommends kmpt-chain-kmp-amd64");
  ASSERT_EQ(bare.exit_code, 0) << bare.out << bare.err;
  EXPECT_EQ(firmware_findings(root), (std::vector<std::string>{"kmpt/fw-1.bin", "kmpt/fw-2.bin"}));
  // zypper inr installs what the installed KMPs recommend: exactly the driver's firmware package.
  auto inr = pl::zypper(root, "inr");
  ASSERT_EQ(inr.exit_code, 0) << inr.out << inr.err;
  auto names = pl::installed(root);
  EXPECT_TRUE(names.count("kernel-firmware-kmpt_leaf"));
  EXPECT_FALSE(names.count("kernel-firmware-unclaimed"));
  EXPECT_EQ(firmware_findings(root), std::vector<std::string>{});
  // Byte for byte, the link a link.
  EXPECT_EQ(pl::read_text(root + "/lib/firmware/kmpt/fw-1.bin"), "firmware one\n");
  EXPECT_EQ(pl::read_text(root + "/lib/firmware/kmpt/fw-2.bin.xz"), pl::read_text(r.tree + "/lib/firmware/kmpt/fw-2.bin.xz"));
  EXPECT_TRUE(fs::is_symlink(root + "/lib/firmware/kmpt/fw-current.bin"));
  EXPECT_FALSE(fs::exists(root + "/lib/firmware/other/unused.bin"));
  auto problems = pl::verify_problems(root);
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST(FirmwarePipeline, ZypperInstallsFirmwareWithTheDriverInOneGo) {
  const auto& r = firmware_repo();
  std::string root = pl::new_root("kmpkit-fw-zypper-one");
  ASSERT_EQ(pl::zypper_add_repo(root, fixture().repo).exit_code, 0);
  ASSERT_EQ(pl::zypper_add_repo(root, r.repo, "firmware").exit_code, 0);
  auto in = pl::zypper(root, "in kmpt-chain-kmp-amd64");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  auto names = pl::installed(root);
  EXPECT_TRUE(names.count("kernel-firmware-kmpt_leaf"));
  EXPECT_FALSE(names.count("kernel-firmware-unclaimed"));
  EXPECT_EQ(firmware_findings(root), std::vector<std::string>{});
}

TEST(FirmwarePipeline, CommandLineErrors) {
  std::string k = q(fixture().root), v = q(fixture().kver);
  EXPECT_EQ(run(q(kmpkit_binary()) + " firmware split /nonexistent -b " + k + " -k " + v + " --plan").exit_code, 3);
  EXPECT_EQ(run(q(kmpkit_binary()) + " firmware split " + q(firmware_repo().tree) + " -b " + k + " -k " + v).exit_code, 2);
  EXPECT_EQ(run(q(kmpkit_binary()) + " firmware split " + q(firmware_repo().tree) + " -b " + k + " --plan").exit_code, 2);
  EXPECT_EQ(run(q(kmpkit_binary()) + " firmware split " + q(firmware_repo().tree) + " -b " + k + " -k nosuch --plan").exit_code,
            3);
  auto plan = run(q(kmpkit_binary()) + " firmware split " + q(firmware_repo().tree) + " -b " + k + " -k " + v + " --plan -v");
  EXPECT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("Provides: firmware(kmpt/fw-2.bin)"), std::string::npos) << plan.out;
}

}  // namespace
}  // namespace kmpkit::test
