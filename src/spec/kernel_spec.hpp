#pragma once
// kernel.spec: the kernel package (image, maps, config, symvers, the module database as %ghost,
// its scripts) and the pattern packages (internal to src/spec/).
#include <string>
#include <vector>

#include "module/inventory.hpp"
#include "package/plan.hpp"
#include "spec/manifest.hpp"
#include "spec/split.hpp"

namespace kmpkit::spec {

// Writes DIR/kernel.spec and its lists; returns its manifest entry. Warnings for missing files.
SpecEntry write_kernel_spec(const package::PackagePlan& plan, const KernelInventory& inv, const SplitOptions& o,
                            const std::string& module_root, std::vector<std::string>& warnings);

}  // namespace kmpkit::spec
