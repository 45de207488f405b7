// One policy across kernels that differ (issue 15): a name this kernel has built in is satisfied
// (a pattern gets the kernel package instead), a name it has in no form is a warning (an error
// with strict), a misspelt name is an error with a suggestion. The plan on small inventories,
// then `kmpkit split --check` on a tree of the real test modules with its own modules.builtin.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "policy_text.hpp"
#include "module/inventory.hpp"
#include "package/plan.hpp"
#include "policy/policy.hpp"
#include "spec/patterns_xml.hpp"
#include "test_env.hpp"

namespace kmpkit::package {
namespace {

namespace fs = std::filesystem;

const std::string kKver = "6.1.0-56-amd64";

ModuleRecord mod(const std::string& path) {
  ModuleRecord m;
  m.path = path;
  m.name = module_name_from_path(path);
  m.size = 1000;
  m.modinfo.push_back({"vermagic", kKver + " SMP preempt mod_unload modversions "});
  m.modinfo.push_back({"license", "GPL"});
  return m;
}

// A kernel configuration with virtio, scsi_mod and efivarfs built in.
KernelInventory inventory() {
  KernelInventory inv;
  inv.tree.kver = kKver;
  inv.modules = {mod("kernel/fs/ext4/ext4.ko"),          mod("kernel/fs/jbd2/jbd2.ko"),
                 mod("kernel/drivers/block/virtio_blk.ko"), mod("kernel/drivers/scsi/sd_mod.ko"),
                 mod("kernel/drivers/scsi/sg.ko"),       mod("kernel/net/netfilter/nf_tables.ko")};
  inv.builtin = {"kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko",
                 "kernel/drivers/virtio/virtio_pci.ko", "kernel/drivers/scsi/scsi_mod.ko",
                 "kernel/fs/efivarfs/efivarfs.ko"};
  return inv;
}

policy::Policy parse(const std::string& text) { return kmpkit::test::parse_policy_text(text); }

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (auto& x : v) s += x + "\n";
  return s;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// How many of `lines` contain `text`.
size_t count_with(const std::vector<std::string>& lines, const std::string& text) {
  return static_cast<size_t>(
      std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; }));
}

