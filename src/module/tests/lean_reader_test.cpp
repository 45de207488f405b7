// The lean reader (kmpkit-depgen's and depmod's, without libkmod) gives what libkmod gives for the test
// modules, plain, xz and zstd; what it cannot read exactly it refuses (the caller asks libkmod).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "module/lean_reader.hpp"
#include "module/module_image.hpp"
#include "module/module_reader.hpp"
#include "test_env.hpp"

namespace fs = std::filesystem;
using namespace kmpkit;
using namespace kmpkit::test;

namespace {

constexpr unsigned kParts = kReadVersions | kReadExports | kReadDependencySymbols;

void expect_same_as_libkmod(const std::string& file) {
  SCOPED_TRACE(file);
  ModuleReader reader;
  auto full = reader.read(file, {}, kParts);
  ASSERT_TRUE(std::holds_alternative<ModuleRecord>(full));
  const auto& want = std::get<ModuleRecord>(full);
  auto got = read_module_lean(file, kParts);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->name, want.name);
  EXPECT_EQ(got->modinfo, want.modinfo);
  EXPECT_EQ(got->versions, want.versions);
  EXPECT_EQ(got->exports, want.exports);
  EXPECT_EQ(got->dependency_symbols, want.dependency_symbols);
  EXPECT_EQ(got->size, want.size);
}

class LeanReaderAgainstKmod : public ::testing::TestWithParam<std::string> {};

TEST_P(LeanReaderAgainstKmod, SameModinfoVersionsExportsAndDependencySymbols) {
  size_t n = 0;
  for (auto& e : fs::directory_iterator(test_modules_dir() + "/" + GetParam())) {
    expect_same_as_libkmod(e.path().string());
    ++n;
  }
  EXPECT_GT(n, 3u);
}

INSTANTIATE_TEST_SUITE_P(Compressions, LeanReaderAgainstKmod, ::testing::Values("plain", "xz", "zst"));

TEST(LeanReader, RefusesWhatOnlyLibkmodCanJudge) {
  auto dir = temp_dir("kmpkit-lean");
  auto mods = test_modules_dir();
  std::ifstream in(mods + "/plain/kmpt_core.ko", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::ofstream(dir + "/truncated.ko", std::ios::binary) << bytes.substr(0, 3000);
  std::ofstream(dir + "/garbage.ko", std::ios::binary) << "not a module";
  std::ifstream zin(mods + "/zst/kmpt_core.ko.zst", std::ios::binary);
  std::string z((std::istreambuf_iterator<char>(zin)), {});
  std::ofstream(dir + "/truncated.ko.zst", std::ios::binary) << z.substr(0, z.size() / 2);
  ASSERT_EQ(run("gzip -c " + shell_quote(mods + "/plain/kmpt_core.ko") + " > " + dir + "/gz.ko.gz").exit_code, 0);
  for (auto name : {"truncated.ko", "garbage.ko", "truncated.ko.zst", "gz.ko.gz", "missing.ko"})
    EXPECT_FALSE(read_module_lean(dir + "/" + name, kParts).has_value()) << name;
  // Signature details are libkmod's job.
  EXPECT_FALSE(read_module_lean(mods + "/plain/kmpt_core.ko", kReadSignature).has_value());
}

// The peak resident size of this process so far (/proc/self/status VmHWM), in MiB.
long peak_rss_mib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmHWM:")) return std::stol(line.substr(6)) / 1024;
  return -1;
}

std::string seed(const std::string& name) {
  std::ifstream in(std::string(KMPKIT_SOURCE_DIR) + "/fuzz/seeds/module_elf/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Found writing fuzz/fuzz_module_elf.cpp (its crash-* seeds): a 12-byte zstd frame claiming 1 GiB of content made the reader
// allocate and zero 1 GiB before finding no data; a 68-byte xz file asking for a 4 GiB dictionary
// made liblzma allocate 4 GiB. Neither is a module: both are refused, without the memory.
TEST(LeanReader, ClaimedSizesAreNotAllocated) {
  long before = peak_rss_mib();
  std::string zstd = seed("crash-zstd-claims-1GiB"), xz = seed("crash-xz-dict-4GiB");
  ASSERT_EQ(zstd.size(), 12u);
  ASSERT_EQ(xz.size(), 68u);
  EXPECT_FALSE(decompress_module(zstd).has_value());
  EXPECT_FALSE(decompress_module(xz).has_value());
  EXPECT_LT(peak_rss_mib() - before, 256);
  // The real compressed modules still decompress to what the plain ones are.
  auto mods = test_modules_dir();
  std::ifstream plain(mods + "/plain/kmpt_core.ko", std::ios::binary), zin(mods + "/zst/kmpt_core.ko.zst", std::ios::binary),
      xin(mods + "/xz/kmpt_core.ko.xz", std::ios::binary);
  std::string p((std::istreambuf_iterator<char>(plain)), {}), z((std::istreambuf_iterator<char>(zin)), {}),
      x((std::istreambuf_iterator<char>(xin)), {});
  EXPECT_EQ(decompress_module(z), p);
  EXPECT_EQ(decompress_module(x), p);
}

// Found by fuzz_module_elf (the campaign of 2026-11-30): a 38-byte xz file whose index claims
// billions of records made liblzma preallocate 279 GiB for the size hint (the index was read
// without a memory limit; ASan's allocator refused it, glibc's malloc may hand out the address
// space). The index is read with a 1 MiB limit now; the real modules' indexes fit easily.
TEST(LeanReader, AnXzIndexsClaimIsNotAllocated) {
  std::string xz = seed("crash-xz-index-claims-279GiB");
  ASSERT_EQ(xz.size(), 38u);
  uint64_t size = 1;
  EXPECT_EQ(read_xz_index_size(xz, size), XzIndexRead::OverMemoryLimit);
  EXPECT_EQ(size, 0u);
  EXPECT_FALSE(decompress_module(xz).has_value());
  auto mods = test_modules_dir();
  std::ifstream plain(mods + "/plain/kmpt_core.ko", std::ios::binary), xin(mods + "/xz/kmpt_core.ko.xz", std::ios::binary);
  std::string p((std::istreambuf_iterator<char>(plain)), {}), x((std::istreambuf_iterator<char>(xin)), {});
  EXPECT_EQ(read_xz_index_size(x, size), XzIndexRead::Ok);
  EXPECT_EQ(size, p.size());
}

}  // namespace
