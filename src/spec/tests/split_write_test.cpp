// Write failures of `kmpkit split` (issue 14): a full disk is named as such, a failed split leaves
// no partial output (no directory when there was none, the previous split when there was one), and
// an output directory on another file system gets the generator without its debug information.
// Needs a small tmpfs (root); skipped where mounting is not allowed.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "package/tests/fixture_repo.hpp"
#include "small_disk.hpp"
#include "test_env.hpp"

namespace kmpkit::test {
namespace {

namespace fs = std::filesystem;
namespace pl = pipeline;

// The tiny kernel tree and the fast tests' policy.
const std::string& fixture_dir() {
  static std::string dir = [] {
    std::string d = temp_dir("kmpkit-split-write");
    pl::make_fixture_tree(d + "/root");
    write_text(d + "/policy.toml", kFixturePolicy);
    return d;
  }();
  return dir;
}

CommandResult split_into(const std::string& out) {
  return run(shell_quote(kmpkit_binary()) + " split --policy " + shell_quote(fixture_dir() + "/policy.toml") + " -b " +
             shell_quote(fixture_dir() + "/root") + " " + kernel_release() + " --out " + shell_quote(out));
}

bool has_debug_info(const std::string& elf) {
  return run("readelf -S " + shell_quote(elf) + " | grep -q '\\.debug_info'").exit_code == 0;
}

TEST(SplitWrite, AFullDiskIsNamedAndLeavesNoOutputDirectory) {
  SmallDisk disk("size=1m");
  if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  const std::string out = disk.dir + "/split";
  auto r = split_into(out);
  EXPECT_EQ(r.exit_code, 7) << r.out << r.err;
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Input/output error"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out)) << "a partial split was left behind";
}

TEST(SplitWrite, AFailedSplitKeepsThePreviousOne) {
  SmallDisk disk(SmallDisk::size_with_kmpkit(16));
  if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  const std::string out = disk.dir + "/split";
  auto first = split_into(out);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // Another file system: a copy of the generator, without the debug build's sections.
  ASSERT_TRUE(fs::exists(out + "/bin/kmpkit"));
  if (has_debug_info(kmpkit_binary())) {
    EXPECT_FALSE(has_debug_info(out + "/bin/kmpkit"));
    EXPECT_LT(fs::file_size(out + "/bin/kmpkit"), fs::file_size(kmpkit_binary()) / 2);
  }
  EXPECT_EQ(run(shell_quote(out + "/bin/kmpkit") + " --version").exit_code, 0);
  const std::string manifest = read_text(out + "/kmpkit-split.json");
  const std::string kernel_spec = read_text(out + "/kernel.spec");
  // Fill the disk, then split again: it fails and the first split is as it was.
  run("dd if=/dev/zero of=" + shell_quote(disk.dir + "/filler") + " bs=1M 2>/dev/null");
  auto again = split_into(out);
  EXPECT_EQ(again.exit_code, 7) << again.err;
  EXPECT_NE(again.err.find("No space left on device"), std::string::npos) << again.err;
  EXPECT_EQ(read_text(out + "/kmpkit-split.json"), manifest);
  EXPECT_EQ(read_text(out + "/kernel.spec"), kernel_spec);
  EXPECT_FALSE(fs::exists(out + "/.kmpkit-split-new"));
  // Room again: the split goes through and replaces the old one.
  fs::remove(disk.dir + "/filler");
  EXPECT_EQ(split_into(out).exit_code, 0);
}

}  // namespace
}  // namespace kmpkit::test
