// Unit tests of the pieces: the index writer, alias keys, the configuration, the database
// builder on hand-made module data.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "depmod/config.hpp"
#include "depmod/database.hpp"
#include "depmod/index_writer.hpp"
#include "depmod/kmod_hash.hpp"
#include "depmod/module_set.hpp"
#include "test_env.hpp"

namespace kmpkit::depmod {
namespace {

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

TEST(depmodIndexWriter, EmptyIndexIsTheHeaderAndAnEmptyRoot) {
  IndexBuilder idx;
  EXPECT_EQ(idx.write(), be32(0xB007F457) + be32(0x00020001) + be32(12));
}

TEST(depmodIndexWriter, OneKeyPostOrder) {
  IndexBuilder idx;
  idx.insert("a", "x", 1);
  std::string want = be32(0xB007F457) + be32(0x00020001) + be32(22 | 0x20000000);
  want += be32(1) + be32(1) + std::string("x\0", 2);  // the child 'a' at 12: values only
  want += std::string("aa") + be32(12 | 0x40000000);  // the root at 22: children 'a'..'a'
  EXPECT_EQ(idx.write(), want);
}

TEST(depmodIndexWriter, PrefixesAndValueOrder) {
  IndexBuilder idx;
  idx.insert("abcd", "v1", 5);
  idx.insert("abcd", "v2", 1);
  idx.insert("abcd", "v3", 5);
  idx.insert("ab", "w", 0);
  std::string out = idx.write();
  // Node 'a' has prefix "b" (the common rest of "b" and "bcd"), values of "ab", child 'c' with
  // prefix "d" holding v2 (priority 1), then v3 and v1 (priority 5, newest first).
  auto v2 = out.find(std::string("v2\0", 3)), v3 = out.find(std::string("v3\0", 3)), v1 = out.find(std::string("v1\0", 3));
  ASSERT_NE(v1, std::string::npos);
  EXPECT_LT(v2, v3);
  EXPECT_LT(v3, v1);
  EXPECT_NE(out.find(std::string("d\0", 2)), std::string::npos);
  EXPECT_NE(out.find(std::string("b\0c", 3)), std::string::npos);
}

TEST(depmodIndexWriter, KeysSortedWhateverTheInsertionOrder) {
  IndexBuilder a, b;
  std::vector<std::string> keys = {"pci:v00008086d00001502", "pci:v00008086d0000150", "pci:v00008086d00001503",
                                   "usb:v1D6B", "pci:", "p", "zz", "pci:v00008086d00001502"};
  for (size_t i = 0; i < keys.size(); ++i) a.insert(keys[i], "m", static_cast<uint32_t>(i % 3));
  std::vector<std::string> rev(keys.rbegin(), keys.rend());
  for (size_t i = 0; i < rev.size(); ++i) b.insert(rev[i], "m", static_cast<uint32_t>((rev.size() - 1 - i) % 3));
  EXPECT_EQ(a.write(), b.write());
}

TEST(depmodAliasKey, DashesBecomeUnderscoresOutsideBrackets) {
  EXPECT_EQ(normalize_alias("fs-ext4"), "fs_ext4");
  EXPECT_EQ(normalize_alias("platform:a-b[x-y]-c"), "platform:a_b[x-y]_c");
  EXPECT_EQ(normalize_alias("pci:v*d*"), "pci:v*d*");
  EXPECT_EQ(normalize_alias("bad]"), std::nullopt);
  EXPECT_EQ(normalize_alias("bad[x"), std::nullopt);
}

TEST(depmodKmodHash, Properties) {
  EXPECT_EQ(superfast_hash(""), 0u);
  EXPECT_NE(superfast_hash("ext4"), superfast_hash("ext3"));
  EXPECT_LT(hash_order_key("b", 512).bucket, 512u);
}

class depmodConfig : public ::testing::Test {
 protected:
  void write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(dir + "/" + rel).parent_path());
    std::ofstream(dir + "/" + rel) << text;
  }
  std::string dir = kmpkit::test::temp_dir("kmpkit-depmod-conf");
};

