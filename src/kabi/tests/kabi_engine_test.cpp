// The KABI engine on hand-made module records: vermagic, subsystems, the symbol diff and the
// loadability fixpoint (transitive failures, cycles, alternatives, weak and unversioned symbols,
// namespaces, GPL-only exports).
#include <gtest/gtest.h>

#include <set>

#include "kabi/kabi_diff.hpp"
#include "kabi/loadability.hpp"
#include "kabi/symbol_diff.hpp"
#include "kabi/vermagic.hpp"

using namespace kmpkit;
using namespace kmpkit::kabi;

namespace {

const std::string kVermagic = "6.1.0-56-amd64 SMP preempt mod_unload modversions ";

ModuleRecord mod(const std::string& name, std::vector<std::pair<std::string, uint64_t>> imports,
                 std::vector<std::pair<std::string, uint64_t>> exports = {}, std::string vermagic = kVermagic) {
  ModuleRecord m;
  m.name = name;
  m.path = "kernel/drivers/net/" + name + ".ko";
  m.modinfo = {{"license", "GPL"}, {"vermagic", vermagic}};
  for (auto& [s, crc] : imports) {
    m.versions.push_back({s, crc, false});
    m.dependency_symbols.push_back({s, crc, false});
  }
  for (auto& [s, crc] : exports) m.exports.push_back({s, crc});
  return m;
}

std::vector<FixedExport> vmlinux(std::vector<std::pair<std::string, uint64_t>> syms) {
  std::vector<FixedExport> out;
  for (auto& [s, crc] : syms) out.push_back({s, crc, "vmlinux", "EXPORT_SYMBOL", ""});
  return out;
}

std::vector<ModuleVerdict> check(std::vector<FixedExport> fixed, const std::vector<ModuleRecord>& mods,
                                 std::string kernel_vermagic = kVermagic) {
  LoadabilityInput in;
  in.fixed = std::move(fixed);
  for (auto& m : mods) in.candidates.push_back(&m);
  in.kernel_vermagic = std::move(kernel_vermagic);
  return check_loadability(in);
}

std::set<std::string> kinds(const ModuleVerdict& v) {
  std::set<std::string> out;
  for (auto& p : v.problems) out.insert(std::string(problem_kind_name(p.kind)) + ":" + p.symbol);
  return out;
}

TEST(kabi_engine, VermagicFlagsIgnoreTheReleaseWithModversions) {
  EXPECT_EQ(vermagic_flags_text(kVermagic), "SMP preempt mod_unload modversions");
  EXPECT_TRUE(vermagic_compatible("6.1.0-47-amd64 SMP preempt mod_unload modversions ", kVermagic, true));
  EXPECT_FALSE(vermagic_compatible("6.1.0-47-amd64 SMP preempt mod_unload modversions ", kVermagic, false));
  EXPECT_FALSE(vermagic_compatible("6.1.0-56-amd64 SMP mod_unload modversions ", kVermagic, true));
  EXPECT_FALSE(vermagic_compatible("", kVermagic, true));
}

TEST(kabi_engine, KernelVermagicPrefersInTreeModulesOfTheRelease) {
  auto a = mod("a", {});
  a.modinfo.push_back({"intree", "Y"});
  auto b = mod("b", {}, {}, "6.1.0-56-amd64 SMP mod_unload ");
  auto c = mod("c", {}, {}, "6.1.0-56-amd64 SMP mod_unload ");
  auto d = mod("d", {}, {}, "6.1.0-47-amd64 SMP x ");
  EXPECT_EQ(kernel_vermagic({a, b, c, d}, "6.1.0-56-amd64"), kVermagic);
  EXPECT_EQ(kernel_vermagic({b, c, d}, "6.1.0-56-amd64"), "6.1.0-56-amd64 SMP mod_unload ");
  EXPECT_EQ(kernel_vermagic({d}, "6.1.0-56-amd64"), "6.1.0-47-amd64 SMP x ");
  EXPECT_EQ(kernel_vermagic({}, "6.1.0-56-amd64"), "");
}

TEST(kabi_engine, SubsystemIsTheComponentAfterKernel) {
  EXPECT_EQ(subsystem_of("kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko"), "drivers/net");
  EXPECT_EQ(subsystem_of("kernel/fs/ext4/ext4.ko"), "fs");
  EXPECT_EQ(subsystem_of("kernel/net/ipv4/tcp_bbr.ko"), "net");
  EXPECT_EQ(subsystem_of("kernel/sound/pci/hda/snd-hda-intel.ko"), "sound");
  EXPECT_EQ(subsystem_of("kernel/arch/x86/kvm/kvm.ko"), "arch/x86");
  EXPECT_EQ(subsystem_of("kernel/drivers/foo.ko"), "drivers");
  EXPECT_EQ(subsystem_of("kernel/foo.ko"), "kernel");
  EXPECT_EQ(subsystem_of("updates/foo.ko"), "updates");
  EXPECT_EQ(subsystem_of("foo.ko"), "(top)");
}

TEST(kabi_engine, SymbolDiffSortsChangesIntoKinds) {
  std::vector<SymversEntry> a = {{"same", 1, "vmlinux", "EXPORT_SYMBOL", ""},
                                 {"changed", 2, "vmlinux", "EXPORT_SYMBOL", ""},
                                 {"gone", 3, "fs/foo", "EXPORT_SYMBOL", ""},
                                 {"moved", 4, "fs/foo", "EXPORT_SYMBOL", ""},
                                 {"gpl", 5, "vmlinux", "EXPORT_SYMBOL", ""}};
  std::vector<SymversEntry> b = {{"same", 1, "vmlinux", "EXPORT_SYMBOL", ""},
                                 {"changed", 7, "vmlinux", "EXPORT_SYMBOL", ""},
                                 {"new", 8, "vmlinux", "EXPORT_SYMBOL", ""},
                                 {"moved", 4, "fs/bar", "EXPORT_SYMBOL", ""},
                                 {"gpl", 5, "vmlinux", "EXPORT_SYMBOL_GPL", ""}};
  auto d = diff_symvers(a, b);
  EXPECT_EQ(d.old_count, 5u);
  EXPECT_EQ(d.new_count, 5u);
  EXPECT_EQ(d.unchanged, 3u);  // same, moved, gpl
  ASSERT_EQ(d.crc_changed.size(), 1u);
  EXPECT_EQ(d.crc_changed[0].old_entry.crc, 2u);
  EXPECT_EQ(d.crc_changed[0].new_entry.crc, 7u);
  ASSERT_EQ(d.removed.size(), 1u);
  EXPECT_EQ(d.removed[0].symbol, "gone");
  ASSERT_EQ(d.added.size(), 1u);
  EXPECT_EQ(d.added[0].symbol, "new");
  ASSERT_EQ(d.moved.size(), 1u);
  EXPECT_EQ(d.moved[0].new_entry.module, "fs/bar");
  ASSERT_EQ(d.type_changed.size(), 1u);
  EXPECT_EQ(d.type_changed[0].new_entry.export_type, "EXPORT_SYMBOL_GPL");
}

TEST(kabi_engine, DirectProblems) {
  auto v = check(vmlinux({{"printk", 1}, {"kmalloc", 2}}),
                 {mod("ok", {{"printk", 1}}), mod("crc", {{"printk", 9}}), mod("unknown", {{"nothere", 1}})});
  EXPECT_TRUE(v[0].loadable);
  EXPECT_EQ(v[0].satisfied_by_fixed, 1u);
  EXPECT_FALSE(v[1].loadable);
  EXPECT_EQ(kinds(v[1]), std::set<std::string>{"crc-mismatch:printk"});
  ASSERT_EQ(v[1].problems[0].offers.size(), 1u);
  EXPECT_EQ(v[1].problems[0].offers[0].owner, "vmlinux");
  EXPECT_EQ(v[1].problems[0].offers[0].crc, 1u);
  EXPECT_EQ(kinds(v[2]), std::set<std::string>{"unknown-symbol:nothere"});
}

TEST(kabi_engine, TransitiveFailureThroughAChain) {
  // c needs b needs a; a has a broken vmlinux import.
  auto v = check(vmlinux({{"printk", 1}}), {mod("a", {{"printk", 2}}, {{"a_fn", 10}}),
                                            mod("b", {{"a_fn", 10}}, {{"b_fn", 11}}), mod("c", {{"b_fn", 11}}),
                                            mod("d", {{"printk", 1}})});
  EXPECT_FALSE(v[0].loadable);
  EXPECT_FALSE(v[1].loadable);
  EXPECT_EQ(kinds(v[1]), std::set<std::string>{"needs-unloadable-module:a_fn"});
  EXPECT_EQ(v[1].problems[0].offers.at(0).owner, "kernel/drivers/net/a.ko");
  EXPECT_FALSE(v[2].loadable);
  EXPECT_EQ(kinds(v[2]), std::set<std::string>{"needs-unloadable-module:b_fn"});
  EXPECT_TRUE(v[3].loadable);
}

TEST(kabi_engine, CyclesStayLoadableUnlessAMemberFails) {
  auto ring = [](uint64_t printk_crc) {
    return std::vector<ModuleRecord>{mod("x", {{"y_fn", 2}, {"printk", printk_crc}}, {{"x_fn", 1}}),
                                     mod("y", {{"x_fn", 1}}, {{"y_fn", 2}})};
  };
  auto good = check(vmlinux({{"printk", 5}}), ring(5));
  EXPECT_TRUE(good[0].loadable);
  EXPECT_TRUE(good[1].loadable);
  EXPECT_EQ(good[0].satisfied_by_candidates, 1u);
  auto bad = check(vmlinux({{"printk", 5}}), ring(6));
  EXPECT_FALSE(bad[0].loadable);
  EXPECT_FALSE(bad[1].loadable);
  EXPECT_EQ(kinds(bad[1]), std::set<std::string>{"needs-unloadable-module:x_fn"});
}

TEST(kabi_engine, AnyLoadableOffererWillDo) {
  // Two candidates offer s with the right CRC; one of them fails: the importer stays loadable.
  auto mods = std::vector<ModuleRecord>{mod("p1", {{"printk", 9}}, {{"s", 3}}), mod("p2", {{"printk", 1}}, {{"s", 3}}),
                                        mod("user", {{"s", 3}})};
  auto v = check(vmlinux({{"printk", 1}}), mods);
  EXPECT_FALSE(v[0].loadable);
  EXPECT_TRUE(v[1].loadable);
  EXPECT_TRUE(v[2].loadable);
  // A fixed provider (the new kernel's own module) with the right CRC beats a failing candidate.
  auto fixed = vmlinux({{"printk", 1}});
  fixed.push_back({"s", 3, "kernel/drivers/net/p1", "EXPORT_SYMBOL", ""});
  auto w = check(fixed, {mod("p1", {{"printk", 9}}, {{"s", 3}}), mod("user", {{"s", 3}})});
  EXPECT_TRUE(w[1].loadable);
  EXPECT_EQ(w[1].satisfied_by_fixed, 1u);
}

TEST(kabi_engine, WeakAndUnversionedSymbols) {
  auto m = mod("m", {{"printk", 1}});
  m.dependency_symbols.push_back({"optional_fn", 0, true});  // weak: never required
  m.dependency_symbols.push_back({"plain_fn", 0, false});    // no __versions entry: any CRC
  auto reqs = requirements_of(m);
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_FALSE(reqs[1].versioned);
  auto v = check(vmlinux({{"printk", 1}, {"plain_fn", 77}}), {m});
  EXPECT_TRUE(v[0].loadable);
  auto w = check(vmlinux({{"printk", 1}}), {m});
  EXPECT_EQ(kinds(w[0]), std::set<std::string>{"unknown-symbol:plain_fn"});
}

TEST(kabi_engine, VermagicNamespaceAndLicense) {
  auto v = check(vmlinux({{"printk", 1}}), {mod("old", {{"printk", 1}}, {}, "6.1.0-56-amd64 SMP mod_unload ")});
  EXPECT_EQ(kinds(v[0]), std::set<std::string>{"vermagic-mismatch:"});
  auto unchecked = check(vmlinux({{"printk", 1}}), {mod("old", {{"printk", 1}}, {}, "x y ")}, "");
  EXPECT_TRUE(unchecked[0].loadable);

  std::vector<FixedExport> fixed = {{"ns_fn", 1, "vmlinux", "EXPORT_SYMBOL_GPL", "CXL"},
                                    {"gpl_fn", 2, "vmlinux", "EXPORT_SYMBOL_GPL", ""}};
  auto importer = mod("imp", {{"ns_fn", 1}});
  auto ns = check(fixed, {importer});
  EXPECT_EQ(kinds(ns[0]), std::set<std::string>{"namespace-not-imported:ns_fn"});
  importer.modinfo.push_back({"import_ns", "CXL"});
  EXPECT_TRUE(check(fixed, {importer})[0].loadable);

  auto proprietary = mod("prop", {{"gpl_fn", 2}});
  proprietary.modinfo[0].value = "Proprietary";
  EXPECT_EQ(kinds(check(fixed, {proprietary})[0]), std::set<std::string>{"gpl-only-symbol:gpl_fn"});
  proprietary.modinfo[0].value = "Dual MIT/GPL";
  EXPECT_TRUE(check(fixed, {proprietary})[0].loadable);
}

KabiSide tree_side(std::vector<ModuleRecord> modules, std::vector<SymversEntry> vmlinux_exports) {
  KabiSide s;
  s.label = s.kver = "6.1.0-56-amd64";
  s.has_tree = true;
  s.modules = std::move(modules);
  s.symvers = std::move(vmlinux_exports);
  s.vermagic = kVermagic;
  return s;
}

TEST(kabi_engine, ReusableIsLoadableWithoutBreakingTheNewKernelsModules) {
  std::vector<SymversEntry> vm = {{"printk", 1, "vmlinux", "EXPORT_SYMBOL", ""}};
  // core's export f changed CRC (1 → 2); the new kernel's own nuser needs the new one.
  auto old_side = tree_side({mod("core", {{"printk", 1}}, {{"f", 1}}), mod("user", {{"f", 1}}),
                             mod("plain", {{"printk", 1}}, {{"g", 5}})},
                            vm);
  auto new_side = tree_side({mod("core", {{"printk", 1}}, {{"f", 2}}), mod("user", {{"f", 2}}), mod("nuser", {{"f", 2}}),
                             mod("plain", {{"printk", 1}}, {{"g", 5}}), mod("guser", {{"g", 5}})},
                            vm);
  auto r = kabi_diff(old_side, new_side);
  EXPECT_EQ(r.loadable, 3u);  // every old module loads (user through the old core)
  ASSERT_TRUE(r.reuse_checked);
  EXPECT_FALSE(r.reusable[0]);  // core would break nuser (and the new user)
  ASSERT_TRUE(r.reuse_blocks[0]);
  EXPECT_TRUE(r.reuse_blocks[0]->new_module);
  EXPECT_EQ(r.reuse_blocks[0]->symbol, "f");
  EXPECT_FALSE(r.reusable[1]);  // user needs the old core, which is not reused
  ASSERT_TRUE(r.reuse_blocks[1]);
  EXPECT_FALSE(r.reuse_blocks[1]->new_module);
  EXPECT_TRUE(r.reusable[2]);   // plain exports g unchanged: guser is happy with the old copy
  EXPECT_EQ(r.reusable_count, 1u);
  auto j = kabi_diff_json(r, old_side, new_side);
  EXPECT_EQ(j["modules"]["reusable"], 1);
  EXPECT_EQ(j["modules"]["list"][0]["reuse_blocked_by"]["symbol"], "f");
  EXPECT_TRUE(j["modules"]["list"][2]["reusable"]);
  // Without a new tree there is nothing to check reuse against.
  new_side.has_tree = false;
  new_side.symvers.push_back({"f", 2, "kernel/drivers/net/core", "EXPORT_SYMBOL", ""});
  auto half = kabi_diff(old_side, new_side);
  EXPECT_FALSE(half.reuse_checked);
  EXPECT_EQ(kabi_diff_json(half, old_side, new_side)["modules"]["list"][0]["reusable"], nullptr);
}

}  // namespace
