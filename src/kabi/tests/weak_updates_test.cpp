// kmpkit weak-updates on small roots of the real test modules: the modules of another kernel's
// directory serve the kernel when they fit, links follow every change (a module that stops
// fitting, an own copy, a removed KMP, the kernel's removal), and the result is what Debian's
// depmod accepts without a warning and indexes byte for byte like kmpkit depmod.
#include <gtest/gtest.h>

#include <chrono>

#include "kabi/vermagic.hpp"
#include "kabi/weak_updates.hpp"
#include "kabi_fixtures.hpp"

using namespace kmpkit;
using namespace kmpkit::kabi;
using namespace kmpkit::kabi::testing;

namespace {

const std::string kOther = "6.1.0-0-amd64";  // a kernel directory holding KMPs built for the test kernel

// The test kernel (Module.symvers of vmlinux, System.map) without modules of its own; the test
// modules in kOther's directory.
std::string make_two_kernel_root() {
  std::string root = make_root("kmpkit-weak-root");
  std::string md = module_dir_of(root);
  write_text(md + "/System.map", "");
  // The real kernel's config (kernel packages ship it): the vermagic its modules must carry.
  auto tree = locate_kernel_tree(kmpkit::test::kernel_root(), kmpkit::test::kernel_release());
  if (tree.config) fs::copy_file(*tree.config, md + "/config");
  fs::create_directories(root + "/lib/modules/" + kOther);
  fs::rename(md + "/extra", root + "/lib/modules/" + kOther + "/extra");
  return root;
}

std::set<std::string> link_set(const WeakUpdatesResult& r) {
  std::set<std::string> out;
  for (const auto& l : r.links) out.insert(l.rel);
  return out;
}

std::set<std::string> links_on_disk(const std::string& root) {
  std::set<std::string> out;
  std::string dir = module_dir_of(root) + "/weak-updates";
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_symlink()) out.insert(e.path().string().substr(dir.size() + 1));
  return out;
}

std::set<std::string> all_test_modules() {
  std::set<std::string> out;
  for (const auto& f : test_module_files()) out.insert("extra/" + fs::path(f).filename().string());
  return out;
}

// Debian's depmod -e -E over the root: its warnings (none expected), and the database it writes
// equal to kmpkit depmod's.
void expect_depmod_agrees(const std::string& root) {
  std::string kver = test_kver(), md = module_dir_of(root);
  auto warn = run("timeout 60 /sbin/depmod -n -e -E " + shell_quote(md + "/Module.symvers") + " -b " +
                  shell_quote(root) + " " + kver + " 2>&1 >/dev/null | grep -v 'could not open modules' | head -c 20000");
  EXPECT_EQ(warn.out, "");
  std::string copy = kmpkit::test::temp_dir("kmpkit-weak-copy");
  sh("cp -a " + shell_quote(root + "/lib") + " " + shell_quote(copy + "/"));
  sh("timeout 60 /sbin/depmod -b " + shell_quote(copy) + " " + kver + " 2>/dev/null | head -c 20000");
  sh(shell_quote(kmpkit::test::kmpkit_binary()) + " depmod -b " + shell_quote(root) + " " + kver + " 2>/dev/null");
  for (const char* f : {"modules.dep", "modules.dep.bin", "modules.alias", "modules.symbols", "modules.softdep"}) {
    auto cmp = run("cmp " + shell_quote(md + "/" + f) + " " + shell_quote(copy + "/lib/modules/" + kver + "/" + f));
    EXPECT_EQ(cmp.exit_code, 0) << f << ": " << cmp.out;
  }
}

TEST(WeakUpdates, ModulesOfAnotherKernelThatFitAreLinked) {
  auto root = make_two_kernel_root();
  auto r = update_weak_updates({root, test_kver()});
  EXPECT_TRUE(r.kernel_installed);
  EXPECT_EQ(r.own_modules, 0u);
  EXPECT_EQ(link_set(r), all_test_modules());
  EXPECT_EQ(links_on_disk(root), all_test_modules());
  EXPECT_EQ(r.added.size(), all_test_modules().size());
  EXPECT_TRUE(r.rejected.empty());
  // Relative links: right inside a chroot (the triggers) and under -b alike.
  auto target = fs::read_symlink(module_dir_of(root) + "/weak-updates/extra/kmpt_core.ko").string();
  EXPECT_EQ(target, "../../../" + kOther + "/extra/kmpt_core.ko");
  // No module built for this kernel is installed: its vermagic comes from its config.
  EXPECT_EQ(r.vermagic, test_kver() + " SMP preempt mod_unload modversions ");
  // Again: nothing to do.
  auto again = update_weak_updates({root, test_kver()});
  EXPECT_FALSE(again.changed());
  expect_depmod_agrees(root);
}

TEST(WeakUpdates, DryRunChangesNothing) {
  auto root = make_two_kernel_root();
  auto r = update_weak_updates({root, test_kver(), true});
  EXPECT_EQ(r.added.size(), all_test_modules().size());
  EXPECT_TRUE(links_on_disk(root).empty());
  EXPECT_FALSE(fs::exists(module_dir_of(root) + "/weak-updates"));
}

