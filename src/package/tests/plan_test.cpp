// The package plan: sets, claims, naming, descriptions, dependency modes, patterns and the checks
// of a policy against a tree.
#include <gtest/gtest.h>

#include <algorithm>

#include "policy_text.hpp"
#include "module/inventory.hpp"
#include "package/plan.hpp"
#include "policy/policy.hpp"
#include "test_env.hpp"

namespace kmpkit::package {
namespace {

ModuleRecord mod(const std::string& path, std::vector<std::string> exports = {}, std::vector<std::string> imports = {},
                 const std::string& description = "", const std::string& license = "GPL") {
  ModuleRecord m;
  m.path = path;
  m.name = module_name_from_path(path);
  m.size = 1000;
  m.modinfo.push_back({"vermagic", "6.1.0-56-amd64 SMP preempt mod_unload modversions "});
  if (!description.empty()) m.modinfo.push_back({"description", description});
  m.modinfo.push_back({"license", license});
  m.modinfo.push_back({"author", "A. Hacker"});
  for (auto& e : exports) m.exports.push_back({e, 0x1234});
  for (auto& i : imports) {
    bool weak = i[0] == '~';
    std::string name = weak ? i.substr(1) : i;
    m.dependency_symbols.push_back({name, 0x1234, weak});
    if (!weak) m.versions.push_back({name, 0x1234, false});
  }
  return m;
}

KernelInventory inventory() {
  KernelInventory inv;
  inv.tree.kver = "6.1.0-56-amd64";
  inv.modules = {
      mod("kernel/net/netfilter/nf_tables.ko", {"nft_register"}, {"printk"}, "nf_tables"),
      mod("kernel/net/netfilter/nft_ct.ko", {}, {"nft_register"}),
      mod("kernel/net/ipv4/netfilter/nf_reject_ipv4.ko", {}, {"nft_register"}),
      mod("kernel/fs/ext4/ext4.ko", {}, {"jbd2_start", "mb_cache", "~optional_fn"}, "Fourth Extended Filesystem"),
      mod("kernel/fs/jbd2/jbd2.ko", {"jbd2_start"}, {}, "", "GPL v2"),
      mod("kernel/fs/mbcache.ko", {"mb_cache", "optional_fn"}),
      mod("kernel/drivers/net/e1000e/e1000e.ko.xz", {}, {}, "Intel(R) PRO/1000 Network Driver 100%"),
      mod("kernel/drivers/usb/host/xhci-pci.ko", {}, {"jbd2_start"}),
  };
  return inv;
}

policy::Policy parse(const std::string& text) { return kmpkit::test::parse_policy_text(text); }

std::vector<std::string> names(const std::vector<PlannedPackage>& v) {
  std::vector<std::string> out;
  for (auto& p : v) out.push_back(p.name);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += x + "\n";
  return s;
}

TEST(Plan, OneKmpPerModuleByDefault) {
  auto inv = inventory();
  auto r = make_plan(parse(""), inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  const auto& plan = r.plan;
  EXPECT_EQ(plan.flavor, "amd64");
  EXPECT_EQ(plan.version, "6.1.0");
  EXPECT_EQ(plan.release, "56");
  EXPECT_EQ(plan.kernel.name, "kernel-amd64");
  EXPECT_TRUE(plan.kernel.modules.empty());
  auto n = names(plan.kmps);
  EXPECT_EQ(n.size(), inv.modules.size());
  EXPECT_TRUE(std::is_sorted(n.begin(), n.end()));
  EXPECT_TRUE(has(n, "ext4-kmp-amd64"));
  EXPECT_TRUE(has(n, "xhci_pci-kmp-amd64"));  // module name, '-' → '_'
  for (size_t i = 0; i < inv.modules.size(); ++i) EXPECT_GE(plan.module_package[i], 0);
  const auto* ext4 = plan.find("ext4-kmp-amd64");
  ASSERT_TRUE(ext4);
  EXPECT_EQ(ext4->summary, "Fourth Extended Filesystem (ext4 kernel module)");
  EXPECT_NE(ext4->description.find("kernel/fs/ext4/ext4.ko"), std::string::npos);
  EXPECT_NE(ext4->description.find("Author: A. Hacker"), std::string::npos);
  EXPECT_EQ(ext4->license, "GPL");
  EXPECT_TRUE(ext4->requires_.empty());  // ksym mode: dependencies come from kmpkit depgen
  const auto* jbd2 = plan.find("jbd2-kmp-amd64");
  ASSERT_TRUE(jbd2);
  EXPECT_EQ(jbd2->summary, "Kernel module jbd2");
  EXPECT_EQ(jbd2->license, "GPL v2");
}

TEST(Plan, FlavorAndVersionOverrides) {
  auto inv = inventory();
  auto r = make_plan(parse("[kernel]\nflavor = \"default\"\n[build]\nrelease = \"7\"\n"), inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  EXPECT_EQ(r.plan.kernel.name, "kernel-default");
  EXPECT_EQ(r.plan.release, "7");
  EXPECT_TRUE(r.plan.find("ext4-kmp-default"));
  auto o = make_plan(parse(""), inv, {"rt"});
  EXPECT_EQ(o.plan.kernel.name, "kernel-rt");
}

TEST(Plan, SetsAndKeep) {
  auto inv = inventory();
  auto r = make_plan(parse(R"(
[kernel]
keep = { modules = ["jbd2"] }
[[set]]
name = "netfilter-kmp-{flavor}"
summary = "Netfilter"
paths = ["kernel/net/netfilter/**", "kernel/net/ipv4/netfilter/**"]
)"),
                     inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  const auto& plan = r.plan;
  ASSERT_EQ(plan.kernel.modules.size(), 1u);
  EXPECT_EQ(inv.modules[plan.kernel.modules[0]].name, "jbd2");
  const auto* nf = plan.find("netfilter-kmp-amd64");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->modules.size(), 3u);
  EXPECT_EQ(nf->summary, "Netfilter");
  EXPECT_NE(nf->description.find("nf_tables: nf_tables"), std::string::npos);
  EXPECT_EQ(plan.kmps.size(), inv.modules.size() - 3 - 1 + 1);
  EXPECT_FALSE(plan.find("nft_ct-kmp-amd64"));
  EXPECT_FALSE(plan.find("jbd2-kmp-amd64"));
  EXPECT_EQ(plan.module_package[4], -1);  // jbd2 → kernel
  // No module in two packages.
  std::vector<int> owners(inv.modules.size());
  for (auto& p : plan.kmps)
    for (size_t i : p.modules) owners[i]++;
  for (size_t i : plan.kernel.modules) owners[i]++;
  for (size_t i = 0; i < owners.size(); ++i) EXPECT_EQ(owners[i], 1) << inv.modules[i].path;
}

// Rules matching nothing in any form: warnings (kernel_fit_test.cpp), problems when strict.
TEST(Plan, RulesMatchingNothingAndDoubleClaimsAreProblems) {
  auto inv = inventory();
  PlanOptions strict;
  strict.strict = true;
  auto r = make_plan(parse(R"(
[kernel]
keep = { modules = ["ext4"] }
[[set]]
name = "fs-kmp-{flavor}"
paths = ["kernel/fs/**", "kernel/fs/nonexistent/**"]
[[set]]
name = "other-kmp-{flavor}"
modules = ["mbcache", "no_such_module"]
)"),
                     inv, strict);
  auto all = joined(r.problems);
  EXPECT_NE(all.find("path \"kernel/fs/nonexistent/**\" matches no module"), std::string::npos) << all;
  EXPECT_NE(all.find("module \"no_such_module\" matches no module"), std::string::npos) << all;
  EXPECT_NE(all.find("module ext4 (kernel/fs/ext4/ext4.ko) is claimed by [kernel] keep"), std::string::npos) << all;
  EXPECT_NE(all.find("module mbcache (kernel/fs/mbcache.ko) is claimed by set \"fs-kmp-amd64\""), std::string::npos)
      << all;
}

TEST(Plan, NameCollisionsAreProblems) {
  auto inv = inventory();
  auto r = make_plan(parse("[[set]]\nname = \"ext4-kmp-{flavor}\"\nmodules = [\"jbd2\"]\n"), inv);
  EXPECT_NE(joined(r.problems).find("two packages would be named ext4-kmp-amd64"), std::string::npos)
      << joined(r.problems);
}

TEST(Plan, KsymAndPackageMode) {
  auto inv = inventory();
  auto r = make_plan(parse("[kmp]\ndependencies = \"ksym+package\"\n[[set]]\nname = \"nf-kmp-{flavor}\"\n"
                           "paths = [\"kernel/net/**\"]\n"),
                     inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  const auto* ext4 = r.plan.find("ext4-kmp-amd64");
  ASSERT_TRUE(ext4);
  EXPECT_EQ(ext4->requires_, (std::vector<std::string>{"jbd2-kmp-amd64", "kernel-amd64 = 6.1.0-56", "mbcache-kmp-amd64"}));
  EXPECT_TRUE(ext4->recommends.empty());  // optional_fn is weak but mbcache is required anyway
  const auto* nf = r.plan.find("nf-kmp-amd64");
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->requires_, std::vector<std::string>{"kernel-amd64 = 6.1.0-56"});  // own symbols are not required
}

TEST(Plan, PatternsResolveMembersToPackages) {
  auto inv = inventory();
  auto r = make_plan(parse(R"(
[[set]]
name = "netfilter-kmp-{flavor}"
paths = ["kernel/net/**"]
[[pattern]]
name = "kernel-firewall"
summary = "Firewall"
order = 3010
category = "Kernel Stuff"
requires = { modules = ["nf_tables"] }
[[pattern]]
name = "kernel-boot"
requires = { paths = ["kernel/fs/**"], packages = ["xhci_pci-kmp-{flavor}"], patterns = ["kernel-firewall"] }
recommends = { modules = ["e1000e"] }
)"),
                     inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  ASSERT_EQ(r.plan.patterns.size(), 2u);
  const auto& fw = r.plan.patterns[0];
  EXPECT_EQ(fw.name, "patterns-kernel-firewall");
  EXPECT_EQ(fw.requires_, std::vector<std::string>{"netfilter-kmp-amd64"});
  EXPECT_TRUE(has(fw.provides, "pattern() = kernel_firewall"));
  EXPECT_TRUE(has(fw.provides, "pattern-visible()"));
  EXPECT_TRUE(has(fw.provides, "pattern-order() = 3010"));
  EXPECT_TRUE(has(fw.provides, "pattern-category() = Kernel%20Stuff"));
  const auto& boot = r.plan.patterns[1];
  EXPECT_EQ(boot.requires_, (std::vector<std::string>{"ext4-kmp-amd64", "jbd2-kmp-amd64", "mbcache-kmp-amd64",
                                                      "xhci_pci-kmp-amd64", "pattern() = kernel_firewall"}));
  EXPECT_EQ(boot.recommends, std::vector<std::string>{"e1000e-kmp-amd64"});
}

TEST(Plan, UnknownPatternMembersAreProblems) {
  auto inv = inventory();
  PlanOptions strict;
  strict.strict = true;
  auto r = make_plan(parse(R"(
[[pattern]]
name = "p"
requires = { packages = ["nosuch-kmp-{flavor}"], modules = ["nosuch"], paths = ["kernel/nosuch/**"] }
)"),
                     inv, strict);
  auto all = joined(r.problems);
  EXPECT_NE(all.find("pattern \"p\" requires: unknown package \"nosuch-kmp-amd64\""), std::string::npos) << all;
  EXPECT_NE(all.find("module \"nosuch\" matches no module"), std::string::npos) << all;
  EXPECT_NE(all.find("path \"kernel/nosuch/**\" matches no module"), std::string::npos) << all;
}

TEST(Plan, KabiSchemeNamesProvidesAndBaseline) {
  auto inv = inventory();
  auto pol = parse(R"(
[naming]
scheme = "kabi"
[[set]]
name = "netfilter-kmp-{flavor}"
paths = ["kernel/net/**"]
[[pattern]]
name = "fw"
requires = { packages = ["netfilter-kmp-{flavor}"], modules = ["ext4"] }
[kmp]
dependencies = "ksym+package"
)");
  auto r = make_plan(pol, inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  EXPECT_TRUE(r.plan.kabi_scheme);
  EXPECT_TRUE(has(r.plan.kernel.provides, "multiversion(kernel)"));
  const PlannedPackage* ext4 = nullptr;
  for (const auto& k : r.plan.kmps) {
    EXPECT_EQ(k.kabi.size(), 8u) << k.name;
    EXPECT_EQ(k.name, k.base_name + "-" + k.kabi);
    EXPECT_TRUE(has(k.provides, k.base_name + " = 6.1.0-56")) << k.name;
    EXPECT_TRUE(has(k.supplements, "(" + k.base_name + " and kernel-uname-r = 6.1.0-56-amd64)")) << k.name;
    EXPECT_TRUE(k.publish);
    if (k.base_name == "ext4-kmp-amd64") ext4 = &k;
    // Not tied to one kernel build: no Requires on the exact kernel package.
    for (const auto& req : k.requires_) EXPECT_EQ(req.find("kernel-amd64 ="), std::string::npos) << k.name;
  }
  ASSERT_TRUE(ext4);
  EXPECT_TRUE(std::any_of(r.plan.kmps.begin(), r.plan.kmps.end(), [](const PlannedPackage& k) {
    return k.base_name == "netfilter-kmp-amd64" && k.name.starts_with("netfilter-kmp-amd64-") && k.modules.size() == 3;
  }));
  // ext4 needs jbd2's and mbcache's packages, by their full (KABI) names; the kernel declares
  // every build.
  EXPECT_EQ(ext4->requires_.size(), 2u) << joined(ext4->requires_);
  for (const auto& k : r.plan.kmps) EXPECT_TRUE(has(r.plan.kernel.provides, "kmp-for(" + k.name + ")")) << k.name;
  // Patterns name the base names, which every build provides.
  const auto& fw = r.plan.patterns.at(0);
  EXPECT_EQ(fw.requires_, (std::vector<std::string>{"ext4-kmp-amd64", "netfilter-kmp-amd64"}));

  // The id follows the interface: another CRC of something ext4 imports changes ext4's id only.
  auto inv2 = inventory();
  for (auto& m : inv2.modules)
    if (m.name == "ext4")
      for (auto& v : m.versions) v.crc = 0x9999;
  auto r2 = make_plan(pol, inv2);
  for (size_t k = 0; k < r.plan.kmps.size(); ++k) {
    const auto& a = r.plan.kmps[k];
    const auto* b = r2.plan.find(a.name);
    if (a.base_name == "ext4-kmp-amd64") EXPECT_FALSE(b) << a.name;
    else EXPECT_TRUE(b) << a.name;
  }
  // Another kernel release with the same interfaces keeps every id.
  auto inv3 = inventory();
  inv3.tree.kver = "6.1.0-57-amd64";
  for (auto& m : inv3.modules)
    for (auto& f : m.modinfo)
      if (f.key == "vermagic") f.value = "6.1.0-57-amd64 SMP preempt mod_unload modversions ";
  auto r3 = make_plan(pol, inv3);
  EXPECT_EQ(names(r3.plan.kmps), names(r.plan.kmps));
  EXPECT_EQ(r3.plan.release, "57");

  // A baseline that has ext4's build: not published again.
  PlanOptions o;
  o.published_before = {ext4->name, "unrelated-kmp-amd64-00000000"};
  auto r4 = make_plan(pol, inv, o);
  ASSERT_TRUE(r4.problems.empty()) << joined(r4.problems);
  for (const auto& k : r4.plan.kmps) EXPECT_EQ(k.publish, k.name != ext4->name) << k.name;
  // The kernel declares the kept build too (it serves this kernel).
  EXPECT_TRUE(has(r4.plan.kernel.provides, "kmp-for(" + ext4->name + ")"));
  // ... which the kernel-version scheme refuses: every kernel needs all its KMPs there.
  auto r5 = make_plan(parse(""), inv, o);
  EXPECT_FALSE(r5.problems.empty());
}

TEST(Plan, OnlyWithDepsFollowsDependsSpelledWithDashes) {
  // usbcore's modinfo says "depends=usb-common"; the module is usb_common.
  KernelInventory inv;
  inv.tree.kver = "6.1.0-56-amd64";
  inv.modules = {mod("kernel/drivers/usb/common/usb-common.ko", {"usb_debug_root"}),
                 mod("kernel/drivers/usb/core/usbcore.ko", {"usb_register"}, {"usb_debug_root"}),
                 mod("kernel/drivers/net/wireless/ath/ath9k/ath9k_htc.ko", {}, {"usb_register"})};
  inv.modules[1].modinfo.push_back({"depends", "usb-common"});
  inv.modules[2].modinfo.push_back({"depends", "usbcore"});
  PlanOptions o;
  o.only = {"ath9k_htc"};
  o.with_deps = true;
  auto r = make_plan(parse(""), inv, o);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  std::vector<std::string> published;
  for (const auto& k : r.plan.kmps)
    if (k.publish) published.push_back(k.name);
  EXPECT_EQ(published, (std::vector<std::string>{"ath9k_htc-kmp-amd64", "usb_common-kmp-amd64", "usbcore-kmp-amd64"}));
}

TEST(Plan, VersionReleaseFromKernelRelease) {
  EXPECT_EQ(version_release_from_kver("6.1.0-56-amd64"), (std::pair<std::string, std::string>{"6.1.0", "56"}));
  EXPECT_EQ(version_release_from_kver("6.4.0-150600.23.25-default"),
            (std::pair<std::string, std::string>{"6.4.0", "150600.23.25"}));
  EXPECT_EQ(version_release_from_kver("6.8.0"), (std::pair<std::string, std::string>{"6.8.0", "1"}));
  EXPECT_EQ(version_release_from_kver("6.8.0-custom"), (std::pair<std::string, std::string>{"6.8.0", "1"}));
}

TEST(Plan, CleanText) {
  EXPECT_EQ(clean_summary("  a\n b\tc  "), "a b c");
  EXPECT_EQ(clean_summary("bad \xff byte"), "bad ? byte");
  EXPECT_EQ(clean_summary("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(clean_text("line 1\nline\t2\n\n"), "line 1\nline 2");
}

// The whole real tree, read once for the tests below (about a second).
const KernelInventory& real_inventory() {
  static const KernelInventory inv = read_inventory(test::kernel_root(), test::kernel_release());
  return inv;
}

// The shipped policy against the whole real tree: it fits with no warning, and names nothing the
// kernel has only built in.
TEST(Plan, DefaultPolicyFitsTheRealKernel) {
  auto pol = policy::load_policy_file(test::source_dir() + "/policies/default.toml");
  ASSERT_TRUE(pol.policy);
  const auto& inv = real_inventory();
  ASSERT_GT(inv.modules.size(), 3000u);
  auto r = make_plan(*pol.policy, inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
  EXPECT_TRUE(r.builtin.empty()) << joined(r.builtin);
  const auto& plan = r.plan;
  EXPECT_EQ(plan.flavor, "amd64");
  EXPECT_TRUE(plan.kabi_scheme);  // KMPs named by KABI: kernel updates keep the running kernel's modules
  // Packages by base name (the KABI id appended in this scheme).
  auto find = [&](const std::string& base) -> const PlannedPackage* {
    for (const auto& k : plan.kmps)
      if (k.base_name == base) return &k;
    return nullptr;
  };
  const auto* nf = find("netfilter-kmp-amd64");
  ASSERT_TRUE(nf);
  EXPECT_GT(nf->modules.size(), 200u);
  EXPECT_EQ(plan.kmps.size(), inv.modules.size() - nf->modules.size() + 1);
  EXPECT_EQ(plan.patterns.size(), 5u);
  for (const auto& p : plan.patterns) EXPECT_FALSE(p.requires_.empty()) << p.name;
  const auto* ext4 = find("ext4-kmp-amd64");
  ASSERT_TRUE(ext4);
  EXPECT_EQ(ext4->name.size(), std::string("ext4-kmp-amd64-").size() + 8) << ext4->name;
  // What userspace loads by name: the kernel recommends this kernel's builds.
  EXPECT_NE(std::find(plan.kernel.recommends.begin(), plan.kernel.recommends.end(), find("autofs4-kmp-amd64")->name),
            plan.kernel.recommends.end());
  // ip_tables stays out of the netfilter set (systemd loads it at every boot).
  EXPECT_TRUE(find("ip_tables-kmp-amd64"));
  EXPECT_EQ(ext4->summary, "Fourth Extended Filesystem (ext4 kernel module)");
}

// Issue 15: the shipped policy against another configuration of the real kernel, one with
// virtio_pci built in and without xen_blkfront, still fits; only a misspelling stops it.
TEST(Plan, DefaultPolicyFitsAnotherConfiguration) {
  auto pol = policy::load_policy_file(test::source_dir() + "/policies/default.toml");
  ASSERT_TRUE(pol.policy);
  KernelInventory inv = real_inventory();
  std::string virtio_pci;
  std::erase_if(inv.modules, [&](const ModuleRecord& m) {
    if (m.name == "virtio_pci") virtio_pci = m.path;
    return m.name == "virtio_pci" || m.name == "xen_blkfront";
  });
  ASSERT_FALSE(virtio_pci.empty());
  inv.builtin.push_back(virtio_pci);
  auto r = make_plan(*pol.policy, inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  ASSERT_EQ(r.builtin.size(), 1u) << joined(r.builtin);
  EXPECT_NE(r.builtin[0].find("pattern \"kernel-base-boot\" requires: module \"virtio_pci\" is built into " +
                              inv.tree.kver + ": the pattern requires kernel-amd64 instead"),
            std::string::npos)
      << r.builtin[0];
  ASSERT_EQ(r.warnings.size(), 1u) << joined(r.warnings);
  EXPECT_NE(r.warnings[0].find("module \"xen_blkfront\" matches no module of " + inv.tree.kver +
                               " and nothing built in (removed or renamed?): ignored"),
            std::string::npos)
      << r.warnings[0];
  const auto& boot = r.plan.patterns.at(4);
  ASSERT_EQ(boot.pattern, "kernel-base-boot");
  EXPECT_TRUE(has(boot.requires_, "kernel-amd64"));
  EXPECT_TRUE(has(boot.requires_, "virtio_blk-kmp-amd64"));

  PlanOptions strict;
  strict.strict = true;
  EXPECT_EQ(make_plan(*pol.policy, inv, strict).problems.size(), 1u);
}

}  // namespace
}  // namespace kmpkit::package
