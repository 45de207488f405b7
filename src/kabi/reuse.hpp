#pragma once
// Which modules of other kernels can serve a kernel together (weak-updates): each one replaces
// the kernel's own copy of the same name (if any), and every module of the resulting set, the
// kernel's own and the borrowed ones, must still find its symbols. A borrowed module that loads
// but exports a symbol with another CRC than the copy it replaces breaks the kernel's modules
// that use it, so it is dropped; that is a greatest fixpoint, like loadability itself.
#include <optional>
#include <string>
#include <vector>

#include "kabi/loadability.hpp"
#include "module/module_record.hpp"

namespace kmpkit::kabi {

// Why a loadable module cannot be reused by the kernel.
struct ReuseBlock {
  std::string module;  // the module that would break: the kernel's own one, or another borrowed one
  std::string symbol;
  bool new_module = true;  // `module` is one of the kernel's own modules
  std::optional<Problem> problem;  // the module's own first problem (new_module == false)
};

struct ReuseInput {
  std::vector<FixedExport> vmlinux;                 // the kernel's vmlinux exports
  std::vector<const ModuleRecord*> own;             // the kernel's own modules
  std::vector<const ModuleRecord*> candidates;      // modules built for other kernels
  std::vector<bool> start;                          // candidates to consider (e.g. the loadable ones)
  std::string kernel_vermagic;                      // "" = not checked
};

struct ReuseResult {
  std::vector<bool> reusable;                          // one per candidate
  std::vector<std::optional<ReuseBlock>> blocks;       // why a started candidate was dropped
};

ReuseResult choose_reusable(const ReuseInput& input);

// The kernel's own modules as fixed exports (types and namespaces from its Module.symvers when
// the CRC agrees), and vmlinux's: what a candidate can rely on before any reuse.
std::vector<FixedExport> fixed_exports_of(const std::vector<SymversEntry>& symvers,
                                          const std::vector<const ModuleRecord*>& own);

// "kernel/fs/ext4/ext4.ko" → "kernel/fs/ext4/ext4" (Module.symvers' module column).
std::string strip_module_ext(std::string path);

}  // namespace kmpkit::kabi
