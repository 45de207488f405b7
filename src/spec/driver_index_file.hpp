#pragma once
// The kernel package's offline driver index (hardware/driver_index.hpp) of a package plan: every
// module of the build with the package that ships it and its aliases (internal to src/spec/).
#include <string>

#include "hardware/driver_index.hpp"
#include "module/inventory.hpp"
#include "package/plan.hpp"

namespace kmpkit::spec {

hardware::DriverIndex driver_index_of(const package::PackagePlan& plan, const KernelInventory& inv);

// Where the split writes it (DIR/driver-index.gz): the kernel spec installs it from there.
inline constexpr const char* kDriverIndexFile = "driver-index.gz";

}  // namespace kmpkit::spec
