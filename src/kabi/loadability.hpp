#pragma once
// Would a set of modules load into a kernel? Each candidate module needs every symbol it imports
// from a provider with the same CRC: either a fixed provider (vmlinux, or modules that are known
// to be good) or another candidate that is itself loadable. That is a greatest fixpoint: start
// with every candidate loadable, drop the ones with a problem of their own, then keep dropping
// the ones that need a symbol only dropped candidates offer, until nothing changes. Mutually
// dependent candidates stay loadable together unless one of them has a problem.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "module/kernel_files.hpp"
#include "module/module_record.hpp"

namespace kmpkit::kabi {

// An export that is always there (vmlinux, or a module of the kernel's own tree).
struct FixedExport {
  std::string symbol;
  uint64_t crc = 0;
  std::string owner;        // "vmlinux" or the module path (without .ko), as in Module.symvers
  std::string export_type;  // EXPORT_SYMBOL, EXPORT_SYMBOL_GPL, ... ("" unknown)
  std::string ns;           // symbol namespace ("" none)
};

std::vector<FixedExport> fixed_exports_from_symvers(const std::vector<SymversEntry>& symvers, bool vmlinux_only);

enum class ProblemKind {
  UnknownSymbol,       // nobody exports the symbol
  CrcMismatch,         // exported, but with another CRC
  NeedsInvalidModule,  // only candidates that are not loadable themselves offer it (transitive)
  Vermagic,            // vermagic flags differ from the kernel's
  Namespace,           // the provider's export is in a namespace the module does not import
  GplOnly,             // a GPL-only export, and the module's license is not GPL-compatible
};
const char* problem_kind_name(ProblemKind kind);  // "unknown-symbol", "crc-mismatch", ...
// Problems depmod -e -E reports too ("needs unknown symbol", "disagrees about version of symbol").
inline bool is_symbol_version_problem(ProblemKind k) {
  return k == ProblemKind::UnknownSymbol || k == ProblemKind::CrcMismatch;
}

struct Offer {
  std::string owner;  // "vmlinux", a module path, or a candidate module's path
  uint64_t crc = 0;
};

struct Problem {
  ProblemKind kind = ProblemKind::UnknownSymbol;
  std::string symbol;           // empty for Vermagic
  uint64_t crc = 0;             // the CRC the module wants (versioned == true)
  bool versioned = true;        // false: the module has no __versions entry for the symbol
  std::vector<Offer> offers;    // CrcMismatch: what is exported instead; NeedsInvalidModule: the
                                // unloadable candidates that offer it
  std::string detail;           // Vermagic: the module's vermagic; Namespace: the namespace
};

struct ModuleVerdict {
  bool loadable = true;
  std::vector<Problem> problems;  // the module's own problems first, then the transitive ones
  size_t satisfied_by_fixed = 0;       // requirements met by a fixed provider
  size_t satisfied_by_candidates = 0;  // requirements met only by (loadable) candidates
};

struct LoadabilityInput {
  std::vector<FixedExport> fixed;
  std::vector<const ModuleRecord*> candidates;
  // The kernel's own vermagic; empty: vermagic is not checked.
  std::string kernel_vermagic;
  bool check_licenses = true;    // GPL-only exports need a GPL-compatible module (fixed exports only)
  bool check_namespaces = true;  // namespaced exports need import_ns (fixed exports only)
};

// One verdict per candidate, in the same order.
std::vector<ModuleVerdict> check_loadability(const LoadabilityInput& input);

// What a module needs: its non-weak dependency symbols with the CRC of its __versions entry
// (versioned = false when there is none), or its __versions table when the dependency symbols
// were not read.
struct Requirement {
  std::string symbol;
  uint64_t crc = 0;
  bool versioned = true;
};
std::vector<Requirement> requirements_of(const ModuleRecord& module);

}  // namespace kmpkit::kabi
