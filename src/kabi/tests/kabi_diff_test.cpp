// kmpkit kabi diff on small roots made of the real test modules: verdicts, the fixpoint, the
// symbol diff, both input forms, usage errors, and Debian's depmod -e -E as the oracle.
#include <gtest/gtest.h>

#include <regex>

#include "kabi_fixtures.hpp"

using namespace kmpkit;
using namespace kmpkit::kabi::testing;
using kmpkit::test::shell_quote;

namespace {

std::string diff_args(const std::string& old_root, const std::string& new_root) {
  return "kabi diff -b " + shell_quote(old_root) + " " + test_kver() + " -B " + shell_quote(new_root) + " " +
         test_kver();
}

std::map<std::string, nlohmann::json> by_name(const nlohmann::json& report) {
  std::map<std::string, nlohmann::json> out;
  for (auto& m : report["modules"]["list"]) out[m["name"]] = m;
  return out;
}

std::set<std::string> loadable(const nlohmann::json& report) {
  std::set<std::string> out;
  for (auto& m : report["modules"]["list"])
    if (m["loadable"]) out.insert(m["name"]);
  return out;
}

// (module path, symbol) pairs depmod would also report: unknown symbols and CRC mismatches.
std::set<std::pair<std::string, std::string>> version_problems(const nlohmann::json& report) {
  std::set<std::pair<std::string, std::string>> out;
  for (auto& m : report["modules"]["list"])
    for (auto& p : m["problems"])
      if (p["kind"] == "unknown-symbol" || p["kind"] == "crc-mismatch") out.emplace(m["path"], p["symbol"]);
  return out;
}

// Debian's depmod on NEW's tree with OLD's modules in weak-updates/ (searched first, so they
// shadow NEW's copies): its "needs unknown symbol" / "disagrees about version" warnings for
// the weak-updates modules, as (path relative to OLD's module dir, symbol).
std::set<std::pair<std::string, std::string>> depmod_oracle(const std::string& old_root, const std::string& new_root) {
  std::string kver = test_kver();
  std::string t = kmpkit::test::temp_dir("kmpkit-kabi-oracle");
  std::string md = t + "/lib/modules/" + kver;
  sh("mkdir -p " + shell_quote(md) + " " + shell_quote(t + "/conf") + " && cp -a " +
     shell_quote(new_root + "/lib/modules/" + kver) + "/. " + shell_quote(md) + " && mkdir -p " +
     shell_quote(md + "/weak-updates") + " && cp -a " + shell_quote(old_root + "/lib/modules/" + kver + "/extra") + " " +
     shell_quote(md + "/weak-updates/"));
  write_text(t + "/conf/kabi.conf", "search weak-updates built-in\n");
  auto r = run("timeout 300 /sbin/depmod -C " + shell_quote(t + "/conf") + " -b " + shell_quote(t) + " -e -E " +
               shell_quote(new_root + "/lib/modules/" + kver + "/Module.symvers") + " " + kver + " 2>&1 | head -c 20M");
  std::set<std::pair<std::string, std::string>> out;
  std::regex line(R"(^depmod: WARNING: .*/weak-updates/(\S+) (disagrees about version of symbol|needs unknown symbol) (\S+)$)");
  for (auto& l : kmpkit::test::split_lines(r.out)) {
    std::smatch m;
    if (std::regex_match(l, m, line)) out.emplace(m[1].str(), m[3].str());
  }
  return out;
}

TEST(kabi_diff, IdenticalKernelsKeepEveryModule) {
  auto old_root = make_root("kmpkit-kabi-old", true), new_root = make_root("kmpkit-kabi-new", true);
  auto r = kmpkit_run(diff_args(old_root, new_root) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto& j = r.json;
  EXPECT_EQ(j["symbols"]["crc_changed"], 0);
  EXPECT_EQ(j["symbols"]["added"], 0);
  EXPECT_EQ(j["symbols"]["removed"], 0);
  EXPECT_EQ(j["symbols"]["unchanged"], j["symbols"]["old"]);
  EXPECT_EQ(j["modules"]["total"], 7);
  EXPECT_EQ(j["modules"]["loadable"], 7);
  EXPECT_TRUE(j["modules"]["vermagic_checked"]);
  ASSERT_EQ(j["modules"]["by_subsystem"].size(), 1u);
  EXPECT_EQ(j["modules"]["by_subsystem"][0]["subsystem"], "extra");
  EXPECT_TRUE(depmod_oracle(old_root, new_root).empty());
}

TEST(kabi_diff, ChangedVmlinuxCrcBreaksItsImportersOnly) {
  auto [symbol, module] = lone_vmlinux_import();
  ASSERT_FALSE(symbol.empty());
  auto old_root = make_root("kmpkit-kabi-old", true), new_root = make_root("kmpkit-kabi-new", true);
  edit_symvers(module_dir_of(new_root) + "/Module.symvers", symbol, false);
  auto r = kmpkit_run(diff_args(old_root, new_root) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json["symbols"]["crc_changed"], 1);
  EXPECT_EQ(r.json["symbols"]["changes"]["crc_changed"][0]["symbol"], symbol);
  auto mods = by_name(r.json);
  EXPECT_FALSE(mods.at(module)["loadable"]);
  ASSERT_EQ(mods.at(module)["problems"].size(), 1u);
  EXPECT_EQ(mods.at(module)["problems"][0]["kind"], "crc-mismatch");
  EXPECT_EQ(mods.at(module)["problems"][0]["symbol"], symbol);
  EXPECT_EQ(r.json["modules"]["loadable"], 6);
  EXPECT_EQ(r.json["modules"]["top_symbols"][0]["symbol"], symbol);
  EXPECT_EQ(version_problems(r.json), depmod_oracle(old_root, new_root));

  // Removed from the new kernel altogether: unknown symbol, and depmod agrees.
  edit_symvers(module_dir_of(new_root) + "/Module.symvers", symbol, true);
  auto gone = kmpkit_run(diff_args(old_root, new_root) + " --json");
  EXPECT_EQ(gone.json["symbols"]["removed"], 1);
  EXPECT_EQ(by_name(gone.json).at(module)["problems"][0]["kind"], "unknown-symbol");
  EXPECT_EQ(version_problems(gone.json), depmod_oracle(old_root, new_root));
}

TEST(kabi_diff, ModulesThatNeedAFailingOldModuleFailToo) {
  // Old kmpt_core was built with other vermagic flags; the new kernel has no kmpt_core of its
  // own: kmpt_mid, kmpt_leaf and kmpt_weak need its symbols and fail with it.
  auto old_root = make_root("kmpkit-kabi-old", true), new_root = make_root("kmpkit-kabi-new", true);
  set_modinfo(module_dir_of(old_root) + "/extra/kmpt_core.ko", "vermagic", test_kver() + " SMP mod_unload modversions ");
  fs::remove(module_dir_of(new_root) + "/extra/kmpt_core.ko");
  auto r = kmpkit_run(diff_args(old_root, new_root) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto mods = by_name(r.json);
  EXPECT_EQ(mods.at("kmpt_core")["problems"][0]["kind"], "vermagic-mismatch");
  for (const char* m : {"kmpt_mid", "kmpt_leaf", "kmpt_weak"}) {
    SCOPED_TRACE(m);
    EXPECT_FALSE(mods.at(m)["loadable"]);
    for (auto& p : mods.at(m)["problems"]) EXPECT_EQ(p["kind"], "needs-unloadable-module");
  }
  EXPECT_EQ(loadable(r.json), (std::set<std::string>{"kmpt_alias", "kmpt_extra", "kmpt_dash"}));
  EXPECT_EQ(r.json["modules"]["direct_failures"], 1);
  EXPECT_EQ(r.json["modules"]["by_subsystem"][0]["loadable"], 3);

  // With its own kmpt_core (same exports), the new kernel serves the dependents itself.
  fs::copy_file(kmpkit::test::test_modules_dir() + "/plain/kmpt_core.ko", module_dir_of(new_root) + "/extra/kmpt_core.ko");
  auto with_core = kmpkit_run(diff_args(old_root, new_root) + " --json");
  EXPECT_EQ(loadable(with_core.json).size(), 6u);
  EXPECT_FALSE(by_name(with_core.json).at("kmpt_core")["loadable"]);

  // Human report.
  auto text = kmpkit_run(diff_args(old_root, new_root));
  EXPECT_NE(text.out.find("would load into"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("6 of 7"), std::string::npos) << text.out;
  auto details = kmpkit_run(diff_args(old_root, new_root) + " --details");
  EXPECT_NE(details.out.find("FAIL  extra/kmpt_core.ko: vermagic"), std::string::npos) << details.out;
}

TEST(kabi_diff, TwoSymversFilesCompareSymbolsOnly) {
  auto dir = kmpkit::test::temp_dir("kmpkit-kabi-symvers");
  std::vector<SymversEntry> a = {{"s_same", 0x1, "vmlinux", "EXPORT_SYMBOL", ""},
                                 {"s_changed", 0x2, "vmlinux", "EXPORT_SYMBOL", ""},
                                 {"s_gone", 0x3, "drivers/net/foo", "EXPORT_SYMBOL_GPL", ""}};
  std::vector<SymversEntry> b = {{"s_same", 0x1, "vmlinux", "EXPORT_SYMBOL", ""},
                                 {"s_changed", 0x22, "vmlinux", "EXPORT_SYMBOL", ""},
                                 {"s_new", 0x4, "fs/bar", "EXPORT_SYMBOL", "NS"}};
  write_text(dir + "/a", symvers_text(a));
  write_text(dir + "/b", symvers_text(b));
  auto r = kmpkit_run("kabi diff --symvers-old " + shell_quote(dir + "/a") + " --symvers-new " + shell_quote(dir + "/b") +
                      " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.json["symbols"]["unchanged"], 1);
  EXPECT_EQ(r.json["symbols"]["crc_changed"], 1);
  EXPECT_EQ(r.json["symbols"]["changes"]["crc_changed"][0]["old_crc"], "2");
  EXPECT_EQ(r.json["symbols"]["changes"]["crc_changed"][0]["new_crc"], "22");
  EXPECT_EQ(r.json["symbols"]["changes"]["removed"][0]["symbol"], "s_gone");
  EXPECT_EQ(r.json["symbols"]["changes"]["added"][0]["namespace"], "NS");
  EXPECT_FALSE(r.json["modules"]["checked"]);
  auto text = kmpkit_run("kabi diff --symvers-old " + shell_quote(dir + "/a") + " --symvers-new " + shell_quote(dir + "/b") +
                         " --details");
  EXPECT_NE(text.out.find("~ s_changed 2 -> 22 (vmlinux)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("modules: not checked"), std::string::npos) << text.out;
}

TEST(kabi_diff, OldTreeAgainstNewSymversOnly) {
  // The new kernel given by its Module.symvers alone: vmlinux and its modules' exports come from
  // it; vermagic cannot be checked.
  auto [symbol, module] = lone_vmlinux_import();
  auto old_root = make_root("kmpkit-kabi-old", true);
  auto dir = kmpkit::test::temp_dir("kmpkit-kabi-symvers");
  fs::copy_file(module_dir_of(old_root) + "/Module.symvers", dir + "/new.symvers");
  edit_symvers(dir + "/new.symvers", symbol, false);
  auto r = kmpkit_run("kabi diff -b " + shell_quote(old_root) + " " + test_kver() + " --symvers-new " +
                      shell_quote(dir + "/new.symvers") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.json["modules"]["checked"]);
  EXPECT_FALSE(r.json["modules"]["vermagic_checked"]);
  EXPECT_EQ(r.json["modules"]["loadable"], 6);
  EXPECT_FALSE(by_name(r.json).at(module)["loadable"]);
}

TEST(kabi_diff, UsageAndMissingInputs) {
  auto root = make_root();
  EXPECT_EQ(kmpkit_run("kabi diff").exit_code, 2);
  EXPECT_EQ(kmpkit_run("kabi diff 1 2 3").exit_code, 2);
  EXPECT_EQ(kmpkit_run("kabi diff -b " + shell_quote(root) + " " + test_kver()).exit_code, 2);  // no new side
  auto missing = kmpkit_run("kabi diff -b " + shell_quote(root) + " " + test_kver() + " 9.9.9-nothere");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("no module directory"), std::string::npos) << missing.err;
  fs::remove(module_dir_of(root) + "/Module.symvers");
  auto nosymvers = kmpkit_run("kabi diff -b " + shell_quote(root) + " " + test_kver() + " " + test_kver());
  EXPECT_EQ(nosymvers.exit_code, 3);
  EXPECT_NE(nosymvers.err.find("no Module.symvers"), std::string::npos) << nosymvers.err;
  EXPECT_EQ(kmpkit_run("kabi diff --symvers-old /nonexistent --symvers-new /nonexistent").exit_code, 3);
}

TEST(kabi_diff, UnreadableModuleIsNamedAndExitIsPartial) {
  auto old_root = make_root("kmpkit-kabi-old", true), new_root = make_root("kmpkit-kabi-new", true);
  write_text(module_dir_of(old_root) + "/extra/broken.ko", "not an ELF file");
  auto r = kmpkit_run(diff_args(old_root, new_root) + " --json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.ko"), std::string::npos);
  EXPECT_EQ(r.json["modules"]["total"], 7);
  EXPECT_EQ(r.json["errors"].size(), 1u);
}

}  // namespace