TEST(WeakUpdates, ALinkGoesWhenItsModuleStopsFitting) {
  auto root = make_two_kernel_root();
  update_weak_updates({root, test_kver()});
  // The kernel's __pci_register_driver changes its CRC: only kmpt_alias uses it.
  edit_symvers(module_dir_of(root) + "/Module.symvers", "__pci_register_driver", false, 0x1234567);
  auto r = update_weak_updates({root, test_kver()});
  EXPECT_EQ(r.removed, std::vector<std::string>{"extra/kmpt_alias.ko"});
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].module, "kmpt_alias");
  EXPECT_EQ(r.rejected[0].kver, kOther);
  EXPECT_NE(r.rejected[0].reason.find("crc-mismatch"), std::string::npos) << r.rejected[0].reason;
  EXPECT_FALSE(links_on_disk(root).count("extra/kmpt_alias.ko"));
  expect_depmod_agrees(root);
}

TEST(WeakUpdates, OnlyTheModuleThatDoesNotFitIsLeftOut) {
  auto root = make_two_kernel_root();
  // param_ops_int with another CRC: kmpt_leaf, its only user, does not fit; the modules it needs
  // (kmpt_core, kmpt_mid) still do.
  edit_symvers(module_dir_of(root) + "/Module.symvers", "param_ops_int", false, 0x1234567);
  auto r = update_weak_updates({root, test_kver()});
  auto expected = all_test_modules();
  expected.erase("extra/kmpt_leaf.ko");
  EXPECT_EQ(link_set(r), expected);
  expect_depmod_agrees(root);
}

TEST(WeakUpdates, AnOwnCopyShadowsTheLink) {
  auto root = make_two_kernel_root();
  update_weak_updates({root, test_kver()});
  fs::create_directories(module_dir_of(root) + "/kernel");
  fs::copy_file(root + "/lib/modules/" + kOther + "/extra/kmpt_core.ko", module_dir_of(root) + "/kernel/kmpt_core.ko");
  auto r = update_weak_updates({root, test_kver()});
  EXPECT_EQ(r.own_modules, 1u);
  EXPECT_EQ(r.removed, std::vector<std::string>{"extra/kmpt_core.ko"});
  EXPECT_FALSE(links_on_disk(root).count("extra/kmpt_core.ko"));
  EXPECT_TRUE(links_on_disk(root).count("extra/kmpt_mid.ko"));  // served by the own kmpt_core
  expect_depmod_agrees(root);
}

TEST(WeakUpdates, AModuleTheKernelHasBuiltInIsNotLinked) {
  // Another configuration's KMP: kmpt_alias was a module there, this kernel has it built in.
  auto root = make_two_kernel_root();
  update_weak_updates({root, test_kver()});
  write_text(module_dir_of(root) + "/modules.builtin", "kernel/drivers/pci/kmpt/kmpt_alias.ko\n");
  auto r = update_weak_updates({root, test_kver()});
  EXPECT_EQ(r.removed, std::vector<std::string>{"extra/kmpt_alias.ko"});
  auto expected = all_test_modules();
  expected.erase("extra/kmpt_alias.ko");
  EXPECT_EQ(link_set(r), expected);
  EXPECT_EQ(links_on_disk(root), expected);
}

TEST(WeakUpdates, ModulesThatNeedAnUnfitModuleGoToo) {
  auto root = make_two_kernel_root();
  // _printk with another CRC: nothing that prints fits; kmpt_alias does not print.
  edit_symvers(module_dir_of(root) + "/Module.symvers", "_printk", false, 0x1234567);
  auto r = update_weak_updates({root, test_kver()});
  EXPECT_EQ(link_set(r), std::set<std::string>{"extra/kmpt_alias.ko"});
  EXPECT_EQ(r.rejected.size(), all_test_modules().size() - 1);
  expect_depmod_agrees(root);
}

TEST(WeakUpdates, RemovedKmpRemovedKernelAndClear) {
  auto root = make_two_kernel_root();
  update_weak_updates({root, test_kver()});
  // The other kernel's KMP of kmpt_extra is removed: its link (and kmpt-dash, which needs it) go.
  fs::remove(root + "/lib/modules/" + kOther + "/extra/kmpt_extra.ko");
  auto r = update_weak_updates({root, test_kver()});
  EXPECT_EQ(r.removed, (std::vector<std::string>{"extra/kmpt-dash.ko", "extra/kmpt_extra.ko"}));
  expect_depmod_agrees(root);
  // --clear (the kernel package's %preun): every link and the directory go.
  auto c = update_weak_updates({root, test_kver(), false, true});
  EXPECT_FALSE(c.kernel_installed);
  EXPECT_EQ(c.removed.size(), all_test_modules().size() - 2);
  EXPECT_FALSE(fs::exists(module_dir_of(root) + "/weak-updates"));
  // A kernel that is gone (no Module.symvers, no image) gets no links either.
  update_weak_updates({root, test_kver()});
  fs::remove(module_dir_of(root) + "/Module.symvers");
  fs::remove(module_dir_of(root) + "/System.map");
  auto gone = update_weak_updates({root, test_kver()});
  EXPECT_FALSE(gone.kernel_installed);
  EXPECT_FALSE(fs::exists(module_dir_of(root) + "/weak-updates"));
}

