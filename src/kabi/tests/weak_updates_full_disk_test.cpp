// kmpkit weak-updates on a full disk (issue 13): a clear "No space left on device", exit 7, the
// links as they were; the next run after space is freed completes.
#include <gtest/gtest.h>

#include "kabi_fixtures.hpp"
#include "small_disk.hpp"

using namespace kmpkit::kabi::testing;

namespace {

namespace fs = std::filesystem;
const std::string kOther = "6.1.0-0-amd64";  // a kernel directory holding KMPs built for the test kernel

std::set<std::string> links_under(const std::string& dir) {
  std::set<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_symlink()) out.insert(e.path().string().substr(dir.size() + 1) + " -> " + fs::read_symlink(e.path()).string());
  return out;
}

TEST(WeakUpdatesFullDisk, FailsClearlyKeepsTheLinksAndCompletesWhenSpaceIsFreed) {
  kmpkit::test::SmallDisk disk("size=4m,nr_inodes=400");
  if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  // The test kernel without modules of its own; the test modules in another kernel's directory.
  std::string made = make_root("kmpkit-weak-full-disk");
  ASSERT_EQ(kmpkit::test::run("cp -a " + kmpkit::test::shell_quote(made + "/lib") + " " +
                              kmpkit::test::shell_quote(disk.dir + "/")).exit_code, 0);
  const std::string root = disk.dir, md = root + "/lib/modules/" + test_kver();
  auto tree = kmpkit::locate_kernel_tree(kmpkit::test::kernel_root(), test_kver());
  if (tree.config) fs::copy_file(*tree.config, md + "/config");
  write_text(md + "/System.map", "");
  const std::string other = root + "/lib/modules/" + kOther + "/extra";
  fs::create_directories(fs::path(other).parent_path());
  fs::rename(md + "/extra", other);
  // One module waits outside until the disk is full.
  const std::string aside = kmpkit::test::temp_dir("kmpkit-weak-aside") + "/kmpt_alias.ko";
  fs::copy_file(other + "/kmpt_alias.ko", aside);
  fs::remove(other + "/kmpt_alias.ko");

  const std::string cmd = kmpkit::test::shell_quote(kmpkit::test::kmpkit_binary()) + " weak-updates -b " +
                          kmpkit::test::shell_quote(root) + " " + test_kver();
  ASSERT_EQ(kmpkit::test::run(cmd).exit_code, 0);
  auto before = links_under(md + "/weak-updates");
  ASSERT_FALSE(before.empty());

  fs::copy_file(aside, other + "/kmpt_alias.ko");
  disk.fill();
  auto full = kmpkit::test::run(cmd);
  EXPECT_EQ(full.exit_code, 7) << full.out << full.err;
  EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
  EXPECT_EQ(links_under(md + "/weak-updates"), before);

  disk.free_space();
  auto again = kmpkit::test::run(cmd);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  auto after = links_under(md + "/weak-updates");
  EXPECT_EQ(after.size(), before.size() + 1);
  EXPECT_TRUE(after.count("extra/kmpt_alias.ko -> ../../../" + kOther + "/extra/kmpt_alias.ko")) << *after.begin();
}

}  // namespace
