#pragma once
// kabi diff: what changed between two kernels' exported symbols, and which modules of the old
// kernel would still load into the new one (docs/kabi.md).
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "kabi/loadability.hpp"
#include "kabi/reuse.hpp"
#include "kabi/symbol_diff.hpp"
#include "module/module_reader.hpp"

namespace kmpkit::kabi {

// One side of the comparison: a module tree (basedir + kver), a Module.symvers file, or both (the
// file then replaces the Module.symvers found with the tree).
struct SideSpec {
  std::string basedir;  // "" = the running system's root
  std::string kver;     // "" = no tree
  std::string symvers;  // "" = find it with the tree
};

struct KabiSide {
  std::string label;  // the kernel release, or the Module.symvers path
  std::string kver;
  bool has_tree = false;
  std::string module_dir;
  std::string symvers_path;
  std::vector<SymversEntry> symvers;
  std::vector<ModuleRecord> modules;  // empty without a tree
  std::vector<ReadError> errors;      // unreadable modules
  std::string vermagic;               // the kernel's own vermagic (from its modules); "" unknown
};

// Reads one side. Throws std::runtime_error (a message for people) when the tree or the
// Module.symvers is missing.
KabiSide load_side(const SideSpec& spec, unsigned threads = 0,
                   const std::function<void(size_t, size_t)>& progress = {});

struct SubsystemCount {
  std::string subsystem;
  size_t modules = 0;
  size_t loadable = 0;
  size_t reusable = 0;
};

struct KabiDiffResult {
  SymbolDiff symbols;
  bool modules_checked = false;   // the old side is a tree
  bool vermagic_checked = false;  // both sides have modules to take a vermagic from
  bool vermagic_equal = true;     // the two kernels' vermagic flags are equal
  std::vector<ModuleVerdict> verdicts;  // one per old.modules entry
  size_t loadable = 0;
  // Reuse (needs the new side as a tree): the largest set of loadable old modules that can serve
  // the new kernel together, each replacing the new kernel's copy of the same name, so that every
  // module of the resulting set (old and new) still finds its symbols. An old module whose
  // exports changed CRC breaks the new modules that use them, so it is not reusable even though
  // it loads.
  bool reuse_checked = false;
  std::vector<bool> reusable;                        // one per old.modules entry
  std::vector<std::optional<ReuseBlock>> reuse_blocks;  // why a loadable module is not reusable
  size_t reusable_count = 0;
  size_t direct_failures = 0;      // modules with a problem of their own
  std::vector<SubsystemCount> by_subsystem;                   // sorted by name
  std::vector<std::pair<std::string, size_t>> top_symbols;    // symbol → modules it breaks directly, most first
};

// The new side supplies vmlinux (its Module.symvers entries for vmlinux) and its modules (their
// own exports when it is a tree, else the module entries of its Module.symvers); the old side's
// modules are the candidates.
KabiDiffResult kabi_diff(const KabiSide& old_side, const KabiSide& new_side);

nlohmann::ordered_json kabi_diff_json(const KabiDiffResult& r, const KabiSide& old_side, const KabiSide& new_side);
// The human report; `details` lists every changed symbol and every old module's verdict.
std::string kabi_diff_text(const KabiDiffResult& r, const KabiSide& old_side, const KabiSide& new_side, bool details);

// "module_layout: crc 160c03af, vmlinux has 9060323f" and the like.
std::string describe_problem(const Problem& p);

}  // namespace kmpkit::kabi