TEST_F(depmodConfig, FilesSortedByNameEarlierDirectoryWins) {
  write("a/20-x.conf", "search two\n");
  write("b/20-x.conf", "search ignored\n");
  write("b/10-y.conf", "search one built-in\nexclude a b\n");
  write("b/30.txt", "search notconf\n");
  write("b/.hidden.conf", "search hidden\n");
  auto cfg = load_config({dir + "/a", dir + "/b"}, "6.1.0-56-amd64");
  // Read order: 10-y (b), 20-x (a); each entry prepended: the last read comes first.
  ASSERT_EQ(cfg.searches.size(), 3u);
  EXPECT_EQ(cfg.searches[0].path, "two");
  EXPECT_EQ(cfg.searches[1].kind, SearchEntry::Kind::builtin);
  EXPECT_EQ(cfg.searches[2].path, "one");
  EXPECT_EQ(cfg.excludes, (std::vector<std::string>{"b", "a"}));
}

TEST_F(depmodConfig, DefaultSearchIsUpdatesOverridesMatchTheRelease) {
  write("c.conf",
        "# comment\n\noverride m1 * extra\noverride m2 ^6\\\\.1 updates/x\noverride m3 ^5 extra\n"
        "external 6.1.* /opt/ext\nexternal ^5\\. /opt/no\nbogus line\n");
  auto cfg = load_config({dir}, "6.1.0-56-amd64");
  ASSERT_EQ(cfg.searches.size(), 1u);
  EXPECT_EQ(cfg.searches[0].path, "updates");
  EXPECT_EQ(cfg.overrides, (std::vector<std::string>{"updates/x/m2", "extra/m1"}));
  EXPECT_EQ(cfg.externals, (std::vector<std::string>{"/opt/ext"}));
  EXPECT_EQ(cfg.messages.size(), 1u);
}

TEST_F(depmodConfig, BackslashContinuesALine) {
  write("c.conf", "search a \\\n  b\n");
  auto cfg = load_config({dir + "/c.conf"}, "6.1.0-56-amd64");
  ASSERT_EQ(cfg.searches.size(), 2u);
  EXPECT_EQ(cfg.searches[0].path, "b");
  EXPECT_EQ(cfg.searches[1].path, "a");
}

// Found writing fuzz/fuzz_depmod_config.cpp (seeds fuzz/seeds/depmod_config/crash-*): glibc's regcomp
// took minutes over "(a{1,1000}){1,1000}" and overflowed its stack on 30000 nested parentheses,
// so one depmod.d line hung or crashed kmpkit depmod (kmod's depmod as well). Such a version
// pattern is now reported and the line ignored; ordinary ones still match.
TEST_F(depmodConfig, VersionPatternsBeyondTheLimitsAreIgnoredNotCompiled) {
  write("c.conf", "override m1 (a{1,1000}){1,1000} extra\nexternal " + std::string(30000, '(') + "a" +
                      std::string(30000, ')') + " /x\noverride m2 ^6\\\\.[0-9]{1,3}\\\\.0 updates\n");
  auto cfg = load_config({dir}, "6.1.0-56-amd64");
  EXPECT_EQ(cfg.overrides, (std::vector<std::string>{"updates/m2"}));
  EXPECT_TRUE(cfg.externals.empty());
  ASSERT_EQ(cfg.messages.size(), 2u);
  EXPECT_NE(cfg.messages[0].find("c.conf:1: ignoring a kernel version pattern this complex"), std::string::npos);
}

// Found reading the parser for fuzz/fuzz_depmod_config.cpp (seed crash-long-search-line.conf):
// each entry was inserted at the front of a vector, so a 200 KB file of one "search" line took
// minutes. The order is still kmod's (last read first), in linear time.
TEST_F(depmodConfig, ALongSearchLineTakesLinearTime) {
  std::string line = "search";
  for (int i = 0; i < 200000; ++i) line += " d" + std::to_string(i);
  write("a.conf", line + "\nexclude x y\n");
  write("b.conf", "search last built-in\nexclude z\n");
  auto start = std::chrono::steady_clock::now();
  auto cfg = load_config({dir}, "6.1.0-56-amd64");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_EQ(cfg.searches.size(), 200002u);
  EXPECT_EQ(cfg.searches[0].kind, SearchEntry::Kind::builtin);
  EXPECT_EQ(cfg.searches[1].path, "last");
  EXPECT_EQ(cfg.searches[2].path, "d199999");
  EXPECT_EQ(cfg.searches.back().path, "d0");
  EXPECT_EQ(cfg.excludes, (std::vector<std::string>{"z", "y", "x"}));
}

