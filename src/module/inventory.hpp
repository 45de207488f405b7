#pragma once
// Everything kmpkit reads from one kernel tree, read once.
#include <functional>
#include <string>
#include <vector>

#include "module/kernel_files.hpp"
#include "module/kernel_tree.hpp"
#include "module/module_reader.hpp"

namespace kmpkit {

struct KernelInventory {
  KernelTree tree;
  std::vector<ModuleRecord> modules;  // in depmod's scan order
  std::vector<ReadError> errors;      // modules that could not be read
  std::vector<SymversEntry> symvers;
  std::vector<std::string> builtin;   // modules.builtin lines
  std::vector<BuiltinModinfo> builtin_modinfo;
  std::vector<std::string> order;     // modules.order lines
};

struct InventoryOptions {
  unsigned threads = 0;
  std::function<void(size_t, size_t)> progress;
};

// Reads the tree. Throws std::runtime_error when the module directory does not exist.
KernelInventory read_inventory(const std::string& basedir, const std::string& kver,
                               const InventoryOptions& options = {});

}  // namespace kmpkit
