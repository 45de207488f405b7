// Unit tests of the pieces: the index writer, alias keys, the configuration, the database
// builder on hand-made module data.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include "depmod/cache.hpp"
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


// --- the cache: base and delta (in memory) ----------------------------------------------------

// Entries made as a run makes them for modules it reads (each owns its bytes).
struct Fresh {
  std::vector<std::unique_ptr<std::string>> raw;
  std::vector<std::unique_ptr<CacheEntry>> entries;
  const CacheEntry* add(const std::string& file, uint64_t size, std::vector<std::string_view> exports = {"fn"}) {
    raw.push_back(std::make_unique<std::string>(encode_entry(
        file, {size, 1000 + static_cast<int64_t>(size), 7}, "m", file, false, {"alias:x"}, {},
        exports, {"dep_a", "dep_b"})));
    entries.push_back(std::make_unique<CacheEntry>());
    EXPECT_TRUE(decode_entry(*raw.back(), *entries.back()));
    return entries.back().get();
  }
  // N in-tree modules k/m0.ko ... (sizes 100 + i): the base cache of most tests.
  std::vector<const CacheEntry*> in_tree(int n) {
    std::vector<const CacheEntry*> out;
    for (int i = 0; i < n; ++i) out.push_back(add("k/m" + std::to_string(i) + ".ko", 100 + i));
    return out;
  }
};

const std::string kDir = "/x/lib/modules/6.1.0";

std::vector<std::string> files_of(const ModuleCache& c) {
  std::vector<std::string> out;
  for (size_t i = 0; i < c.size(); ++i) out.emplace_back(c.entry(i).file);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> strings(const StrList& l) {
  std::vector<std::string> out;
  for (auto s : l) out.emplace_back(s);
  return out;
}

std::optional<ModuleCache> parse2(const std::string& base, const std::string* delta, std::string* why = nullptr) {
  if (!delta) return ModuleCache::parse(base, nullptr, kDir, why);
  return ModuleCache::parse(base, nullptr, kDir, why, std::string_view(*delta));
}

TEST(depmodCacheDelta, EntriesDecodeInPlace) {
  Fresh f;
  const CacheEntry* e = f.add("k/a.ko", 10, {"one", "", "three"});
  EXPECT_EQ(e->file, "k/a.ko");
  EXPECT_EQ(e->id, (FileIdentity{10, 1010, 7}));
  EXPECT_EQ(e->data.exports.size(), 3u);
  EXPECT_EQ(strings(e->data.exports), (std::vector<std::string>{"one", "", "three"}));
  EXPECT_EQ(strings(e->data.dependency_symbols), (std::vector<std::string>{"dep_a", "dep_b"}));
  EXPECT_TRUE(e->data.softdeps.empty());
  EXPECT_EQ(strings(e->data.aliases), (std::vector<std::string>{"alias:x"}));
  CacheEntry bad;
  std::string raw(e->raw.substr(0, e->raw.size() - 1));
  EXPECT_FALSE(decode_entry(raw, bad));
}

TEST(depmodCacheDelta, DeltaRemovesReplacesAndAdds) {
  Fresh f;
  std::vector<const CacheEntry*> base_entries = f.in_tree(40);
  std::string base = serialize_cache(kDir, base_entries);
  auto old = parse2(base, nullptr);
  ASSERT_TRUE(old);
  EXPECT_EQ(old->size(), 40u);
  EXPECT_EQ(old->base_entries(), 40u);
  EXPECT_FALSE(old->has_delta());

  // The next run: m3 gone, m5 replaced in place (same path, new size), n1 new.
  std::vector<const CacheEntry*> live;
  for (int i = 0; i < 40; ++i) {
    if (i == 3) continue;
    if (i == 5) live.push_back(f.add("k/m5.ko", 999));
    else live.push_back(old->find("k/m" + std::to_string(i) + ".ko"));
  }
  live.push_back(f.add("u/n1.ko", 77));
  auto w = plan_cache_write(&*old, kDir, live, false, false);
  EXPECT_TRUE(w.base.empty()) << "the base is kept";
  ASSERT_FALSE(w.delta.empty());
  EXPECT_FALSE(w.compacted);
  EXPECT_LT(w.delta.size(), base.size() / 4);

  auto now = parse2(base, &w.delta);
  ASSERT_TRUE(now);
  EXPECT_TRUE(now->has_delta());
  EXPECT_EQ(now->size(), 40u);
  EXPECT_EQ(now->find("k/m3.ko"), nullptr);
  ASSERT_NE(now->find("k/m5.ko"), nullptr);
  EXPECT_EQ(now->find("k/m5.ko")->id.size, 999u);
  EXPECT_EQ(now->find("k/m5.ko")->base_index, UINT32_MAX);
  ASSERT_NE(now->find("u/n1.ko"), nullptr);
  EXPECT_EQ(strings(now->find("u/n1.ko")->data.exports), (std::vector<std::string>{"fn"}));
  ASSERT_NE(now->find("k/m7.ko"), nullptr);
  EXPECT_EQ(now->find("k/m7.ko")->base_index, 7u);
  std::vector<std::string> want;
  for (const auto* e : live) want.emplace_back(e->file);
  std::sort(want.begin(), want.end());
  EXPECT_EQ(files_of(*now), want);

  // Nothing changed since: nothing to write. One more change: a new delta, still on the same base,
  // carrying the earlier delta's entries (copied as they are).
  std::vector<const CacheEntry*> same;
  for (const auto& fname : want) same.push_back(now->find(fname));
  auto w2 = plan_cache_write(&*now, kDir, same, false, true);
  EXPECT_TRUE(w2.base.empty());
  EXPECT_TRUE(w2.delta.empty());
  same.push_back(f.add("u/n2.ko", 78));
  auto w3 = plan_cache_write(&*now, kDir, same, false, true);
  EXPECT_TRUE(w3.base.empty());
  auto third = parse2(base, &w3.delta);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->size(), 41u);
  EXPECT_NE(third->find("u/n1.ko"), nullptr);
  EXPECT_NE(third->find("u/n2.ko"), nullptr);
  EXPECT_EQ(third->find("k/m3.ko"), nullptr);
}

