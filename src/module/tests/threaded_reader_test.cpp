// read_modules on many threads with the lean reader first (what depmod does): the same records
// and the same errors, in input order, as libkmod alone on one thread — whatever the thread count
// and wherever bad files sit among good ones.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "module/module_reader.hpp"
#include "test_env.hpp"

namespace fs = std::filesystem;
using namespace kmpkit;
using namespace kmpkit::test;

namespace {

constexpr unsigned kDepmodParts = kReadExports | kReadDependencySymbols;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// Every test module in plain, xz and zstd, several copies, with a bad file after every few good
// ones (truncated xz and zstd, garbage, empty, a 32-bit ELF).
std::vector<std::string> mixed_files(const std::string& dir) {
  const std::string mods = test_modules_dir();
  std::vector<std::string> bad;
  std::string xz = slurp(mods + "/xz/kmpt_core.ko.xz");
  std::string zst = slurp(mods + "/zst/kmpt_core.ko.zst");
  std::string elf32 = "\x7F" "ELF\x01\x01\x01";
  elf32.resize(200, '\0');
  const std::pair<const char*, std::string> broken[] = {
      {"truncated.ko.xz", xz.substr(0, xz.size() / 2)}, {"truncated.ko.zst", zst.substr(0, zst.size() / 2)},
      {"flipped.ko.xz", xz.substr(0, 100) + std::string(1, char(xz[100] ^ 0x55)) + xz.substr(101)},
      {"garbage.ko", std::string(4096, 'x')}, {"empty.ko", ""}, {"elf32.ko", elf32},
      {"truncated.ko", slurp(mods + "/plain/kmpt_alias.ko").substr(0, 3000)}};
  for (const auto& [name, bytes] : broken) {
    bad.push_back(dir + "/bad-" + name);
    write_bytes(bad.back(), bytes);
  }
  std::vector<std::string> files;
  size_t next_bad = 0;
  for (int copy = 0; copy < 6; ++copy)
    for (const char* kind : {"plain", "xz", "zst"})
      for (const auto& e : fs::directory_iterator(mods + "/" + kind)) {
        std::string to = dir + "/c" + std::to_string(copy) + "-" + e.path().filename().string();
        fs::copy_file(e.path(), to);
        files.push_back(to);
        if (files.size() % 9 == 0 && next_bad < bad.size()) files.push_back(bad[next_bad++]);
      }
  while (next_bad < bad.size()) files.push_back(bad[next_bad++]);
  return files;
}

void expect_same_scan(const TreeScan& want, const TreeScan& got) {
  ASSERT_EQ(got.modules.size(), want.modules.size());
  for (size_t i = 0; i < want.modules.size(); ++i) {
    const auto& w = want.modules[i];
    const auto& g = got.modules[i];
    SCOPED_TRACE(w.file);
    EXPECT_EQ(g.file, w.file);
    EXPECT_EQ(g.path, w.path);
    EXPECT_EQ(g.name, w.name);
    EXPECT_EQ(g.modinfo, w.modinfo);
    EXPECT_EQ(g.exports, w.exports);
    EXPECT_EQ(g.dependency_symbols, w.dependency_symbols);
    EXPECT_EQ(g.size, w.size);
    EXPECT_EQ(g.mtime_ns, w.mtime_ns);
    EXPECT_EQ(g.inode, w.inode);
  }
  ASSERT_EQ(got.errors.size(), want.errors.size());
  for (size_t i = 0; i < want.errors.size(); ++i) {
    EXPECT_EQ(got.errors[i].file, want.errors[i].file);
    EXPECT_EQ(got.errors[i].message, want.errors[i].message);
  }
}

TEST(ThreadedReader, LeanFirstOnAnyThreadCountGivesWhatLibkmodGives) {
  std::string dir = temp_dir("kmpkit-threaded");
  auto files = mixed_files(dir);
  ASSERT_GT(files.size(), 100u);
  TreeScan want = read_modules(files, dir, 1, {}, kDepmodParts);  // libkmod only, one thread
  ASSERT_EQ(want.errors.size(), 7u);
  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    SCOPED_TRACE(threads);
    expect_same_scan(want, read_modules(files, dir, threads, {}, kDepmodParts | kReadLeanFirst));
  }
  expect_same_scan(want, read_modules(files, dir, 4, {}, kDepmodParts));  // libkmod on many threads too
}

TEST(ThreadedReader, MoreThreadsThanFilesAndNoFiles) {
  std::string dir = temp_dir("kmpkit-threaded-few");
  std::string one = dir + "/kmpt_core.ko";
  fs::copy_file(test_modules_dir() + "/plain/kmpt_core.ko", one);
  auto scan = read_modules({one}, dir, 16, {}, kDepmodParts | kReadLeanFirst);
  ASSERT_EQ(scan.modules.size(), 1u);
  EXPECT_EQ(scan.modules[0].path, "kmpt_core.ko");
  auto none = read_modules({}, dir, 16, {}, kDepmodParts | kReadLeanFirst);
  EXPECT_TRUE(none.modules.empty());
  EXPECT_TRUE(none.errors.empty());
}

}  // namespace
