// kmpkit depmod on a full disk (issue 13): a clear "No space left on device", exit 7, the previous
// database and cache exactly as they were, no staging left behind; the next run after space is
// freed completes, byte-identical to Debian's depmod.
#include "depmod/cache.hpp"
#include "depmod_test_util.hpp"
#include "small_disk.hpp"

namespace kmpkit::depmod::testing {
namespace {

using kmpkit::test::kernel_release;
using kmpkit::test::SmallDisk;

TEST(depmodFullDisk, FailsClearlyKeepsTheDatabaseAndCompletesWhenSpaceIsFreed) {
  SmallDisk disk("size=4m,nr_inodes=400");
  if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  const std::string kver = kernel_release();
  const std::string md = moddir(disk.dir, kver);
  fs::create_directories(md + "/kernel/kmpt");
  for (const auto& e : fs::directory_iterator(kmpkit::test::test_modules_dir() + "/plain"))
    fs::copy_file(e.path(), md + "/kernel/kmpt/" + e.path().filename().string());
  // The first database, then a module less: the next run has to write every file again.
  ASSERT_EQ(run_kmpkit(disk.dir, kver).exit_code, 0);
  auto before = database_files(md);
  const std::string cache = read_text(md + "/" + std::string(kCacheFileName));
  std::string removed;
  for (const auto& e : fs::recursive_directory_iterator(md + "/kernel"))
    if (e.path().filename().string().starts_with("kmpt_leaf")) removed = e.path().string();
  ASSERT_FALSE(removed.empty());
  const std::string kept_aside = kmpkit::test::temp_dir("kmpkit-full-disk-module") + "/m";
  fs::copy_file(removed, kept_aside);
  fs::remove(removed);

  disk.fill();
  auto full = run_kmpkit(disk.dir, kver);
  EXPECT_EQ(full.exit_code, 7) << full.err;
  EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
  EXPECT_EQ(compare_databases(before, database_files(md)), "");
  EXPECT_EQ(read_text(md + "/" + std::string(kCacheFileName)), cache);
  for (const auto& e : fs::directory_iterator(md))
    EXPECT_FALSE(e.path().filename().string().starts_with(".")) << "left behind: " << e.path();

  disk.free_space();
  ASSERT_EQ(run_kmpkit(disk.dir, kver).exit_code, 0);
  auto after = database_files(md);
  EXPECT_NE(compare_databases(before, after), "");
  // Debian's depmod on a copy of the same tree agrees byte for byte.
  std::string copy = kmpkit::test::temp_dir("kmpkit-full-disk-oracle");
  ASSERT_EQ(run("cp -a " + shell_quote(disk.dir + "/lib") + " " + shell_quote(copy + "/")).exit_code, 0);
  ASSERT_EQ(run_oracle(copy, kver).exit_code, 0);
  EXPECT_EQ(compare_databases(database_files(moddir(copy, kver)), after), "");
}

}  // namespace
}  // namespace kmpkit::depmod::testing
