#pragma once
// Softdeps name modules or aliases ("softdep ext4 pre: crc32c": crc32c is an alias that
// crc32c_intel and crc32c_generic answer). For rpm Recommends each name must become module names:
// resolved here the way modprobe resolves it, against the kernel's modules and built-in modules.
#include <string>
#include <unordered_map>
#include <vector>

#include "module/inventory.hpp"

namespace kmpkit::depgen {

// Every softdep name of the tree that is not a module name → the modules it resolves to (empty:
// none; a built-in module resolves to its name, which the kernel package provides as kmod()).
std::unordered_map<std::string, std::vector<std::string>> softdep_targets(const KernelInventory& inventory);

}  // namespace kmpkit::depgen
