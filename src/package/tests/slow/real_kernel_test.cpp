// The whole real Debian kernel, packaged with the default policy: the repository (built once per
// kmpkit binary and kernel, shared by these tests under a lock, kept in the kmpkit cache), every
// package installed with plain rpm, single KMPs, hardware profiles and patterns with zypper.
#include <gtest/gtest.h>

#include <fnmatch.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "real_repo.hpp"
#include "coverage.hpp"
#include "hardware/modalias.hpp"
#include "module/inventory.hpp"
#include "installed_check.hpp"

namespace kmpkit::test {
namespace {

namespace pl = pipeline;
namespace fs = std::filesystem;
using pl::q;

const KernelInventory& inventory() {
  static KernelInventory inv = read_inventory(kernel_root(), kernel_release());
  return inv;
}


std::string mb(uint64_t b) { return std::to_string(b / 1000000) + " MB"; }

uint64_t installed_size(const std::string& root) {
  auto r = run(pl::rpm_in(root) + "-qa --qf '%{SIZE}\\n'");
  uint64_t total = 0;
  for (auto& l : split_lines(r.out))
    if (!l.empty()) total += std::stoull(l);
  return total;
}

// Every installed module resolves with modprobe in the root; returns the failures.
std::vector<std::string> modprobe_failures(const std::string& root, const std::string& kver) {
  std::string script = "cd " + q(root + "/lib/modules/" + kver) +
                       " && find . -name '*.ko*' | sed 's|.*/||; s|\\.ko.*||' | sort -u | while read m; do "
                       "modprobe -d " + q(root) + " -S " + q(kver) +
                       " --show-depends \"$m\" >/dev/null 2>&1 || echo \"$m\"; done";
  auto r = run(script);
  std::vector<std::string> out;
  for (auto& l : split_lines(r.out))
    if (!l.empty()) out.push_back(l);
  return out;
}

TEST(PackagedKernel, EveryModuleIsPackagedOnceAndByteIdentical) {
  const auto& r = real_repo();
  auto rpms = pl::repo_rpms(r.repo);
  EXPECT_EQ(rpms.size(), r.manifest["packages"].get<size_t>());
  // One rpm call for all file lists: path → number of packages.
  std::string list = temp_dir("kmpkit-rpms") + "/rpms";
  std::string names;
  for (auto& f : rpms) names += f + "\n";
  pl::write_text(list, names);
  auto files = run("xargs -d '\\n' rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\\n]' < " + q(list) + " 2>/dev/null");
  std::map<std::string, int> owners;
  for (auto& l : split_lines(files.out))
    if (!l.empty() && l[0] != 'd') owners[l.substr(l.find(' ') + 1)]++;
  size_t modules = 0;
  for (const auto& m : inventory().modules) {
    // The default policy packages modules compressed (NAME.ko.zst).
    EXPECT_EQ(owners[r.module_dir + "/" + m.path + ".zst"], 1) << m.path;
    ++modules;
  }
  for (const auto& [path, n] : owners) EXPECT_EQ(n, 1) << path;
  EXPECT_EQ(modules, inventory().modules.size());
  std::cout << rpms.size() << " rpms, " << owners.size() << " files, " << modules << " modules\n";
}

TEST(PackagedKernel, PlainRpmInstallsEverything) {
  const auto& r = real_repo();
  std::string root = pl::new_root("kmpkit-real-all");
  std::string list = root + "/.rpms";
  std::string names;
  for (auto& f : pl::repo_rpms(r.repo)) names += f + "\n";
  pl::write_text(list, names);
  auto t0 = std::chrono::steady_clock::now();
  // One rpm transaction for all packages: the list file is an rpm manifest.
  auto inst = run(pl::rpm_in(root) + "-i " + q(list) + " 2>&1");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(inst.exit_code, 0) << inst.out.substr(0, 4000);
  EXPECT_EQ(inst.out.find("Failed dependencies"), std::string::npos);
  EXPECT_EQ(inst.out.find("scriptlet failed"), std::string::npos) << inst.out.substr(0, 4000);
  std::cout << "rpm -i of " << split_lines(names).size() << " packages: " << secs << " s, installed "
            << mb(installed_size(root)) << "\n";
  // rpm -Va: every file as packaged (--nodeps: rpm's own dependency re-check would take ~10 minutes,
  // 3 ms for each of the 190,000 ksym requires); every dependency satisfied, checked by libsolv.
  t0 = std::chrono::steady_clock::now();
  auto problems = pl::verify_problems(root, true);
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
  auto deps = check_installed(root);
  EXPECT_EQ(deps.error, "");
  EXPECT_EQ(deps.packages, split_lines(names).size());
  EXPECT_TRUE(deps.unsatisfied.empty()) << deps.unsatisfied.front().package << " needs "
                                        << deps.unsatisfied.front().dependency;
  std::cout << "rpm -Va --nodeps + libsolv check of " << deps.requires_checked << " requires: "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
  // The module database made by the scripts (kmpkit depmod: its cache is there) equals Debian's
  // depmod of the installed tree.
  EXPECT_TRUE(fs::exists(root + r.module_dir + "/modules.kmpkit-cache")) << "the scripts did not run kmpkit depmod";
  std::string ref = temp_dir("kmpkit-real-all-ref");
  ASSERT_EQ(pl::reference_depmod(root, r.kver, ref).exit_code, 0);
  auto diff = pl::database_differences(root + r.module_dir, ref + r.module_dir);
  EXPECT_TRUE(diff.empty()) << "differs from Debian's depmod: " << diff.front();
  // Module contents identical to the original tree (the packages hold them zstd-compressed).
  EXPECT_TRUE(module_content_sums(root + r.module_dir) == module_content_sums(kernel_root() + r.module_dir))
      << "module files differ";
  auto failures = modprobe_failures(root, r.kver);
  EXPECT_TRUE(failures.empty()) << failures.size() << " modules fail modprobe --show-depends, e.g. " << failures.front();
}

TEST(PackagedKernel, Ext4WithZypperPullsExactlyItsModulesDepLine) {
  const auto& r = real_repo();
  std::string root = pl::new_root("kmpkit-real-ext4");
  ASSERT_EQ(pl::zypper_add_repo(root, r.repo).exit_code, 0);
  // Without the kernel's recommends (what userspace loads at boot): only ext4's own line counts here.
  auto k = pl::zypper(root, "in --no-recommends kernel-amd64");
  ASSERT_EQ(k.exit_code, 0) << k.out << k.err;
  EXPECT_TRUE(pl::installed_module_paths(root, r.kver).empty());
  EXPECT_TRUE(fs::exists(root + r.module_dir + "/modules.dep")) << "the trigger made the (empty) database";
  auto e = pl::zypper(root, "in ext4-kmp-amd64");  // by the base name every build provides
  ASSERT_EQ(e.exit_code, 0) << e.out << e.err;
  auto want_dep = pl::read_modules_dep(r.reference + "/modules.dep");
  std::string ext4 = "kernel/fs/ext4/ext4.ko";
  ASSERT_TRUE(want_dep.count(ext4));
  std::set<std::string> want{ext4};
  std::istringstream words(want_dep[ext4]);
  for (std::string w; words >> w;) want.insert(w);
  // Its dependency line, and what its softdep recommends (crc32c: crc32c_intel or crc32c_generic).
  auto got = tree_paths(pl::installed_module_paths(root, r.kver));
  for (const auto& w : want) EXPECT_TRUE(got.count(w)) << w;
  for (const auto& g : got)
    EXPECT_TRUE(want.count(g) || g.find("crc32c") != std::string::npos) << g << " was not asked for";
  auto dep = pl::read_modules_dep(root + r.module_dir + "/modules.dep");
  std::string dep_line;
  for (std::istringstream ws(dep[ext4 + ".zst"]); ws;) {
    std::string w;
    if (ws >> w) dep_line += (dep_line.empty() ? "" : " ") + tree_path(w);
  }
  EXPECT_EQ(dep_line, want_dep[ext4]);
  std::cout << "ext4 pulled: " << want_dep[ext4] << "\n";
  // With recommends (softdeps become Recommends), nothing outside the tree's dependency line is required.
  auto problems = pl::verify_problems(root);
  EXPECT_TRUE(problems.empty()) << problems.front();
}

struct HardwareInstall {
  std::string root;
  std::set<std::string> packages;
  std::set<std::string> modules;  // kmod names
  uint64_t bytes = 0;
  double seconds = 0;
};

HardwareInstall install_for_profile(const std::string& profile) {
  const auto& r = real_repo();
  HardwareInstall h;
  h.root = pl::new_root("kmpkit-real-" + profile);
  std::string sys = h.root + "/.sysfs";
  hardware::write_fake_sysfs(hardware::read_modalias_tsv(hw_profiles_dir() + "/" + profile + "/modalias.tsv"), sys);
  EXPECT_EQ(pl::zypper_add_repo(h.root, r.repo).exit_code, 0);
  auto t0 = std::chrono::steady_clock::now();
  auto in = pl::zypper(h.root, "in kernel-amd64", sys);
  h.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(in.exit_code, 0) << in.out << in.err;
  h.packages = pl::installed(h.root);
  for (auto& p : pl::installed_module_paths(h.root, r.kver)) {
    std::string base = fs::path(p).filename().string();
    std::string name = base.substr(0, base.find('.'));
    std::replace(name.begin(), name.end(), '-', '_');
    h.modules.insert(name);
  }
  h.bytes = installed_size(h.root);
  return h;
}

TEST(PackagedKernel, Q35VirtioHardwareInstallCoversTheLoadedModules) {
  std::string profiles = hw_profiles_dir();
  if (profiles.empty()) GTEST_SKIP() << "no hardware profiles";
  const auto& r = real_repo();
  auto h = install_for_profile("q35-virtio");
  std::cout << "q35-virtio: " << h.packages.size() << " packages, " << h.modules.size() << " modules, "
            << mb(h.bytes) << " installed, zypper " << h.seconds << " s\n";
  CoverageInput in;
  std::ifstream loaded(profiles + "/q35-virtio/loaded-modules.txt");
  for (std::string l; std::getline(loaded, l);)
    if (!l.empty()) in.loaded.push_back(l);
  in.installed = h.modules;
  in.devices = hardware::read_modaliases(h.root + "/.sysfs");
  in.harness = {"9p", "9pnet", "9pnet_virtio", "netfs", "fscache"};  // hw-profiles/README.md
  in.inventory = &inventory();
  size_t covered = 0;
  for (const auto& c : classify_coverage(in)) {
    if (!is_miss(c.coverage)) {
      ++covered;
      continue;
    }
    std::cout << "  not installed: " << c.module << " — " << coverage_name(c.coverage) << " (" << c.detail
              << ")\n";
    EXPECT_NE(c.coverage, Coverage::Unexplained) << c.module << ": " << c.detail;
  }
  std::cout << "  covered " << covered << " of " << in.loaded.size() << " loaded modules\n";
  EXPECT_GE(covered + 3, in.loaded.size());  // only the harness's 9p, netfs, fscache may be missing
  EXPECT_TRUE(has_kmp(h.packages, "virtio_blk-kmp-amd64"));
  EXPECT_TRUE(has_kmp(h.packages, "virtio_net-kmp-amd64"));
  // No hardware selects a file system (filesystem() supplements need zypper inr: docs/boot.md).
  EXPECT_FALSE(has_kmp(h.packages, "ext4-kmp-amd64"));
  auto failures = modprobe_failures(h.root, r.kver);
  EXPECT_TRUE(failures.empty()) << failures.front();
  // The trigger ran after the last package: the database is what depmod makes of the installed tree.
  EXPECT_TRUE(fs::exists(h.root + r.module_dir + "/modules.kmpkit-cache"));
  std::string ref = temp_dir("kmpkit-q35-ref");
  ASSERT_EQ(pl::reference_depmod(h.root, r.kver, ref).exit_code, 0);
  auto diff = pl::database_differences(h.root + r.module_dir, ref + r.module_dir);
  EXPECT_TRUE(diff.empty()) << diff.front();
  auto problems = pl::verify_problems(h.root);
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST(PackagedKernel, CloudMicrovmHardwareInstall) {
  std::string profiles = hw_profiles_dir();
  if (profiles.empty()) GTEST_SKIP() << "no hardware profiles";
  auto h = install_for_profile("cloud-microvm");
  std::cout << "cloud-microvm: " << h.packages.size() << " packages, " << h.modules.size() << " modules, "
            << mb(h.bytes) << " installed, zypper " << h.seconds << " s\n";
  EXPECT_TRUE(h.packages.count("kernel-amd64"));
  EXPECT_GT(h.modules.size(), 0u);
  EXPECT_LT(h.bytes, 100u * 1000 * 1000);
}

// Issue 10's flow in a zypper root: installed for q35-virtio, the machine's disk moves to
// cloud-microvm's hardware. The kernel package's offline index names the packages its devices lack,
// modprobe's hint rules follow what is installed, every installed KMP says why it is there, and
// `kmpkit drivers --install` installs what is missing from the root's configured repository.
TEST(PackagedKernel, MissingDriversOfOtherHardwareAreNamedAndInstalled) {
  std::string profiles = hw_profiles_dir();
  if (profiles.empty()) GTEST_SKIP() << "no hardware profiles";
  const auto& r = real_repo();
  auto h = install_for_profile("q35-virtio");
  ASSERT_TRUE(fs::exists(h.root + "/usr/lib/kmpkit/drivers/" + r.kver + ".index.gz"));
  const std::string rules_file = h.root + "/etc/modprobe.d/90-kmpkit-missing-drivers.conf";
  auto rules = pl::read_text(rules_file);
  ASSERT_FALSE(rules.empty()) << "the refresh of the kernel package writes the modprobe hints";
  std::vector<std::string> patterns;  // "alias GLOB kmpkit_hint"
  for (const auto& l : split_lines(rules))
    if (l.starts_with("alias ")) patterns.push_back(l.substr(6, l.find(' ', 6) - 6));
  auto hinted = [&](const std::string& name) {
    return std::any_of(patterns.begin(), patterns.end(),
                       [&](const std::string& p) { return ::fnmatch(p.c_str(), name.c_str(), 0) == 0; });
  };
  for (const auto& m : h.modules) EXPECT_FALSE(hinted(m)) << m;
  EXPECT_TRUE(hinted("e1000e"));

  const std::string kmpkit = q(kmpkit_binary()) + " drivers --root " + q(h.root);
  // Every installed KMP of the hardware install has a reason; the devices it was installed for are named.
  auto own = run(kmpkit + " --hardware " + q(profiles + "/q35-virtio/modalias.tsv") + " --json");
  ASSERT_EQ(own.exit_code, 0) << own.err;
  auto oj = nlohmann::json::parse(own.out);
  EXPECT_TRUE(oj["missing_packages"].empty()) << oj["missing_packages"].dump();
  size_t by_device = 0;
  for (const auto& k : oj["kmps"]) {
    ASSERT_FALSE(k["reasons"].empty());
    EXPECT_NE(k["reasons"][0]["kind"], "none") << k.dump();
    for (const auto& why : k["reasons"]) by_device += why["kind"] == "device";
  }
  EXPECT_GT(oj["kmps"].size(), 10u);
  EXPECT_GT(by_device, 5u);
  std::cout << "q35-virtio root: " << oj["kmps"].size() << " KMPs explained, " << rules.size()
            << " bytes of modprobe hints\n";

  // Other hardware: the missing packages are named offline, then installed from the repository.
  const std::string other = profiles + "/cloud-microvm/modalias.tsv";
  auto before = run(kmpkit + " --hardware " + q(other) + " --json");
  ASSERT_EQ(before.exit_code, 0) << before.err;
  auto bj = nlohmann::json::parse(before.out);
  ASSERT_FALSE(bj["missing_packages"].empty());
  std::cout << "cloud-microvm devices lack: " << bj["missing_packages"].dump() << "\n";
  for (const auto& d : bj["devices"])
    EXPECT_NE(d["state"], "in-index") << "the root's configured repository has every KMP: " << d.dump();
  auto inst = run(kmpkit + " --hardware " + q(other) + " --install");
  ASSERT_EQ(inst.exit_code, 0) << inst.out << inst.err;
  auto after = nlohmann::json::parse(run(kmpkit + " --hardware " + q(other) + " --json").out);
  EXPECT_TRUE(after["missing_packages"].empty()) << after["missing_packages"].dump();
  for (const auto& d : after["devices"])
    EXPECT_TRUE(d["state"] == "installed" || d["state"] == "built-in" || d["state"] == "no-driver") << d.dump();
  for (const auto& k : after["kmps"])
    for (const auto& p : bj["missing_packages"])
      if (k["package"] == p) EXPECT_EQ(k["reasons"].back()["kind"], "user") << k.dump();
  auto rules_after = pl::read_text(rules_file);
  for (const auto& p : bj["missing_packages"])
    for (const auto& k : after["kmps"])
      if (k["package"] == p)
        for (const auto& m : k["modules"]) {
          std::string name = m.get<std::string>();
          name = name.substr(0, name.find('.'));
          std::replace(name.begin(), name.end(), '-', '_');
          EXPECT_EQ(rules_after.find("alias " + name + " "), std::string::npos) << name << " is installed now";
        }
  auto problems = pl::verify_problems(h.root);
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST(PackagedKernel, PatternsWithZypper) {
  const auto& r = real_repo();
  std::string root = pl::new_root("kmpkit-real-pattern");
  ASSERT_EQ(pl::zypper_add_repo(root, r.repo).exit_code, 0);
  auto list = pl::zypper(root, "patterns");
  ASSERT_EQ(list.exit_code, 0) << list.out << list.err;
  for (const char* p : {"kernel-firewall", "kernel-network-drivers-all", "kernel-storage-drivers-all",
                        "kernel-usb-drivers-all", "kernel-base-boot"})
    EXPECT_NE(list.out.find(p), std::string::npos) << p << "\n" << list.out;
  auto in = pl::zypper(root, "in -t pattern kernel-firewall");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  auto got = pl::installed(root);
  EXPECT_TRUE(got.count("patterns-kernel-firewall"));
  EXPECT_TRUE(has_kmp(got, "netfilter-kmp-amd64"));
  auto paths = tree_paths(pl::installed_module_paths(root, r.kver));
  EXPECT_TRUE(paths.count("kernel/net/netfilter/nf_tables.ko"));
  EXPECT_TRUE(paths.count("kernel/net/ipv4/netfilter/iptable_filter.ko"));
  std::cout << "kernel-firewall: " << got.size() << " packages, " << paths.size() << " modules\n";
  auto failures = modprobe_failures(root, r.kver);
  EXPECT_TRUE(failures.empty()) << failures.front();
  auto nft = run("modprobe -d " + q(root) + " -S " + q(r.kver) + " --show-depends nft_ct");
  EXPECT_EQ(nft.exit_code, 0) << nft.err;
  EXPECT_NE(nft.out.find("nf_conntrack.ko.zst"), std::string::npos) << nft.out;
  auto problems = pl::verify_problems(root);
  EXPECT_TRUE(problems.empty()) << problems.front();
}

}  // namespace
}  // namespace kmpkit::test
