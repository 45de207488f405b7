// Reading the real test modules (tests/modules/*.c compiled against Debian's headers) and
// comparing with Debian's modinfo and modprobe, for plain, xz and zstd files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "module/module_reader.hpp"
#include "module/kernel_files.hpp"
#include "oracles.hpp"
#include "test_env.hpp"

namespace fs = std::filesystem;
using namespace kmpkit;
using namespace kmpkit::test;

namespace {

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(dir)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

ModuleRecord read_ok(const std::string& file) {
  ModuleReader reader;
  auto r = reader.read(file);
  if (auto* e = std::get_if<ReadError>(&r)) ADD_FAILURE() << e->file << ": " << e->message;
  return std::get<ModuleRecord>(r);
}

class ReaderAgainstKmod : public ::testing::TestWithParam<std::string> {};

TEST_P(ReaderAgainstKmod, MatchesModinfoAndModprobe) {
  for (const auto& file : files_in(test_modules_dir() + "/" + GetParam())) {
    SCOPED_TRACE(file);
    auto rec = read_ok(file);
    auto depends = modinfo_field(file, "depends");
    std::string joined;
    for (size_t i = 0; i < rec.depends().size(); ++i) joined += (i ? "," : "") + rec.depends()[i];
    EXPECT_EQ(depends.empty() ? "" : depends[0], joined);
    EXPECT_EQ(modinfo_field(file, "alias"), rec.aliases());
    EXPECT_EQ(modinfo_field(file, "softdep"), rec.softdeps());
    EXPECT_EQ(modinfo_field(file, "firmware"), rec.firmware());
    auto vermagic = modinfo_field(file, "vermagic");
    ASSERT_FALSE(vermagic.empty());
    EXPECT_EQ(vermagic[0], rec.vermagic());
    auto versions = dump_modversions(file);
    ASSERT_EQ(versions.size(), rec.versions.size());
    for (size_t i = 0; i < versions.size(); ++i) {
      EXPECT_EQ(versions[i].first, rec.versions[i].name);
      EXPECT_EQ(versions[i].second, rec.versions[i].crc);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Compressions, ReaderAgainstKmod, ::testing::Values("plain", "xz", "zst"));

TEST(ModuleReader, NamesExportsAndWeakImports) {
  auto dir = test_modules_dir();
  auto core = read_ok(dir + "/plain/kmpt_core.ko");
  EXPECT_EQ(core.name, "kmpt_core");
  auto symvers = read_symvers(dir + "/Module.symvers");
  ASSERT_TRUE(symvers);
  for (const auto& e : *symvers) {
    if (e.module.find("kmpt_core") == std::string::npos) continue;
    auto it = std::find_if(core.exports.begin(), core.exports.end(), [&](auto& x) { return x.name == e.symbol; });
    ASSERT_NE(it, core.exports.end()) << e.symbol;
    EXPECT_EQ(it->crc, e.crc) << e.symbol;
  }
  EXPECT_EQ(core.exports.size(), 3u);

  auto weak = read_ok(dir + "/plain/kmpt_weak.ko");
  auto it = std::find_if(weak.dependency_symbols.begin(), weak.dependency_symbols.end(),
                         [](auto& s) { return s.name == "kmpt_optional_fn"; });
  ASSERT_NE(it, weak.dependency_symbols.end());
  EXPECT_TRUE(it->weak);

  auto dash = read_ok(dir + "/xz/kmpt-dash.ko.xz");
  EXPECT_EQ(dash.name, "kmpt_dash");
  auto leaf = read_ok(dir + "/zst/kmpt_leaf.ko.zst");
  EXPECT_TRUE(leaf.exports.empty());
  EXPECT_FALSE(leaf.is_signed);
}

TEST(ModuleReader, PathRelativeToModuleDir) {
  auto dir = test_modules_dir();
  ModuleReader reader;
  auto r = reader.read(dir + "/plain/kmpt_core.ko", dir);
  ASSERT_TRUE(std::holds_alternative<ModuleRecord>(r));
  EXPECT_EQ(std::get<ModuleRecord>(r).path, "plain/kmpt_core.ko");
  auto r2 = reader.read(dir + "/plain/kmpt_core.ko", "/elsewhere");
  EXPECT_EQ(std::get<ModuleRecord>(r2).path, dir + "/plain/kmpt_core.ko");
}

TEST(ModuleRecord, NamesAndFlavors) {
  EXPECT_EQ(module_name_from_path("/x/kernel/a-b.ko.xz"), "a_b");
  EXPECT_EQ(module_name_from_path("snd-hda-intel.ko"), "snd_hda_intel");
  EXPECT_EQ(release_from_vermagic("6.1.0-56-amd64 SMP preempt mod_unload modversions "), "6.1.0-56-amd64");
  EXPECT_EQ(flavor_from_release("6.1.0-56-amd64"), "amd64");
  EXPECT_EQ(flavor_from_release("5.14.21-150500.55.19-default"), "default");
}

}  // namespace

// symvers.gz as SUSE keeps it reads like the plain file; a small crafted .gz that unpacks to more
// than kMaxGunzippedBytes is refused instead of taking the memory, a truncated one too.
TEST(ModuleReader, GzippedSymversAndItsBounds) {
  const std::string dir = temp_dir("kmpkit-symvers-gz");
  const std::string plain = test_modules_dir() + "/Module.symvers";
  ASSERT_EQ(run("gzip -c " + shell_quote(plain) + " > " + shell_quote(dir + "/symvers.gz")).exit_code, 0);
  auto a = read_symvers(plain), b = read_symvers(dir + "/symvers.gz");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), b->size());
  ASSERT_EQ(run("head -c " + std::to_string(kMaxGunzippedBytes + 1) + " /dev/zero | gzip -1 > " +
                shell_quote(dir + "/bomb.gz"))
                .exit_code,
            0);
  EXPECT_LT(std::filesystem::file_size(dir + "/bomb.gz"), 2u << 20);
  EXPECT_FALSE(read_maybe_gzipped(dir + "/bomb.gz"));
  ASSERT_EQ(run("head -c 200 " + shell_quote(dir + "/symvers.gz") + " > " + shell_quote(dir + "/cut.gz")).exit_code, 0);
  EXPECT_FALSE(read_maybe_gzipped(dir + "/cut.gz"));
}
