#pragma once
// Which module files depmod uses: the tree walked in depmod's order (lib/modules/KVER, then each
// `external` directory), and one file per module name, chosen by depmod 30's priority rules
// (override, then search order; see docs/depmod.md).
#include <cstdint>
#include <string>
#include <vector>

#include "depmod/config.hpp"

namespace kmpkit::depmod {

struct ModuleFile {
  std::string file;     // path as walked (module_dir + "/" + relpath, or inside an external dir)
  std::string relpath;  // relative to module_dir; empty for a module outside it
  std::string name;     // module name (basename up to the first '.', '-' → '_')
  uint64_t size = 0;    // stat of the file at walk time (the cache's key with `file`)
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
};

// True when `old_file` keeps its place against `new_file` (same module name, found later).
bool keeps_priority(const DepmodConfig& cfg, const ModuleFile& old_file, const ModuleFile& new_file);

// One module name found more than once.
struct DuplicateModule {
  std::string name;
  std::vector<size_t> copies;  // indexes into the file list, in walk order
  size_t winner = 0;           // the index depmod keeps
};

// Files in walk order → for each, whether depmod keeps it (one per module name, by depmod 30's
// priority rules); the duplicates are listed when asked.
std::vector<bool> choose_module_copies(const std::vector<ModuleFile>& files, const DepmodConfig& cfg,
                                       std::vector<DuplicateModule>* duplicates = nullptr);

// The winning file of every module name, in walk order of the winners' first appearance (the
// order does not matter for the output: depmod re-sorts by name hash).
std::vector<ModuleFile> select_module_files(const std::string& module_dir, const DepmodConfig& cfg);

}  // namespace kmpkit::depmod
