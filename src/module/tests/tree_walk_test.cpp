// The tree walk on several threads gives exactly the serial walk: the same files, stats and order
// (depmod's results depend on the order), on a hand-made tree with links, excluded names and
// nesting, and on the real kernel tree.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "module/tree_walk.hpp"
#include "test_env.hpp"

namespace kmpkit {
namespace {

namespace fs = std::filesystem;

std::vector<WalkedFile> walk(const std::string& dir, unsigned threads, std::vector<std::string> excluded = {}) {
  WalkOptions o;
  o.threads = threads;
  o.include_gz = false;
  o.excluded_names = std::move(excluded);
  return walk_module_files(dir, o);
}

void expect_same(const std::vector<WalkedFile>& a, const std::vector<WalkedFile>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].path, b[i].path) << i;
    EXPECT_EQ(a[i].identity(), b[i].identity()) << a[i].path;
  }
}

TEST(TreeWalkThreads, SameOrderAsSerialOnAHandMadeTree) {
  std::string root = test::temp_dir("kmpkit-walk-test");
  auto touch = [&](const std::string& rel, const std::string& text = "x") {
    fs::create_directories(fs::path(root + "/" + rel).parent_path());
    test::write_text(root + "/" + rel, text);
  };
  for (int d = 0; d < 12; ++d)
    for (int f = 0; f < 5; ++f) {
      std::string dir = "kernel/d" + std::to_string(d) + (d % 3 ? "/sub" + std::to_string(f % 2) : "");
      touch(dir + "/m" + std::to_string(f) + (f % 3 == 0 ? ".ko.xz" : ".ko"), std::string(f + d, 'y'));
    }
  touch("kernel/deep/a/b/c/d/e/f/g/h/x.ko");
  touch("kernel/notes.txt");
  touch("kernel/old.ko.gz");
  touch("updates/u.ko.zst");
  touch("extra/skipme/hidden.ko");
  touch("build/b.ko");
  touch("source/s.ko");
  fs::create_directory_symlink(root + "/kernel/d1", root + "/linked-dir");
  fs::create_symlink(root + "/kernel/d0/m1.ko", root + "/updates/link.ko");
  fs::create_symlink(root + "/nowhere.ko", root + "/updates/dangling.ko");
  auto serial = walk(root, 1, {"skipme"});
  EXPECT_GT(serial.size(), 60u);
  for (const auto& f : serial) {
    EXPECT_EQ(f.path.find("hidden"), std::string::npos);
    EXPECT_EQ(f.path.find("/build/"), std::string::npos);
    EXPECT_EQ(f.path.find(".gz"), std::string::npos);
  }
  for (unsigned t : {2u, 3u, 8u}) {
    SCOPED_TRACE(t);
    for (int round = 0; round < 5; ++round) expect_same(serial, walk(root, t, {"skipme"}));
  }
  // The same names as list_module_files.
  WalkOptions o;
  o.include_gz = false;
  o.excluded_names = {"skipme"};
  auto names = list_module_files(root, o);
  ASSERT_EQ(names.size(), serial.size());
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(names[i], serial[i].path);
}

TEST(TreeWalkThreads, SameOrderAsSerialOnTheRealTree) {
  const std::string dir = test::module_dir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << "no kernel tree at " << dir;
  auto serial = walk(dir, 1);
  EXPECT_GT(serial.size(), 3000u);
  for (unsigned t : {2u, 4u}) {
    SCOPED_TRACE(t);
    expect_same(serial, walk(dir, t));
  }
}

TEST(TreeWalkThreads, MissingDirectoryIsEmpty) {
  EXPECT_TRUE(walk("/nonexistent/kmpkit/walk", 2).empty());
}

}  // namespace
}  // namespace kmpkit
