// The real Debian tree (4023 modules): as shipped, recompressed with xz and with zstd, and
// incremental runs as KMPs come and go, each compared file by file with Debian's depmod; and
// real SIGKILLs at random moments.
#include <random>

#include "../depmod_test_util.hpp"
#include "depmod/cache.hpp"
#include "depmod/store.hpp"

namespace kmpkit::depmod::testing {
namespace {

using kmpkit::test::kernel_release;
using kmpkit::test::kernel_root;
using kmpkit::test::temp_dir;
using kmpkit::test::test_modules_dir;

// A private copy (hard links) of a tree's lib/modules/KVER: nothing is written into the cache.
std::string copy_tree(const std::string& from_root) {
  std::string root = temp_dir("kmpkit-depmod-real");
  fs::create_directories(root + "/lib/modules");
  auto r = run("cp -al " + shell_quote(moddir(from_root, kernel_release())) + " " + shell_quote(root + "/lib/modules/"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const auto& e : fs::directory_iterator(moddir(root, kernel_release())))
    if (e.path().filename().string().rfind("modules.", 0) == 0 &&
        e.path().filename() != "modules.order" && e.path().filename() != "modules.builtin" &&
        e.path().filename() != "modules.builtin.modinfo")
      fs::remove(e.path());
  return root;
}

std::string recompressed_trees() {
  static std::string dir = [] {
    auto r = run(shell_quote(kmpkit::test::source_dir() + "/bench/depmod-trees.sh") + " " + shell_quote(kernel_root()));
    if (r.exit_code != 0) throw std::runtime_error("bench/depmod-trees.sh failed: " + r.err);
    return kmpkit::test::split_lines(r.out).back();
  }();
  return dir;
}

void expect_identical_full_then_incremental(const std::string& root) {
  kmpkit::test::CommandResult k;
  EXPECT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}, "-v --full", &k), "");
  EXPECT_NE(k.err.find("4023 modules (4023 read, 0 from the cache"), std::string::npos) << k.err;
  EXPECT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}, "-v", &k), "");
  EXPECT_NE(k.err.find("4023 modules (0 read, 4023 from the cache; cache: used)"), std::string::npos) << k.err;
}

TEST(depmodRealTree, AsShipped) { expect_identical_full_then_incremental(copy_tree(kernel_root())); }

TEST(depmodRealTree, RecompressedZstd) { expect_identical_full_then_incremental(copy_tree(recompressed_trees() + "/zst")); }

TEST(depmodRealTree, RecompressedXz) { expect_identical_full_then_incremental(copy_tree(recompressed_trees() + "/xz")); }

// Adding a KMP's modules, shadowing a real module with an updates/ copy, removing them again:
// each incremental run equals Debian's depmod on the same tree.
void kmp_lifecycle(const std::string& root, const std::string& ext) {
  const std::string md = moddir(root, kernel_release());
  const std::string variant = ext == ".ko" ? "plain" : ext == ".ko.xz" ? "xz" : "zst";
  kmpkit::test::CommandResult k;
  ASSERT_EQ(run_kmpkit(root, kernel_release()).exit_code, 0);

  // 1. A KMP: the seven test modules in updates/kmp-test/.
  fs::create_directories(md + "/updates/kmp-test");
  for (const char* m : {"kmpt_core", "kmpt_mid", "kmpt_leaf", "kmpt_weak", "kmpt_alias", "kmpt_extra", "kmpt-dash"})
    fs::copy_file(test_modules_dir() + "/" + variant + "/" + m + ext, md + "/updates/kmp-test/" + m + ext);
  EXPECT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}, "-v", &k), "");
  EXPECT_NE(k.err.find("4030 modules (7 read, 4023 from the cache; cache: used)"), std::string::npos) << k.err;

  // 2. Shadowing real Debian modules with updates/ copies (ext4 is used by others: jbd2 ...).
  for (const char* m : {"kernel/fs/ext4/ext4", "kernel/fs/jbd2/jbd2", "kernel/drivers/net/ethernet/intel/e1000e/e1000e"}) {
    std::string base = fs::path(m).filename().string();
    fs::copy_file(md + "/" + m + ext, md + "/updates/" + base + ext);
  }
  EXPECT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}, "-v", &k), "");
  EXPECT_NE(k.err.find("4030 modules (3 read, 4027 from the cache; cache: used)"), std::string::npos) << k.err;

  // 3. The KMP removed.
  fs::remove_all(md + "/updates/kmp-test");
  EXPECT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}, "-v", &k), "");
  EXPECT_NE(k.err.find("4023 modules (0 read, 4023 from the cache; cache: used)"), std::string::npos) << k.err;

  // 4. The shadows removed: back to the tree as shipped, which the cache still knows.
  for (const char* base : {"ext4", "jbd2", "e1000e"}) fs::remove(md + "/updates/" + base + ext);
  EXPECT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}, "-v", &k), "");
  EXPECT_NE(k.err.find("4023 modules (3 read, 4020 from the cache; cache: used)"), std::string::npos) << k.err;
}

