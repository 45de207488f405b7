// Bad module files: each is named in a clear error, the rest of the tree is still read, and
// `kmpkit scan` exits with the documented code 1 (partial).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "module/module_reader.hpp"
#include "module/tree_walk.hpp"
#include "test_env.hpp"

namespace fs = std::filesystem;
using namespace kmpkit;
using namespace kmpkit::test;

namespace {

struct BadTree {
  std::string root, kver = "6.1.0-0-test", module_dir;
};

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

BadTree make_bad_tree() {
  BadTree t;
  t.root = temp_dir("kmpkit-bad");
  t.module_dir = t.root + "/lib/modules/" + t.kver;
  fs::create_directories(t.module_dir + "/kernel/good");
  fs::create_directories(t.module_dir + "/kernel/bad");
  auto mods = test_modules_dir();
  for (auto name : {"kmpt_core.ko", "kmpt_mid.ko", "kmpt_leaf.ko"})
    fs::copy_file(mods + "/plain/" + name, t.module_dir + "/kernel/good/" + name);
  fs::copy_file(mods + "/xz/kmpt_extra.ko.xz", t.module_dir + "/kernel/good/kmpt_extra.ko.xz");
  // Truncated: the first 3000 bytes of a real module.
  std::ifstream in(mods + "/plain/kmpt_alias.ko", std::ios::binary);
  std::string head(3000, '\0');
  in.read(head.data(), head.size());
  write_bytes(t.module_dir + "/kernel/bad/truncated.ko", head);
  write_bytes(t.module_dir + "/kernel/bad/garbage.ko.xz", std::string("\xFD" "7zXZ\0", 6) + std::string(500, 'x'));
  write_bytes(t.module_dir + "/kernel/bad/empty.ko", "");
  write_bytes(t.module_dir + "/kernel/bad/text.ko", "this is not an ELF file\n");
  std::string elf32 = "\x7F" "ELF\x01\x01\x01";
  elf32.resize(200, '\0');
  write_bytes(t.module_dir + "/kernel/bad/elf32.ko", elf32);
  return t;
}

TEST(CorruptInput, ReaderNamesEachBadFile) {
  auto t = make_bad_tree();
  auto scan = read_modules(list_module_files(t.module_dir), t.module_dir, 2);
  EXPECT_EQ(scan.modules.size(), 4u);
  ASSERT_EQ(scan.errors.size(), 5u);
  for (const auto& e : scan.errors) {
    EXPECT_NE(e.file.find("/kernel/bad/"), std::string::npos) << e.file;
    EXPECT_FALSE(e.message.empty());
  }
  auto message_for = [&](const std::string& name) {
    for (auto& e : scan.errors)
      if (e.file.ends_with(name)) return e.message;
    return std::string("(none)");
  };
  EXPECT_NE(message_for("empty.ko").find("empty"), std::string::npos);
  EXPECT_NE(message_for("garbage.ko.xz").find("xz"), std::string::npos);
  EXPECT_NE(message_for("elf32.ko").find("32-bit"), std::string::npos);
  EXPECT_NE(message_for("text.ko").find("not a kernel module"), std::string::npos);
  EXPECT_NE(message_for("truncated.ko").find("ELF"), std::string::npos);
}

TEST(CorruptInput, ScanReportsTheRestAndExitsPartial) {
  auto t = make_bad_tree();
  auto r = run(shell_quote(kmpkit_binary()) + " scan --json -b " + shell_quote(t.root) + " " + t.kver);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  for (auto name : {"truncated.ko", "garbage.ko.xz", "empty.ko", "text.ko", "elf32.ko"})
    EXPECT_NE(r.err.find(std::string("kernel/bad/") + name), std::string::npos) << name << "\n" << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["modules"].size(), 4u);
  EXPECT_EQ(j["errors"].size(), 5u);
}

TEST(CorruptInput, GzipModuleGetsAClearMessage) {
  auto t = make_bad_tree();
  auto gz = t.module_dir + "/kernel/bad/old.ko.gz";
  ASSERT_EQ(run("gzip -c " + shell_quote(test_modules_dir() + "/plain/kmpt_core.ko") + " > " + shell_quote(gz)).exit_code, 0);
  ModuleReader reader;
  auto r = reader.read(gz);
  ASSERT_TRUE(std::holds_alternative<ReadError>(r));
  EXPECT_NE(std::get<ReadError>(r).message.find("gzip"), std::string::npos);
}

TEST(CorruptInput, MissingTreeIsExit3) {
  auto r = run(shell_quote(kmpkit_binary()) + " scan -b /nonexistent 1.2.3");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no module directory"), std::string::npos);
}

}  // namespace