TEST(KernelFit, BuiltInNamesAreSatisfiedAndReported) {
  auto inv = inventory();
  auto r = make_plan(parse(R"(
[kernel]
keep = { modules = ["efivarfs"] }
recommends = { modules = ["efivarfs", "ext4"] }
[kmp.companions]
sg = ["scsi_mod"]
[[set]]
name = "virtio-kmp-{flavor}"
paths = ["kernel/drivers/virtio/**"]
[[set]]
name = "blk-kmp-{flavor}"
modules = ["virtio_blk", "virtio_ring"]
[[pattern]]
name = "boot"
requires = { modules = ["ext4", "virtio-pci"], packages = ["virtio-kmp-{flavor}"] }
recommends = { paths = ["kernel/drivers/virtio/virtio_pci.ko"] }
)"),
                     inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
  const auto& b = r.builtin;
  EXPECT_TRUE(has(b, "test.toml:4:21: [kernel] keep: module \"efivarfs\" is built into " + kKver + ": in the kernel already"))
      << joined(b);
  EXPECT_TRUE(has(b, "test.toml:5:27: [kernel] recommends: module \"efivarfs\" is built into " + kKver +
                         ": in the kernel, nothing to recommend"))
      << joined(b);
  EXPECT_EQ(count_with(b, "set \"virtio-kmp-amd64\": path \"kernel/drivers/virtio/**\" names only modules built into " +
                              kKver + " (virtio, virtio_ring, virtio_pci): nothing to package"),
            1u)
      << joined(b);
  EXPECT_EQ(count_with(b, "set \"blk-kmp-amd64\": module \"virtio_ring\" is built into"), 1u) << joined(b);
  EXPECT_EQ(count_with(b, "pattern \"boot\" requires: module \"virtio-pci\" is built into " + kKver +
                              ": the pattern requires kernel-amd64 instead"),
            1u)
      << joined(b);
  EXPECT_EQ(count_with(b, "pattern \"boot\" requires: package \"virtio-kmp-amd64\" is a set with no module in " + kKver +
                              " (built in): kernel-amd64 instead"),
            1u)
      << joined(b);
  EXPECT_EQ(count_with(b, "pattern \"boot\" recommends: path \"kernel/drivers/virtio/virtio_pci.ko\""), 1u) << joined(b);
  EXPECT_EQ(count_with(b, "[kmp.companions] sg with: module \"scsi_mod\" is built into"), 1u) << joined(b);
  EXPECT_EQ(b.size(), 8u) << joined(b);

  const auto& plan = r.plan;
  EXPECT_TRUE(plan.kernel.modules.empty());
  EXPECT_FALSE(plan.find("virtio-kmp-amd64"));  // every member built in: no package
  const auto* blk = plan.find("blk-kmp-amd64");
  ASSERT_TRUE(blk);
  EXPECT_EQ(blk->modules.size(), 1u);
  EXPECT_EQ(plan.kernel.recommends, std::vector<std::string>{"ext4-kmp-amd64"});
  ASSERT_EQ(plan.patterns.size(), 1u);
  EXPECT_EQ(plan.patterns[0].requires_, (std::vector<std::string>{"ext4-kmp-amd64", "kernel-amd64"}));
  EXPECT_EQ(plan.patterns[0].recommends, std::vector<std::string>{"kernel-amd64"});
  // scsi_mod is there whenever the kernel is: so is sg, which udev loads for every SCSI device.
  EXPECT_TRUE(has(plan.find("sg-kmp-amd64")->supplements, "kernel-amd64"));
  // patterns.xml (what `zypper in -t pattern` reads) names the kernel package as well.
  auto xml = spec::patterns_xml(plan);
  EXPECT_NE(xml.find("<rpm:requires>\n      <rpm:entry name=\"patterns-boot\"/>\n      <rpm:entry "
                     "name=\"ext4-kmp-amd64\"/>\n      <rpm:entry name=\"kernel-amd64\"/>\n    </rpm:requires>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<rpm:recommends>\n      <rpm:entry name=\"kernel-amd64\"/>"), std::string::npos) << xml;
}

// kabi scheme: the kernel declares (kmp-for()) only the builds of its plan; a module it has built
// in has none, and a pattern naming it names the kernel package, not a build.
TEST(KernelFit, KabiSchemeDeclaresNoBuildOfABuiltInModule) {
  auto inv = inventory();
  auto r = make_plan(parse(R"(
[naming]
scheme = "kabi"
[[pattern]]
name = "boot"
requires = { modules = ["ext4", "virtio_pci"] }
)"),
                     inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  EXPECT_EQ(r.plan.kmps.size(), inv.modules.size());
  size_t declared = 0;
  for (const auto& p : r.plan.kernel.provides) {
    declared += p.starts_with("kmp-for(");
    EXPECT_EQ(p.find("virtio_pci"), std::string::npos) << p;
  }
  EXPECT_EQ(declared, inv.modules.size());
  EXPECT_EQ(r.plan.patterns.at(0).requires_, (std::vector<std::string>{"ext4-kmp-amd64", "kernel-amd64"}));
}

TEST(KernelFit, NamesInNoFormWarnAndAreErrorsWhenStrict) {
  auto inv = inventory();
  auto pol = parse(R"(
[kernel]
keep = { modules = ["floppy_tape"] }
[[set]]
name = "gone-kmp-{flavor}"
paths = ["kernel/drivers/ide/**"]
[[pattern]]
name = "boot"
requires = { modules = ["ext4", "aic7xxx_old"], packages = ["gone-kmp-{flavor}"] }
)");
  auto r = make_plan(pol, inv);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  EXPECT_TRUE(r.builtin.empty()) << joined(r.builtin);
  const auto& w = r.warnings;
  EXPECT_TRUE(has(w, "test.toml:4:21: [kernel] keep: module \"floppy_tape\" matches no module of " + kKver +
                         " and nothing built in (removed or renamed?): ignored"))
      << joined(w);
  EXPECT_EQ(count_with(w, "set \"gone-kmp-amd64\": path \"kernel/drivers/ide/**\" matches no module"), 1u) << joined(w);
  EXPECT_EQ(count_with(w, "pattern \"boot\" requires: module \"aic7xxx_old\" matches no module"), 1u) << joined(w);
  EXPECT_EQ(count_with(w, "pattern \"boot\" requires: package \"gone-kmp-amd64\" is a set with no module in " + kKver +
                              ": ignored"),
            1u)
      << joined(w);
  EXPECT_EQ(w.size(), 4u) << joined(w);
  EXPECT_EQ(r.plan.patterns.at(0).requires_, std::vector<std::string>{"ext4-kmp-amd64"});

  PlanOptions strict;
  strict.strict = true;
  auto s = make_plan(pol, inv, strict);
  EXPECT_TRUE(s.warnings.empty()) << joined(s.warnings);
  EXPECT_EQ(s.problems.size(), 4u) << joined(s.problems);
  EXPECT_EQ(count_with(s.problems, "module \"aic7xxx_old\" matches no module of " + kKver +
                                       " and nothing built in (removed or renamed?)"),
            1u)
      << joined(s.problems);
}

TEST(KernelFit, MisspeltNamesAreErrorsWithASuggestion) {
  auto inv = inventory();
  auto r = make_plan(parse(R"(
[[set]]
name = "scsi-kmp-{flavor}"
paths = ["kernel/drivers/scsii/**"]
[[set]]
name = "fs-kmp-{flavor}"
paths = ["kernel/fs/ext4"]
[[pattern]]
name = "boot"
requires = { modules = ["ext5", "virtio_pcii"], packages = ["scsi-kmp-amd46"] }
)"),
                     inv);
  const auto& p = r.problems;
  EXPECT_EQ(count_with(p, "set \"scsi-kmp-amd64\": path \"kernel/drivers/scsii/**\" matches no module of " + kKver +
                              "; did you mean \"kernel/drivers/scsi/**\"?"),
            1u)
      << joined(p);
  EXPECT_EQ(count_with(p, "path \"kernel/fs/ext4\" matches no module of " + kKver + "; did you mean \"kernel/fs/ext4/**\"?"),
            1u)
      << joined(p);
  EXPECT_EQ(count_with(p, "module \"ext5\" matches no module of " + kKver + "; did you mean \"ext4\"?"), 1u) << joined(p);
  EXPECT_EQ(count_with(p, "module \"virtio_pcii\" matches no module of " + kKver + "; did you mean \"virtio_pci\" (built in)?"),
            1u)
      << joined(p);
  EXPECT_EQ(count_with(p, "unknown package \"scsi-kmp-amd46\"; did you mean \"scsi-kmp-amd64\"?"), 1u) << joined(p);
  EXPECT_EQ(p.size(), 5u) << joined(p);
  EXPECT_TRUE(r.warnings.empty()) << joined(r.warnings);
}

TEST(KernelFit, OnlyGlobsOfBuiltInModules) {
  auto inv = inventory();
  auto pol = parse("");
  PlanOptions o;
  o.only = {"ext4", "virtio_pci"};
  auto r = make_plan(pol, inv, o);
  ASSERT_TRUE(r.problems.empty()) << joined(r.problems);
  EXPECT_EQ(r.builtin, std::vector<std::string>{"--only \"virtio_pci\": module \"virtio_pci\" is built into " + kKver +
                                                ": in the kernel package kernel-amd64, no KMP to build"});
  for (const auto& k : r.plan.kmps) EXPECT_EQ(k.publish, k.name == "ext4-kmp-amd64") << k.name;

  o.only = {"virtio_pci"};  // nothing to build at all
  auto none = make_plan(pol, inv, o);
  EXPECT_TRUE(has(none.problems, "--only matches no KMP (globs on package or module names)")) << joined(none.problems);
  EXPECT_EQ(none.builtin.size(), 1u);

  o.only = {"kernel-amd64"};  // the kernel package alone: no KMP, not a problem
  auto kernel_only = make_plan(pol, inv, o);
  EXPECT_TRUE(kernel_only.problems.empty()) << joined(kernel_only.problems);
  EXPECT_TRUE(kernel_only.plan.kernel.publish);
  for (const auto& k : kernel_only.plan.kmps) EXPECT_FALSE(k.publish) << k.name;

  o.only = {"ext4", "sd_mood", "ancient_driver"};
  auto typo = make_plan(pol, inv, o);
  EXPECT_TRUE(has(typo.problems, "--only \"sd_mood\": module \"sd_mood\" matches no module of " + kKver +
                                     "; did you mean \"sd_mod\"?"))
      << joined(typo.problems);
  EXPECT_EQ(count_with(typo.warnings, "--only \"ancient_driver\": module \"ancient_driver\" matches no module"), 1u)
      << joined(typo.warnings);
}

// ---- kmpkit split --check on a tree with its own modules.builtin ----

std::string q(const std::string& s) { return test::shell_quote(s); }

// ROOT/lib/modules/KVER: three of the real test modules, and a modules.builtin that has
// virtio_pci and kmpt_extra built in.
std::string make_tree() {
  std::string root = test::temp_dir("kmpkit-fit-tree");
  std::string md = root + "/lib/modules/" + test::kernel_release();
  fs::create_directories(md + "/kernel/drivers/misc/kmpt");
  for (const char* m : {"kmpt_core.ko", "kmpt_mid.ko", "kmpt_leaf.ko"})
    fs::copy_file(test::test_modules_dir() + "/plain/" + m, md + "/kernel/drivers/misc/kmpt/" + m);
  test::write_text(md + "/modules.builtin", "kernel/drivers/virtio/virtio_pci.ko\nkernel/drivers/misc/kmpt/kmpt_extra.ko\n");
  return root;
}

test::CommandResult check(const std::string& root, const std::string& policy, const std::string& extra = "") {
  std::string file = test::temp_dir("kmpkit-fit-policy") + "/policy.toml";
  test::write_text(file, "format = 1\n" + policy);
  return test::run(q(test::kmpkit_binary()) + " split --check " + extra + " --policy " + q(file) + " -b " + q(root) + " " +
                   q(test::kernel_release()));
}

TEST(KernelFit, SplitCheckTellsBuiltInMissingAndMisspelt) {
  const std::string root = make_tree(), kver = test::kernel_release();
  const std::string pattern = "[[pattern]]\nname = \"boot\"\nrequires = { modules = [\"kmpt_core\", \"virtio_pci\"] }\n";

  auto builtin = check(root, pattern + "[[set]]\nname = \"x-kmp-{flavor}\"\nmodules = [\"kmpt_mid\", \"kmpt_extra\"]\n");
  EXPECT_EQ(builtin.exit_code, 0) << builtin.err;
  EXPECT_EQ(builtin.err.find("warning"), std::string::npos) << builtin.err;
  EXPECT_NE(builtin.out.find("fits " + kver + ": kernel package"), std::string::npos) << builtin.out;
  EXPECT_NE(builtin.out.find("built into " + kver + " (present, nothing to package):\n"), std::string::npos)
      << builtin.out;
  EXPECT_NE(builtin.out.find("pattern \"boot\" requires: module \"virtio_pci\" is built into " + kver +
                             ": the pattern requires kernel-amd64 instead"),
            std::string::npos)
      << builtin.out;
  EXPECT_NE(builtin.out.find("module \"kmpt_extra\" is built into " + kver + ": nothing to package"), std::string::npos)
      << builtin.out;

  const std::string missing = pattern + "recommends = { modules = [\"ancient_storage_driver\"] }\n";
  auto warned = check(root, missing);
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("kmpkit split: warning: "), std::string::npos) << warned.err;
  EXPECT_NE(warned.err.find("pattern \"boot\" recommends: module \"ancient_storage_driver\" matches no module of " +
                            kver + " and nothing built in (removed or renamed?): ignored"),
            std::string::npos)
      << warned.err;
  EXPECT_NE(warned.out.find("with 1 warning(s) (--strict makes them errors)"), std::string::npos) << warned.out;
  auto strict = check(root, missing, "--strict");
  EXPECT_EQ(strict.exit_code, 2) << strict.err;
  EXPECT_NE(strict.err.find("module \"ancient_storage_driver\" matches no module"), std::string::npos) << strict.err;
  EXPECT_EQ(strict.err.find("warning"), std::string::npos) << strict.err;

  auto typo = check(root, "[[pattern]]\nname = \"boot\"\nrequires = { modules = [\"kmpt_cor\"] }\n");
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("pattern \"boot\" requires: module \"kmpt_cor\" matches no module of " + kver +
                          "; did you mean \"kmpt_core\"?"),
            std::string::npos)
      << typo.err;
}

}  // namespace
}  // namespace kmpkit::package