TEST(depmodRealTree, IncrementalKmpLifecyclePlain) { kmp_lifecycle(copy_tree(kernel_root()), ".ko"); }

TEST(depmodRealTree, IncrementalKmpLifecycleXz) { kmp_lifecycle(copy_tree(recompressed_trees() + "/xz"), ".ko.xz"); }

// Real SIGKILLs at random moments of full runs (reading, building, writing): afterwards (and
// after the recovery any later run does first) the database is the old or the new one, complete.
TEST(depmodRealTree, SigkillAtRandomMoments) {
  std::string root = copy_tree(kernel_root());
  std::string md = moddir(root, kernel_release());
  auto snap = [&] {
    std::map<std::string, std::string> g;
    for (const char* f : kDatabaseFiles) g[f] = fs::exists(md + "/" + f) ? read_text(md + "/" + f) : "<missing>";
    return g;
  };
  ASSERT_EQ(run_kmpkit(root, kernel_release()).exit_code, 0);
  auto old_gen = snap();
  std::map<std::string, std::string> old_files;
  for (const auto& [n, c] : old_gen) old_files[n] = c;
  old_files[kCacheFileName] = read_text(md + "/" + kCacheFileName);

  fs::create_directories(md + "/updates/kmp-test");
  for (const char* m : {"kmpt_core", "kmpt_mid", "kmpt_leaf"})
    fs::copy_file(test_modules_dir() + "/plain/" + m + ".ko", md + "/updates/kmp-test/" + std::string(m) + ".ko");
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(run_kmpkit(root, kernel_release(), {}, "--full").exit_code, 0);
  double full_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  auto new_gen = snap();
  ASSERT_NE(old_gen, new_gen);

  std::mt19937 rng(4242);
  int olds = 0, news = 0;
  for (int i = 0; i < 16; ++i) {
    for (const auto& [n, c] : old_files) write_text(md + "/" + n, c);
    // Delays from 40% to 110% of a full run: most kills land in the reading, some in the writing.
    int delay_ms = static_cast<int>(std::uniform_real_distribution<double>(0.4, 1.1)(rng) * full_ms);
    std::string cmd = shell_quote(kmpkit::test::kmpkit_binary()) + " depmod --full -b " + shell_quote(root) + " " +
                      kernel_release() + " & pid=$!; sleep " + std::to_string(delay_ms / 1000.0) +
                      "; kill -9 $pid 2>/dev/null; wait $pid; exit 0";
    run("bash -c " + shell_quote(cmd));
    auto rec = run(shell_quote(kmpkit::test::kmpkit_binary()) + " depmod --recover -b " + shell_quote(root) + " " +
                   kernel_release());
    ASSERT_EQ(rec.exit_code, 0) << rec.err;
    EXPECT_FALSE(fs::exists(md + "/" + kStagingDirName));
    auto now = snap();
    if (now == old_gen) ++olds;
    else if (now == new_gen) ++news;
    else ADD_FAILURE() << "a mix of generations after a kill at " << delay_ms << " ms";
  }
  std::cout << "kills: " << olds << " left the old database, " << news << " the new one\n";
  EXPECT_EQ(olds + news, 16);
}

}  // namespace
}  // namespace kmpkit::depmod::testing
