// The lean reader of kmpkit-depgen against libkmod on every module of the real kernel, as shipped
// and recompressed with xz and zstd: the same modinfo, __versions, exports and depmod's dependency
// symbols, or a refusal
// (then kmpkit-depgen hands the file to libkmod) — and no refusal on a real module.
#include <gtest/gtest.h>

#include "module/lean_reader.hpp"
#include "module/module_reader.hpp"
#include "module/tree_walk.hpp"
#include "test_env.hpp"

using namespace kmpkit;
using namespace kmpkit::test;

namespace {


class LeanReaderRealKernel : public ::testing::TestWithParam<std::string> {};

TEST_P(LeanReaderRealKernel, EveryModuleReadsAsLibkmodReadsIt) {
  const std::string moddir = kernel_root_compressed(GetParam()) + "/lib/modules/" + kernel_release();
  std::vector<std::string> files = list_module_files(moddir);
  ASSERT_GT(files.size(), 3000u);
  constexpr unsigned parts = kReadVersions | kReadExports | kReadDependencySymbols;
  auto scan = read_modules(files, {}, 0, {}, parts);
  ASSERT_TRUE(scan.errors.empty()) << scan.errors.front().file << ": " << scan.errors.front().message;
  size_t exports = 0, versions = 0;
  for (const auto& want : scan.modules) {
    auto got = read_module_lean(want.file, parts);
    ASSERT_TRUE(got.has_value()) << want.file;
    ASSERT_EQ(got->modinfo, want.modinfo) << want.file;
    ASSERT_EQ(got->versions, want.versions) << want.file;
    ASSERT_EQ(got->exports, want.exports) << want.file;
    ASSERT_EQ(got->dependency_symbols, want.dependency_symbols) << want.file;
    exports += got->exports.size();
    versions += got->versions.size();
  }
  EXPECT_GT(exports, 10000u);
  EXPECT_GT(versions, 50000u);
}

INSTANTIATE_TEST_SUITE_P(Compressions, LeanReaderRealKernel, ::testing::Values("plain", "xz", "zst"));

}  // namespace
