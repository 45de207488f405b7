#include "module/inventory.hpp"

#include "util/error.hpp"

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "module/missing_tree.hpp"
#include "module/tree_walk.hpp"

namespace kmpkit {

KernelInventory read_inventory(const std::string& basedir, const std::string& kver,
                               const InventoryOptions& options) {
  KernelInventory inv;
  inv.tree = locate_kernel_tree(basedir, kver);
  std::error_code ec;
  if (!std::filesystem::is_directory(inv.tree.module_dir, ec))
    throw Error(ErrorKind::Input, no_module_directory_message(inv.tree.module_dir));
  auto files = list_module_files(inv.tree.module_dir);
  auto scan = read_modules(files, inv.tree.module_dir, options.threads, options.progress);
  inv.modules = std::move(scan.modules);
  inv.errors = std::move(scan.errors);
  if (inv.tree.symvers)
    if (auto s = read_symvers(*inv.tree.symvers)) inv.symvers = std::move(*s);
  if (inv.tree.builtin)
    if (auto b = read_lines(*inv.tree.builtin))
      for (auto& l : *b)
        if (!l.empty()) inv.builtin.push_back(std::move(l));
  if (inv.tree.builtin_modinfo)
    if (auto b = read_builtin_modinfo(*inv.tree.builtin_modinfo)) inv.builtin_modinfo = std::move(*b);
  if (inv.tree.order)
    if (auto o = read_lines(*inv.tree.order))
      for (auto& l : *o)
        if (!l.empty()) inv.order.push_back(std::move(l));
  return inv;
}

}  // namespace kmpkit