TEST(WeakUpdates, TheNewestKernelsCopyFirstThenAnOlderOneThatFits) {
  auto root = make_two_kernel_root();
  // A newer kernel directory whose kmpt_alias does not fit (its vermagic flags differ).
  const std::string newer = "6.1.0-9-amd64";
  std::string alias = root + "/lib/modules/" + newer + "/extra/kmpt_alias.ko";
  fs::create_directories(fs::path(alias).parent_path());
  fs::copy_file(root + "/lib/modules/" + kOther + "/extra/kmpt_alias.ko", alias);
  set_modinfo(alias, "vermagic", "6.1.0-9-amd64 SMP mod_unload modversions ");
  auto r = update_weak_updates({root, test_kver()});
  ASSERT_TRUE(link_set(r).count("extra/kmpt_alias.ko"));
  auto target = fs::read_symlink(module_dir_of(root) + "/weak-updates/extra/kmpt_alias.ko").string();
  EXPECT_NE(target.find(kOther), std::string::npos) << target;
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].kver, newer);
  EXPECT_NE(r.rejected[0].reason.find("vermagic"), std::string::npos) << r.rejected[0].reason;
}

TEST(WeakUpdates, RecordsAreCachedByFileIdentity) {
  auto root = make_two_kernel_root();
  size_t n = all_test_modules().size();
  auto first = update_weak_updates({root, test_kver()});
  EXPECT_EQ(first.files_read, n);
  std::string cache = root + "/var/cache/kmpkit/weak-updates/" + kOther;
  ASSERT_TRUE(fs::exists(cache));
  EXPECT_EQ(update_weak_updates({root, test_kver()}).files_read, 0u);
  // A changed file is read again, the others are not.
  std::string core = root + "/lib/modules/" + kOther + "/extra/kmpt_core.ko";
  fs::last_write_time(core, fs::last_write_time(core) + std::chrono::seconds(5));
  EXPECT_EQ(update_weak_updates({root, test_kver()}).files_read, 1u);
  // A damaged cache is not trusted: everything is read, the result is the same, the cache is new.
  std::string text = read_text(cache);
  write_text(cache, text.substr(0, text.size() / 2));
  WeakUpdatesOptions o{root, test_kver()};
  o.dry_run = true;
  auto damaged = update_weak_updates(o);
  EXPECT_EQ(damaged.files_read, n);
  EXPECT_EQ(link_set(damaged), link_set(first));
  EXPECT_EQ(read_text(cache), text);
  o.use_cache = false;
  EXPECT_EQ(link_set(update_weak_updates(o)), link_set(first));
}

TEST(WeakUpdates, CliReportsAndQuietPrintsOnlyChanges) {
  auto root = make_two_kernel_root();
  std::string k = shell_quote(kmpkit::test::kmpkit_binary());
  auto json = run(k + " weak-updates --json -b " + shell_quote(root) + " " + test_kver());
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["links"].size(), all_test_modules().size());
  auto quiet = run(k + " weak-updates -q -b " + shell_quote(root) + " " + test_kver());
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.out, "");
  EXPECT_EQ(run(k + " weak-updates --help").exit_code, 0);
  EXPECT_EQ(run(k + " weak-updates").exit_code, 2);
}

TEST(Vermagic, FromConfigEqualsTheRealKernelsModules) {
  std::string kver = kmpkit::test::kernel_release();
  auto tree = locate_kernel_tree(kmpkit::test::kernel_root(), kver);
  ASSERT_TRUE(tree.config);
  auto ext4 = read_module(kmpkit::test::module_dir() + "/kernel/fs/ext4/ext4.ko");
  EXPECT_EQ(vermagic_from_config(read_text(*tree.config), kver), ext4.vermagic());
  EXPECT_EQ(vermagic_from_config("CONFIG_X86_32=y\nCONFIG_SMP=y\n", kver), "");
  EXPECT_EQ(vermagic_from_config("CONFIG_X86_64=y\nCONFIG_MODVERSIONS=y\n# CONFIG_SMP is not set\n", "1.0"),
            "1.0 modversions ");
}

TEST(WeakUpdates, ABaseDirectoryWithoutModulesIsAnError) {
  auto r = run(shell_quote(kmpkit::test::kmpkit_binary()) + " weak-updates -b /nonexistent-basedir 6.1.0-1-amd64");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("/nonexistent-basedir/lib/modules does not exist"), std::string::npos) << r.err;
}

}  // namespace