TEST(depmodPriority, SearchOrderOverrideAndSameDirectoryQuirk) {
  DepmodConfig cfg;
  cfg.searches = {{SearchEntry::Kind::builtin, ""}, {SearchEntry::Kind::path, "extra"},
                  {SearchEntry::Kind::path, "updates"}};  // "search updates extra built-in"
  ModuleFile kernel{"/m/kernel/a/foo.ko", "kernel/a/foo.ko", "foo"};
  ModuleFile upd{"/m/updates/foo.ko", "updates/foo.ko", "foo"};
  ModuleFile upd2{"/m/updates/x/foo.ko.xz", "updates/x/foo.ko.xz", "foo"};
  ModuleFile extra{"/m/extra/foo.ko", "extra/foo.ko", "foo"};
  ModuleFile updates2{"/m/updates2/foo.ko", "updates2/foo.ko", "foo"};
  EXPECT_FALSE(keeps_priority(cfg, kernel, upd));  // updates beats built-in
  EXPECT_TRUE(keeps_priority(cfg, upd, kernel));
  EXPECT_TRUE(keeps_priority(cfg, upd, extra));
  EXPECT_FALSE(keeps_priority(cfg, upd, upd2));       // same directory: the later one wins
  EXPECT_TRUE(keeps_priority(cfg, kernel, updates2));  // "updates" does not hold updates2/
  cfg.overrides = {"kernel/a/foo"};
  EXPECT_TRUE(keeps_priority(cfg, kernel, upd));
  EXPECT_FALSE(keeps_priority(cfg, upd, kernel));
}

ModuleData mod(std::string_view name, std::string_view path, std::vector<std::string_view> exports,
               std::vector<std::string_view> deps, std::vector<std::string_view> aliases = {}) {
  ModuleData m;
  m.name = name;
  m.path = path;
  m.exports = std::move(exports);
  m.dependency_symbols = std::move(deps);
  m.aliases = std::move(aliases);
  return m;
}

TEST(depmodDatabase, ClosureOrderAndDevname) {
  std::vector<ModuleData> mods = {
      mod("a", "kernel/a.ko", {}, {"b_fn", "c_fn", "unknown"}, {"char-major-10-250", "devname:foo", "x"}),
      mod("b", "kernel/b.ko", {"b_fn"}, {".c_fn"}, {"devname:nonum"}),
      mod("c", "kernel/c.ko.xz", {"c_fn"}, {}, {"block-major-8-*", "devname:sda", "block-major-8-0"})};
  KernelLists lists;
  lists.order = "kernel/c.ko\nkernel/a.ko\n";
  auto r = build_database(mods, lists);
  ASSERT_TRUE(r.files);
  EXPECT_EQ((*r.files)[kDep], "kernel/c.ko.xz:\nkernel/a.ko: kernel/b.ko kernel/c.ko.xz\nkernel/b.ko: kernel/c.ko.xz\n");
  EXPECT_EQ((*r.files)[kDevname], "# Device nodes to trigger on-demand module loading.\nc sda b8:0\na foo c10:250\n");
  ASSERT_EQ(r.warnings.size(), 1u);  // b's devname without numbers
  EXPECT_EQ((*r.files)[kBuiltinBin], "");      // no modules.builtin
  EXPECT_EQ((*r.files)[kBuiltinAliasBin], "");
}

TEST(depmodDatabase, CyclesOnePerGroup) {
  std::vector<ModuleData> mods = {mod("a", "a.ko", {"a_fn"}, {"b_fn"}), mod("b", "b.ko", {"b_fn"}, {"a_fn"}),
                                  mod("c", "c.ko", {"c_fn"}, {"c_fn"}), mod("d", "d.ko", {}, {"a_fn"}),
                                  mod("e", "e.ko", {"e_fn"}, {})};
  auto r = build_database(mods, {});
  EXPECT_FALSE(r.files);
  ASSERT_EQ(r.cycles.size(), 2u);
  size_t total = 0;
  for (const auto& c : r.cycles) {
    total += c.group_size;
    EXPECT_EQ(c.path.front(), c.path.back());
  }
  EXPECT_EQ(total, 3u);
}

}  // namespace
}  // namespace kmpkit::depmod
