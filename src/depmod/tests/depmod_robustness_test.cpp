// Cycles, unreadable modules, interrupted writes (fault injection) and cache checks.
#include <elf.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include <functional>
#include <map>

#include "depmod/cache.hpp"
#include "depmod/store.hpp"
#include "depmod_test_util.hpp"

namespace kmpkit::depmod::testing {
namespace {

using kmpkit::test::kernel_release;
using kmpkit::test::temp_dir;
using kmpkit::test::test_modules_dir;

const std::vector<std::string> kAll = {"kmpt_core", "kmpt_mid", "kmpt_leaf", "kmpt_weak",
                                       "kmpt_alias", "kmpt_extra", "kmpt-dash"};

std::string make_tree(const std::vector<std::string>& modules, const std::string& sub = "kernel/kmpt") {
  std::string root = temp_dir("kmpkit-depmod-test");
  std::string dir = moddir(root, kernel_release()) + "/" + sub;
  fs::create_directories(dir);
  for (const auto& m : modules) fs::copy_file(test_modules_dir() + "/plain/" + m + ".ko", dir + "/" + m + ".ko");
  return root;
}

// Renames entries of a plain module's __versions table (64-byte records: 8-byte CRC, 56-byte
// name), which libkmod lists among the dependency symbols: a cheap way to make a module need a
// symbol another module exports.
void patch_versions(const std::string& file, const std::map<std::string, std::string>& renames) {
  std::string data = read_text(file);
  ASSERT_GE(data.size(), sizeof(Elf64_Ehdr));
  Elf64_Ehdr eh;
  std::memcpy(&eh, data.data(), sizeof eh);
  std::vector<Elf64_Shdr> sh(eh.e_shnum);
  std::memcpy(sh.data(), data.data() + eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr));
  const char* names = data.data() + sh[eh.e_shstrndx].sh_offset;
  size_t patched = 0;
  for (const auto& s : sh) {
    if (std::string(names + s.sh_name) != "__versions") continue;
    for (size_t off = s.sh_offset; off + 64 <= s.sh_offset + s.sh_size; off += 64) {
      std::string name(data.data() + off + 8);
      auto it = renames.find(name);
      if (it == renames.end()) continue;
      ASSERT_LT(it->second.size(), 56u);
      std::memset(data.data() + off + 8, 0, 56);
      std::memcpy(data.data() + off + 8, it->second.data(), it->second.size());
      ++patched;
    }
  }
  ASSERT_EQ(patched, renames.size()) << file;
  write_text(file, data);
}

std::string kmpt(const std::string& root, const std::string& m) {
  return moddir(root, kernel_release()) + "/kernel/kmpt/" + m + ".ko";
}

std::vector<std::string> listing(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// --- dependency cycles ------------------------------------------------------------------------

TEST(depmodCycle, ReportedOnceBoundedExit4NothingWritten) {
  // core needs mid and extra, extra needs core, mid needs core: one strongly connected group
  // {core, mid, extra}; leaf and weak use it. extra also needs itself: no new group.
  std::string root = make_tree(kAll);
  patch_versions(kmpt(root, "kmpt_core"), {{"module_layout", "kmpt_mid_twice"}, {"_printk", "kmpt_extra_fn"}});
  patch_versions(kmpt(root, "kmpt_extra"), {{"module_layout", "kmpt_core_add"}});
  std::string md = moddir(root, kernel_release());
  write_text(md + "/modules.dep", "old\n");
  auto before = listing(md);

  auto r = run_kmpkit(root, kernel_release());
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_LT(r.err.size(), 4000u) << r.err;
  EXPECT_NE(r.err.find("1 dependency cycle(s) among 3 modules"), std::string::npos) << r.err;
  // One shortest cycle through the group's first module in depmod's order, named once.
  EXPECT_NE(r.err.find("kmpt_extra -> kmpt_core -> kmpt_extra  (3 modules are in this cycle group)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("nothing written"), std::string::npos) << r.err;
  EXPECT_EQ(listing(md), before);
  EXPECT_EQ(read_text(md + "/modules.dep"), "old\n");

  // Debian's depmod refuses the tree too (its report is capped here).
  auto o = run_oracle(root, kernel_release());
  EXPECT_NE(o.exit_code, 0);
  EXPECT_EQ(read_text(md + "/modules.dep"), "old\n");
}

TEST(depmodCycle, EachCycleOnce) {
  // Two separate cycles: core <-> mid, and extra -> itself.
  std::string root = make_tree(kAll);
  patch_versions(kmpt(root, "kmpt_core"), {{"module_layout", "kmpt_mid_twice"}});
  patch_versions(kmpt(root, "kmpt_extra"), {{"module_layout", "kmpt_extra_fn"}});
  auto r = run_kmpkit(root, kernel_release());
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("2 dependency cycle(s) among 3 modules"), std::string::npos) << r.err;
  auto count = [&](const std::string& s) {
    size_t n = 0;
    for (size_t p = r.err.find(s); p != std::string::npos; p = r.err.find(s, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("kmpt_extra -> kmpt_extra"), 1u) << r.err;
  EXPECT_EQ(count("-> kmpt_core\n") + count("-> kmpt_mid\n"), 1u) << r.err;
  EXPECT_FALSE(fs::exists(moddir(root, kernel_release()) + "/modules.dep"));
  EXPECT_FALSE(fs::exists(moddir(root, kernel_release()) + "/" + kCacheFileName));
}

TEST(depmodCycle, ManyCyclesOutputStaysBounded) {
  // 60 self-dependent copies (each its own cycle): the report is capped.
  std::string root = temp_dir("kmpkit-depmod-test");
  std::string dir = moddir(root, kernel_release()) + "/kernel";
  fs::create_directories(dir);
  std::string self = dir + "/template.ko";
  fs::copy_file(test_modules_dir() + "/plain/kmpt_extra.ko", self);
  patch_versions(self, {{"module_layout", "kmpt_extra_fn"}});
  for (int i = 0; i < 60; ++i) {
    // Every copy exports kmpt_extra_fn; the last one found owns it and needs itself; the other
    // copies need it too: one self cycle (the owner) whatever the count. Give each its own
    // module name and its own dependency on the owner: still one group.
    fs::copy_file(self, dir + "/cyc" + std::to_string(i) + ".ko");
  }
  fs::remove(self);
  auto r = run_kmpkit(root, kernel_release());
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_LT(r.err.size(), 20000u);
}

// --- unreadable modules -----------------------------------------------------------------------

TEST(depmodUnreadable, NamedExit1NothingWritten) {
  std::string root = make_tree(kAll);
  std::string md = moddir(root, kernel_release());
  write_text(md + "/kernel/bad/garbage.ko", std::string(4096, 'x'));
  std::string xz = read_text(test_modules_dir() + "/xz/kmpt_core.ko.xz");
  write_text(md + "/kernel/bad/truncated.ko.xz", xz.substr(0, xz.size() / 2));
  auto r = run_kmpkit(root, kernel_release());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("kernel/bad/garbage.ko"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("kernel/bad/truncated.ko.xz"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing written"), std::string::npos) << r.err;
  for (const char* f : kDatabaseFiles) EXPECT_FALSE(fs::exists(md + "/" + f)) << f;
  EXPECT_FALSE(fs::exists(md + "/" + std::string(kCacheFileName)));

  // With a database in place: it stays as it was.
  fs::remove(md + "/kernel/bad/garbage.ko");
  fs::remove(md + "/kernel/bad/truncated.ko.xz");
  ASSERT_EQ(run_kmpkit(root, kernel_release()).exit_code, 0);
  auto db = database_files(md);
  write_text(md + "/kernel/bad/garbage.ko", "\x7f" "ELF garbage");
  r = run_kmpkit(root, kernel_release());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(compare_databases(db, database_files(md)), "");
}

// The package triggers' mode (issue 14): one unreadable module must not stop every later update.
// The database is written as kmod's depmod writes it (the module listed, without its data), the
// module is named with its package when the root has an rpm database, exit 1; the module is not
// cached, so the next run warns again.
TEST(depmodUnreadable, SkipUnreadableWritesWhatKmodWrites) {
  std::string root = make_tree(kAll);
  std::string md = moddir(root, kernel_release());
  write_text(md + "/kernel/bad/garbage.ko", std::string(4096, 'x'));
  auto o = run_oracle(root, kernel_release());
  ASSERT_EQ(o.exit_code, 0) << o.out;  // kmod: an error line, the database written anyway
  auto want = database_files(md);
  for (const char* f : kDatabaseFiles) fs::remove(md + "/" + std::string(f));

  auto r = run_kmpkit(root, kernel_release(), {}, "-a --skip-unreadable");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("kernel/bad/garbage.ko: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("WARNING: 1 module(s) could not be read"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("kmpkit verify` fails"), std::string::npos) << r.err;
  EXPECT_EQ(compare_databases(want, database_files(md)), "");
  EXPECT_NE(read_text(md + "/modules.dep").find("kernel/bad/garbage.ko:\n"), std::string::npos);

  // Again (from the cache): still named, still the same database.
  r = run_kmpkit(root, kernel_release(), {}, "--skip-unreadable");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("kernel/bad/garbage.ko: "), std::string::npos) << r.err;
  EXPECT_EQ(compare_databases(want, database_files(md)), "");

  // Without the flag (an explicit run): strict, nothing written, and it says how to go on.
  fs::remove(md + "/modules.dep");
  r = run_kmpkit(root, kernel_release());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nothing written"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--skip-unreadable"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(md + "/modules.dep"));
}

// The modules are read on a pool of threads: one thread or many, the same database byte for byte
// (Debian's depmod's) and the same report of a bad module among many, in the same order.
TEST(depmodThreads, OneOrManyReaderThreadsSameDatabaseAndErrors) {
  std::string root = make_tree(kAll);
  std::string md = moddir(root, kernel_release());
  for (const char* kind : {"xz", "zst"}) {
    std::string dir = md + "/kernel/" + kind;
    fs::create_directories(dir);
    for (const auto& e : fs::directory_iterator(test_modules_dir() + "/" + kind)) {
      std::string name = e.path().filename().string();
      fs::copy_file(e.path(), dir + "/" + std::string(kind) + "_" + name);
    }
  }
  write_text(md + "/kernel/bad/garbage.ko", std::string(4096, 'x'));
  std::string xz = read_text(test_modules_dir() + "/xz/kmpt_core.ko.xz");
  write_text(md + "/kernel/bad/truncated.ko.xz", xz.substr(0, xz.size() / 2));
  auto o = run_oracle(root, kernel_release());
  ASSERT_EQ(o.exit_code, 0) << o.out;
  auto want = database_files(md);
  std::string first_err;
  for (const char* threads : {"1", "2", "7"}) {
    SCOPED_TRACE(threads);
    for (const char* f : kDatabaseFiles) fs::remove(md + "/" + std::string(f));
    auto r = run_kmpkit(root, kernel_release(), {}, std::string("--full --skip-unreadable -j ") + threads);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(compare_databases(want, database_files(md)), "");
    if (first_err.empty()) first_err = r.err;
    EXPECT_EQ(r.err, first_err);
  }
  EXPECT_NE(first_err.find("kernel/bad/garbage.ko: "), std::string::npos) << first_err;
  EXPECT_NE(first_err.find("kernel/bad/truncated.ko.xz: corrupt or truncated xz"), std::string::npos) << first_err;
}

TEST(depmodUsage, MissingTreeExit3) {
  auto r = run_kmpkit(temp_dir("kmpkit-depmod-test"), kernel_release());
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST(depmodUsage, DryRunPrintsTextFilesWritesNothing) {
  std::string root = make_tree(kAll);
  std::string md = moddir(root, kernel_release());
  auto r = run_kmpkit(root, kernel_release(), {}, "-n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(md + "/modules.dep"));
  auto o = run("cd / && " + std::string(kOracle) + " -n -b " + shell_quote(root) + " " + kernel_release() + " 2>/dev/null");
  EXPECT_EQ(r.out, o.out);
}

// --- interrupted writes ------------------------------------------------------------------------

struct Generation {
  std::map<std::string, std::string> files;  // the ten files, the cache and its delta
};

Generation snapshot(const std::string& md) {
  Generation g;
  for (const char* f : kDatabaseFiles) g.files[f] = fs::exists(md + "/" + f) ? read_text(md + "/" + f) : "<missing>";
  for (const char* f : {kCacheFileName, kCacheDeltaFileName})
    g.files[f] = fs::exists(md + "/" + f) ? read_text(md + "/" + f) : "<missing>";
  return g;
}

void restore(const std::string& md, const Generation& g) {
  fs::remove_all(md + "/" + kStagingDirName);
  for (const auto& [name, content] : g.files) {
    if (content == "<missing>") fs::remove(md + "/" + name);
    else write_text(md + "/" + name, content);
  }
}

// A tree big enough that a change of a module or two stays below a quarter of the cache, so that
// a run writes a delta: the seven test modules, plus eight copies of each under their own names.
std::string make_padded_tree() {
  std::string root = make_tree(kAll);
  std::string pad = moddir(root, kernel_release()) + "/kernel/pad";
  fs::create_directories(pad);
  for (int i = 0; i < 8; ++i)
    for (const auto& m : kAll)
      fs::copy_file(test_modules_dir() + "/plain/" + m + ".ko", pad + "/" + m + "_p" + std::to_string(i) + ".ko");
  return root;
}

// Runs kmpkit on `root`, applies `change`, runs it again; then kills the second run after every
// write step and checks that the recovery gives exactly the old or the new generation.
void killed_after_every_write_step(const std::string& root, const std::function<void()>& change) {
  std::string md = moddir(root, kernel_release());
  ASSERT_EQ(run_kmpkit(root, kernel_release()).exit_code, 0);
  Generation old_gen = snapshot(md);
  change();
  ASSERT_EQ(run_kmpkit(root, kernel_release()).exit_code, 0);
  Generation new_gen = snapshot(md);
  ASSERT_NE(old_gen.files, new_gen.files);
  ASSERT_NE(old_gen.files["modules.dep"], new_gen.files["modules.dep"]);

  // The ten files are always staged; the cache and the delta when they change.
  const size_t files = kDatabaseFileCount + (old_gen.files[kCacheFileName] != new_gen.files[kCacheFileName]) +
                       (old_gen.files[kCacheDeltaFileName] != new_gen.files[kCacheDeltaFileName]);
  const size_t steps = commit_steps(files);
  const size_t commit_point = files + 1;  // staged files and COMMIT.tmp written: next is the rename
  for (size_t n = 0; n <= steps + 1; ++n) {
    SCOPED_TRACE("KMPKIT_FAULT_AFTER_WRITES=" + std::to_string(n));
    restore(md, old_gen);
    auto r = run("KMPKIT_FAULT_AFTER_WRITES=" + std::to_string(n) + " " +
                 shell_quote(kmpkit::test::kmpkit_binary()) + " depmod -b " + shell_quote(root) + " " +
                 kernel_release());
    EXPECT_EQ(r.exit_code, n <= steps ? 128 + 9 : 0) << r.err;
    // Whatever the files look like now, the recovery (done first by any later run) settles them.
    auto rec = run(shell_quote(kmpkit::test::kmpkit_binary()) + " depmod --recover -b " + shell_quote(root) + " " +
                   kernel_release());
    ASSERT_EQ(rec.exit_code, 0) << rec.err;
    EXPECT_FALSE(fs::exists(md + "/" + kStagingDirName));
    Generation now = snapshot(md);
    if (n <= commit_point) EXPECT_TRUE(now.files == old_gen.files) << "expected the old generation";
    else EXPECT_TRUE(now.files == new_gen.files) << "expected the new generation";
  }
  // A normal run after a kill also recovers first, then writes the new generation.
  restore(md, old_gen);
  run("KMPKIT_FAULT_AFTER_WRITES=" + std::to_string(files + 5) + " " + shell_quote(kmpkit::test::kmpkit_binary()) +
      " depmod -b " + shell_quote(root) + " " + kernel_release());
  auto r = run(shell_quote(kmpkit::test::kmpkit_binary()) + " depmod -v -b " + shell_quote(root) + " " + kernel_release());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
  EXPECT_TRUE(snapshot(md).files == new_gen.files);
}

TEST(depmodAtomicity, KilledAfterEveryWriteStepLeavesOldOrNew) {
  // Seven modules: any change rewrites the whole cache (the delta would pass a quarter of it).
  std::string root = make_tree(kAll);
  std::string md = moddir(root, kernel_release());
  killed_after_every_write_step(root, [&] {
    // A shadowing copy in updates/ and one module fewer.
    fs::create_directories(md + "/updates");
    fs::copy_file(test_modules_dir() + "/zst/kmpt_core.ko.zst", md + "/updates/kmpt_core.ko.zst");
    fs::remove(md + "/kernel/kmpt/kmpt_alias.ko");
  });
}

TEST(depmodAtomicity, KilledAfterEveryWriteStepLeavesOldOrNewWithADelta) {
  std::string root = make_padded_tree();
  std::string md = moddir(root, kernel_release());
  killed_after_every_write_step(root, [&] {
    fs::create_directories(md + "/updates");
    fs::copy_file(test_modules_dir() + "/zst/kmpt_core.ko.zst", md + "/updates/kmpt_core.ko.zst");
  });
  EXPECT_TRUE(fs::exists(md + "/" + kCacheDeltaFileName));
}

// --- the cache -----------------------------------------------------------------------------------

class depmodCache : public ::testing::Test {
 protected:
  void SetUp() override {
    root = make_tree(kAll);
    md = moddir(root, kernel_release());
    ASSERT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}), "");
    cache = md + "/" + kCacheFileName;
    ASSERT_TRUE(fs::exists(cache));
  }
  // Runs kmpkit -v; checks the output against the oracle; returns kmpkit's stderr.
  std::string check() {
    kmpkit::test::CommandResult k;
    EXPECT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}, "-v", &k), "");
    return k.err;
  }
  std::string root, md, cache;
};

TEST_F(depmodCache, UnchangedTreeReadsNothing) {
  EXPECT_NE(check().find("(0 read, 7 from the cache; cache: used)"), std::string::npos);
}

TEST_F(depmodCache, ChangedModuleIsReread) {
  fs::remove(md + "/kernel/kmpt/kmpt_mid.ko");
  fs::copy_file(test_modules_dir() + "/plain/kmpt_mid.ko", md + "/kernel/kmpt/kmpt_mid.ko");
  EXPECT_NE(check().find("(1 read, 6 from the cache; cache: used)"), std::string::npos);
  // Same content, new mtime: re-read too.
  run("touch -d '2001-01-01' " + shell_quote(md + "/kernel/kmpt/kmpt_leaf.ko"));
  EXPECT_NE(check().find("(1 read, 6 from the cache"), std::string::npos);
}

TEST_F(depmodCache, CorruptCacheIsDetectedAndRebuilt) {
  std::string c = read_text(cache);
  c[c.size() / 2] ^= 0x40;
  write_text(cache, c);
  EXPECT_NE(check().find("cache: corrupt: checksum mismatch"), std::string::npos);
  EXPECT_NE(check().find("cache: used"), std::string::npos);  // rewritten
  write_text(cache, read_text(cache).substr(0, 100));
  EXPECT_NE(check().find("cache: corrupt"), std::string::npos);
  write_text(cache, "");
  EXPECT_NE(check().find("cache: corrupt"), std::string::npos);
  write_text(cache, std::string(100, '\0'));
  EXPECT_NE(check().find("cache: corrupt: not a kmpkit depmod cache"), std::string::npos);
}

TEST_F(depmodCache, StaleFormatIsDetected) {
  std::string c = read_text(cache);
  c[8] = static_cast<char>(kCacheFormatVersion + 1);
  write_text(cache, c);
  EXPECT_NE(check().find("cache: stale: cache format"), std::string::npos);
  c = read_text(cache);
  c[12] = static_cast<char>(kCacheReaderVersion + 7);
  write_text(cache, c);
  EXPECT_NE(check().find("cache: stale: reader version"), std::string::npos);
}

TEST_F(depmodCache, ForeignCacheIsDetected) {
  std::string other = make_tree({"kmpt_core", "kmpt_mid"});
  ASSERT_EQ(run_kmpkit(other, kernel_release()).exit_code, 0);
  fs::copy_file(moddir(other, kernel_release()) + "/" + kCacheFileName, cache, fs::copy_options::overwrite_existing);
  EXPECT_NE(check().find("cache: foreign: made for " + moddir(other, kernel_release())), std::string::npos);
}

TEST_F(depmodCache, FullIgnoresTheCache) {
  kmpkit::test::CommandResult k;
  EXPECT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}, "-v --full", &k), "");
  EXPECT_NE(k.err.find("(7 read, 0 from the cache; cache: not used (--full))"), std::string::npos) << k.err;
}

TEST_F(depmodCache, QuickModeSkipsWhenUpToDate) {
  auto r = run_kmpkit(root, kernel_release(), {}, "-A -v");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("up to date"), std::string::npos) << r.err;
}


// --- the cache's delta (end to end, against depmod) --------------------------------------------

class depmodCacheDeltaRun : public ::testing::Test {
 protected:
  void SetUp() override {
    root = make_padded_tree();
    md = moddir(root, kernel_release());
    ASSERT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}), "");
    cache = md + "/" + kCacheFileName;
    delta = md + "/" + kCacheDeltaFileName;
    ASSERT_TRUE(fs::exists(cache));
    EXPECT_FALSE(fs::exists(delta)) << "a first run writes the base alone";
  }
  std::string check(const std::string& extra = "-v") {
    kmpkit::test::CommandResult k;
    EXPECT_EQ(oracle_vs_kmpkit(root, kernel_release(), {}, extra, &k), "");
    return k.err;
  }
  // A KMP: a copy of kmpt_leaf shadowing the tree's, and a module of a new name.
  void install_kmp() {
    fs::create_directories(md + "/updates/kmp");
    fs::copy_file(test_modules_dir() + "/plain/kmpt_leaf.ko", md + "/updates/kmp/kmpt_leaf.ko");
    fs::copy_file(test_modules_dir() + "/xz/kmpt_extra.ko.xz", md + "/updates/kmp/kmpt_new.ko.xz");
  }
  static constexpr size_t kEmptyDelta = 56;  // header and an empty payload
  std::string root, md, cache, delta;
};

TEST_F(depmodCacheDeltaRun, IncrementalRunsWriteADeltaAndKeepTheBase) {
  const std::string base = read_text(cache);
  install_kmp();
  EXPECT_NE(check().find("(2 read, 62 from the cache; cache: used)"), std::string::npos);
  EXPECT_EQ(read_text(cache), base) << "the base is not rewritten";
  ASSERT_TRUE(fs::exists(delta));
  const std::string d1 = read_text(delta);
  EXPECT_LT(d1.size() * 4, base.size());
  // Nothing changed: nothing read, nothing written.
  auto mtime = fs::last_write_time(delta);
  EXPECT_NE(check().find("(0 read, 64 from the cache; cache: used)"), std::string::npos);
  EXPECT_EQ(read_text(delta), d1);
  EXPECT_EQ(fs::last_write_time(delta), mtime);
  // The KMP removed: the shadowed module is back (read again: the delta had dropped it).
  fs::remove_all(md + "/updates");
  EXPECT_NE(check().find("(1 read, 62 from the cache; cache: used)"), std::string::npos);
  EXPECT_EQ(read_text(cache), base);
  EXPECT_NE(check().find("(0 read, 63 from the cache; cache: used)"), std::string::npos);
}

TEST_F(depmodCacheDeltaRun, FileReplacedInPlaceIsNoticed) {
  install_kmp();
  check();
  // Rewritten in place (same inode, same size, new mtime) with another dependency: kmpt_leaf now
  // needs what kmpt_extra exports.
  const std::string leaf = md + "/kernel/kmpt/kmpt_leaf.ko";
  const std::string in_kmp = md + "/updates/kmp/kmpt_leaf.ko";
  auto ino = [](const std::string& f) {
    struct stat st {};
    ::stat(f.c_str(), &st);
    return st.st_ino;
  };
  auto before = ino(in_kmp);
  auto size = fs::file_size(in_kmp);
  patch_versions(in_kmp, {{"module_layout", "kmpt_extra_fn"}});
  ASSERT_EQ(ino(in_kmp), before);
  ASSERT_EQ(fs::file_size(in_kmp), size);
  std::string err = check();
  EXPECT_NE(err.find("(1 read, 63 from the cache; cache: used)"), std::string::npos) << err;
  EXPECT_NE(read_text(md + "/modules.dep").find("updates/kmp/kmpt_leaf.ko: "), std::string::npos);
  // Replaced by a new file (new inode) of the same size with the old mtime: noticed by the inode.
  const std::string mid = md + "/kernel/kmpt/kmpt_mid.ko";
  std::string copy = mid + ".new";
  fs::copy_file(mid, copy);
  patch_versions(copy, {{"module_layout", "kmpt_extra_fn"}});
  ASSERT_EQ(run("touch -r " + shell_quote(mid) + " " + shell_quote(copy)).exit_code, 0);
  before = ino(mid);
  fs::rename(copy, mid);
  ASSERT_NE(ino(mid), before);
  err = check();
  EXPECT_NE(err.find("(1 read, 63 from the cache; cache: used)"), std::string::npos) << err;
  // And the tree's kmpt_leaf, shadowed all along, is back when the KMP goes.
  fs::remove_all(md + "/updates");
  err = check();
  EXPECT_NE(err.find("(1 read, 62 from the cache; cache: used)"), std::string::npos) << err;
  (void)leaf;
}

TEST_F(depmodCacheDeltaRun, CorruptDeltaIsReportedAndNotUsed) {
  install_kmp();
  check();
  ASSERT_TRUE(fs::exists(delta));
  const std::string good = read_text(delta);
  std::string bad = good;
  bad[bad.size() - 5] ^= 0x10;
  write_text(delta, bad);
  std::string err = check();
  EXPECT_NE(err.find("(64 read, 0 from the cache; cache: corrupt: delta checksum mismatch)"), std::string::npos)
      << err;
  // Rewritten: a new base, and an empty delta bound to it.
  EXPECT_EQ(fs::file_size(delta), kEmptyDelta);
  EXPECT_NE(check().find("(0 read, 64 from the cache; cache: used)"), std::string::npos);
  // The old delta beside the new base: made for another base, not used.
  write_text(delta, good);
  err = check();
  EXPECT_NE(err.find("(64 read, 0 from the cache; cache: stale: the delta was made for another base file)"),
            std::string::npos)
      << err;
  write_text(delta, good.substr(0, 20));
  EXPECT_NE(check().find("cache: corrupt: not a kmpkit depmod cache delta"), std::string::npos);
  EXPECT_NE(check().find("cache: used"), std::string::npos);
}

TEST_F(depmodCacheDeltaRun, CompactedWhenItGrowsAndOnFull) {
  install_kmp();
  check();
  ASSERT_TRUE(fs::exists(delta));
  const std::string base = read_text(cache);
  // Many new modules at once: past a quarter of the base, a new base and an empty delta.
  std::string more = md + "/updates/more";
  fs::create_directories(more);
  for (int i = 0; i < 3; ++i)
    for (const auto& m : kAll)
      fs::copy_file(test_modules_dir() + "/plain/" + m + ".ko", more + "/" + m + "_m" + std::to_string(i) + ".ko");
  EXPECT_NE(check().find("(21 read, 64 from the cache; cache: used)"), std::string::npos);
  EXPECT_NE(read_text(cache), base);
  EXPECT_EQ(fs::file_size(delta), kEmptyDelta);
  EXPECT_NE(check().find("(0 read, 85 from the cache; cache: used)"), std::string::npos);
  // A small change, then --full: the delta is folded into a new base.
  fs::remove_all(more);
  check();
  EXPECT_GT(fs::file_size(delta), kEmptyDelta);
  const std::string before_full = read_text(cache);
  EXPECT_NE(check("-v --full").find("(64 read, 0 from the cache; cache: not used (--full))"), std::string::npos);
  EXPECT_NE(read_text(cache), before_full);
  EXPECT_EQ(fs::file_size(delta), kEmptyDelta);
  EXPECT_NE(check().find("(0 read, 64 from the cache; cache: used)"), std::string::npos);
}

}  // namespace
}  // namespace kmpkit::depmod::testing
