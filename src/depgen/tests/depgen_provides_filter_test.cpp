// kmpkit depgen --provides-only-imported FILE ([kmp] provides = "imported"): ksym() provides only for
// the listed symbols, on the real test modules and the real kernel's Module.symvers; the other
// provides and the other kinds are unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "module/kernel_files.hpp"
#include "module/module_reader.hpp"
#include "depgen/depgen.hpp"
#include "test_env.hpp"

namespace fs = std::filesystem;
using namespace kmpkit;
using namespace kmpkit::depgen;
using namespace kmpkit::test;

namespace {

std::vector<std::string> test_module_files() {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(test_modules_dir() + "/plain")) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::set<std::string> depgen(const std::vector<std::string>& files, const std::string& args, int* rc = nullptr) {
  auto dir = temp_dir("kmpkit-depgen-filter");
  std::ofstream list(dir + "/in");
  for (auto& f : files) list << f << "\n";
  list.close();
  auto r = run(shell_quote(kmpkit_binary()) + " depgen " + args + " < " + dir + "/in");
  if (rc) *rc = r.exit_code;
  else EXPECT_EQ(r.exit_code, 0) << r.err;
  auto lines = split_lines(r.out);
  return {lines.begin(), lines.end()};
}

std::string symbol_of(const std::string& dep) {  // ksym(amd64:NAME) = crc → NAME
  auto colon = dep.find(':'), close = dep.find(')');
  return dep.substr(colon + 1, close - colon - 1);
}

std::string write_list(const std::vector<std::string>& names) {
  auto path = temp_dir("kmpkit-symlist") + "/imported-symbols";
  EXPECT_TRUE(write_symbol_list(path, names));
  return path;
}

TEST(DepgenProvidesFilter, ModuleProvidesKeepOnlyListedSymbols) {
  auto files = test_module_files();
  auto all = depgen(files, "--provides");
  std::vector<std::string> exported;
  for (auto& d : all)
    if (d.starts_with("ksym(")) exported.push_back(symbol_of(d));
  ASSERT_GE(exported.size(), 2u);
  std::sort(exported.begin(), exported.end());
  // Every second exported symbol, plus a name nothing exports.
  std::vector<std::string> listed{"no_such_symbol_anywhere"};
  for (size_t i = 0; i < exported.size(); i += 2) listed.push_back(exported[i]);
  auto filtered = depgen(files, std::string("--provides --provides-only-imported ") + write_list(listed));

  std::set<std::string> listed_set(listed.begin(), listed.end()), expected;
  for (auto& d : all)
    if (!d.starts_with("ksym(") || listed_set.count(symbol_of(d))) expected.insert(d);
  EXPECT_EQ(filtered, expected);
  EXPECT_LT(filtered.size(), all.size());
  for (auto& d : all)  // kmod() provides are never filtered
    if (d.starts_with("kmod(")) {
      EXPECT_TRUE(filtered.count(d)) << d;
    }
}

TEST(DepgenProvidesFilter, KernelImageProvidesOnlyImportedVmlinuxSymbols) {
  auto kver = kernel_release();
  auto dir = temp_dir("kmpkit-kimg-filter") + "/lib/modules/" + kver;
  fs::create_directories(dir);
  std::ofstream(dir + "/vmlinuz") << "not really a kernel";
  fs::copy_file(kernel_root() + "/usr/src/linux-headers-" + kver + "/Module.symvers", dir + "/Module.symvers");
  fs::copy_file(module_dir() + "/modules.builtin", dir + "/modules.builtin");
  // The list kmpkit split writes, for a few real modules of the kernel.
  std::vector<std::string> mods;
  for (auto name : {"kernel/fs/ext4/ext4.ko", "kernel/drivers/net/virtio_net.ko", "kernel/fs/jbd2/jbd2.ko"})
    if (fs::exists(module_dir() + "/" + name)) mods.push_back(module_dir() + "/" + name);
  ASSERT_FALSE(mods.empty());
  auto scan = read_modules(mods, {}, 0, {}, kReadAll);
  ASSERT_TRUE(scan.errors.empty());
  auto imported = imported_symbol_names(scan.modules);
  ASSERT_GT(imported.size(), 50u);
  ASSERT_TRUE(std::is_sorted(imported.begin(), imported.end()));

  auto all = depgen({dir + "/vmlinuz"}, "--provides");
  auto filtered = depgen({dir + "/vmlinuz"}, "--provides --provides-only-imported " + write_list(imported));
  std::set<std::string> expected;
  size_t ksyms = 0;
  for (auto& d : all) {
    bool ksym = d.starts_with("ksym(");
    if (!ksym || std::binary_search(imported.begin(), imported.end(), symbol_of(d))) expected.insert(d);
    ksyms += ksym && std::binary_search(imported.begin(), imported.end(), symbol_of(d));
  }
  EXPECT_EQ(filtered, expected);
  EXPECT_GT(ksyms, 50u);
  EXPECT_LT(filtered.size() * 4, all.size());  // three modules import a small part of vmlinux
  EXPECT_TRUE(filtered.count("kernel-amd64"));
  EXPECT_TRUE(filtered.count("kernel-uname-r = " + kver));
  // Every versioned import of those modules that vmlinux exports is still provided, with its CRC.
  auto symvers = read_symvers(dir + "/Module.symvers").value();
  for (auto& m : scan.modules)
    for (auto& v : m.versions)
      for (auto& e : symvers)
        if (e.symbol == v.name && e.module == "vmlinux") {
          EXPECT_TRUE(filtered.count(fmt::format("ksym(amd64:{}) = {:x}", v.name, v.crc))) << v.name;
        }
}

TEST(DepgenProvidesFilter, OtherKindsIgnoreTheOption) {
  auto files = test_module_files();
  auto list = write_list({"no_such_symbol_anywhere"});
  for (auto kind : {"--requires", "--supplements", "--recommends"})
    EXPECT_EQ(depgen(files, std::string(kind) + " --provides-only-imported " + list), depgen(files, kind)) << kind;
}

TEST(DepgenProvidesFilter, MissingListFailsTheGenerator) {
  int rc = 0;
  depgen(test_module_files(), "--provides --provides-only-imported /nonexistent/imported-symbols", &rc);
  EXPECT_EQ(rc, 3);
  // A module that exports nothing has nothing to filter: the list is not read (rpm 4.18 runs the
  // generator once per file, most modules export nothing).
  auto leaf = depgen({test_modules_dir() + "/plain/kmpt_leaf.ko"},
                     "--provides --provides-only-imported /nonexistent/imported-symbols", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(leaf, std::set<std::string>{"kmod(kmpt_leaf.ko)"});
}

TEST(DepgenProvidesFilter, ImportedNamesAreVersionsAndUndefinedSymbols) {
  auto scan = read_modules(test_module_files(), {}, 0, {}, kReadAll);
  ASSERT_TRUE(scan.errors.empty());
  auto names = imported_symbol_names(scan.modules);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
  for (auto& m : scan.modules) {
    for (auto& v : m.versions) EXPECT_TRUE(std::binary_search(names.begin(), names.end(), v.name)) << v.name;
    for (auto& d : m.dependency_symbols) EXPECT_TRUE(std::binary_search(names.begin(), names.end(), d.name));
  }
  // Round trip through the file, unsorted input with duplicates comes back sorted and unique.
  auto path = temp_dir("kmpkit-symlist") + "/list";
  std::ofstream(path) << "b\na\n\nb\n";
  EXPECT_EQ(read_symbol_list(path).value(), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(read_symbol_list("/nonexistent/list"));
}

}  // namespace