TEST(depmodCacheDelta, UnchangedBaseWithoutDeltaWritesNothing) {
  Fresh f;
  std::vector<const CacheEntry*> entries = f.in_tree(10);
  std::string base = serialize_cache(kDir, entries);
  auto old = parse2(base, nullptr);
  ASSERT_TRUE(old);
  std::vector<const CacheEntry*> live;
  for (size_t i = 0; i < old->size(); ++i) live.push_back(&old->entry(i));
  auto w = plan_cache_write(&*old, kDir, live, false, false);
  EXPECT_TRUE(w.base.empty());
  EXPECT_TRUE(w.delta.empty());
}

TEST(depmodCacheDelta, CompactedWhenTheDeltaGrowsPastAQuarterOrOnRequest) {
  Fresh f;
  std::vector<const CacheEntry*> entries = f.in_tree(20);
  std::string base = serialize_cache(kDir, entries);
  auto old = parse2(base, nullptr);
  ASSERT_TRUE(old);
  std::vector<const CacheEntry*> live;
  for (int i = 0; i < 20; ++i) live.push_back(old->find("k/m" + std::to_string(i) + ".ko"));
  // 4 new entries of 20: 20 % of the base, a delta.
  for (int i = 0; i < 4; ++i) live.push_back(f.add("u/a" + std::to_string(i) + ".ko", 50 + i));
  auto w = plan_cache_write(&*old, kDir, live, false, false);
  EXPECT_TRUE(w.base.empty());
  EXPECT_FALSE(w.delta.empty());
  // And one removal more: past a quarter (added + removed bytes), a new base.
  live.erase(live.begin());
  live.push_back(f.add("u/b.ko", 60));
  auto c = plan_cache_write(&*old, kDir, live, false, false);
  EXPECT_TRUE(c.compacted);
  ASSERT_FALSE(c.base.empty());
  EXPECT_TRUE(c.delta.empty()) << "no delta on disk: the base alone";
  auto nb = parse2(c.base, nullptr);
  ASSERT_TRUE(nb);
  EXPECT_EQ(nb->size(), live.size());
  EXPECT_EQ(nb->base_entries(), live.size());
  // With a delta on disk, the new base comes with an empty delta bound to it.
  auto c2 = plan_cache_write(&*old, kDir, live, false, true);
  ASSERT_FALSE(c2.delta.empty());
  auto nb2 = parse2(c2.base, &c2.delta);
  ASSERT_TRUE(nb2);
  EXPECT_EQ(nb2->size(), live.size());
  // The old delta is not valid for the new base.
  std::string why;
  EXPECT_FALSE(parse2(c2.base, &w.delta, &why));
  // --full and no usable cache: a new base.
  EXPECT_TRUE(plan_cache_write(&*old, kDir, std::vector<const CacheEntry*>(entries), true, false).compacted);
  EXPECT_TRUE(plan_cache_write(nullptr, kDir, entries, false, false).compacted);
}

TEST(depmodCacheDelta, CorruptOrForeignDeltaIsRefused) {
  Fresh f;
  std::vector<const CacheEntry*> entries = f.in_tree(40);
  std::string base = serialize_cache(kDir, entries);
  auto old = parse2(base, nullptr);
  ASSERT_TRUE(old);
  std::vector<const CacheEntry*> live;
  for (int i = 1; i < 40; ++i) live.push_back(old->find("k/m" + std::to_string(i) + ".ko"));
  live.push_back(f.add("u/n.ko", 5));
  std::string delta = plan_cache_write(&*old, kDir, live, false, false).delta;
  ASSERT_FALSE(delta.empty());
  ASSERT_TRUE(parse2(base, &delta));
  std::string why;
  for (size_t at : {size_t{40}, delta.size() / 2, delta.size() - 1}) {
    std::string bad = delta;
    bad[at] ^= 0x20;
    EXPECT_FALSE(parse2(base, &bad, &why)) << at;
    EXPECT_EQ(why, "corrupt: delta checksum mismatch") << at;
  }
  std::string cut = delta.substr(0, delta.size() - 3);
  EXPECT_FALSE(parse2(base, &cut, &why));
  EXPECT_EQ(why, "corrupt: delta truncated or padded");
  std::string empty;
  EXPECT_FALSE(parse2(base, &empty, &why));
  EXPECT_EQ(why, "corrupt: not a kmpkit depmod cache delta");
  std::string stale = delta;
  stale[8] = 9;
  EXPECT_FALSE(parse2(base, &stale, &why));
  EXPECT_EQ(why.rfind("stale: delta format 9", 0), 0u) << why;
  // Bound to another base (the same entries but one).
  std::string other = serialize_cache(kDir, std::vector<const CacheEntry*>(entries.begin(), entries.end() - 1));
  EXPECT_FALSE(parse2(other, &delta, &why));
  EXPECT_EQ(why, "stale: the delta was made for another base file");
  // A corrupt base is named as before, whatever the delta.
  std::string bad_base = base;
  bad_base[base.size() / 2] ^= 1;
  EXPECT_FALSE(parse2(bad_base, &delta, &why));
  EXPECT_EQ(why, "corrupt: checksum mismatch");
}

}  // namespace
}  // namespace kmpkit::depmod
