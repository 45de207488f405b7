// kmpkit build on a full disk (issue 13): a clear "No space left on device", exit 7, the previous
// repository exactly as it was (the new one is built beside it and swapped in only when complete),
// no half-built leftovers, and the next build after space is freed completes. Needs a small tmpfs
// (root); skipped where mounting is not allowed.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "package/tests/fixture_repo.hpp"
#include "small_disk.hpp"
#include "test_env.hpp"

namespace kmpkit::test {
namespace {

namespace fs = std::filesystem;
namespace pl = pipeline;

CommandResult kmpkit(const std::string& args) { return run(shell_quote(kmpkit_binary()) + " " + args); }

// Every file of the repository with its content.
std::map<std::string, std::string> contents(const std::string& repo) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(repo))
    if (e.is_regular_file()) out[fs::relative(e.path(), repo).string()] = read_text(e.path().string());
  return out;
}

TEST(BuildFullDisk, FailsClearlyKeepsTheRepositoryAndCompletesWhenSpaceIsFreed) {
  SmallDisk disk(SmallDisk::size_with_kmpkit(48));
  if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  const std::string src = temp_dir("kmpkit-build-full-src"), split = disk.dir + "/split";
  pl::make_fixture_tree(src + "/root");
  write_text(src + "/policy.toml", kFixturePolicy);
  auto s = kmpkit("split --policy " + shell_quote(src + "/policy.toml") + " -b " + shell_quote(src + "/root") + " " +
                  kernel_release() + " --out " + shell_quote(split));
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto first = kmpkit("build " + shell_quote(split));
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  const auto before = contents(split + "/repo");
  ASSERT_TRUE(before.count("repodata/repomd.xml"));

  disk.fill();
  auto full = kmpkit("build " + shell_quote(split));
  EXPECT_EQ(full.exit_code, 7) << full.out << full.err;
  EXPECT_NE(full.err.find("No space left on device"), std::string::npos) << full.err;
  EXPECT_EQ(contents(split + "/repo"), before) << "the previous repository was changed";
  EXPECT_FALSE(fs::exists(split + "/.repo-new")) << "a half-built repository was left behind";

  disk.free_space();
  auto again = kmpkit("build " + shell_quote(split));
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_TRUE(fs::exists(split + "/repo/repodata/repomd.xml"));
  EXPECT_FALSE(fs::exists(split + "/.repo-new"));
  EXPECT_EQ(contents(split + "/repo").size(), before.size());
}

}  // namespace
}  // namespace kmpkit::test
