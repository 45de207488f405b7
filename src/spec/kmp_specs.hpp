#pragma once
// kmps-NN.spec: the KMPs, spread over "shard" specs by estimated build cost (internal to src/spec/).
#include <string>
#include <vector>

#include "module/inventory.hpp"
#include "package/plan.hpp"
#include "spec/manifest.hpp"
#include "spec/split.hpp"

namespace kmpkit::spec {

// Writes DIR/kmps-NN.spec and their lists for the KMPs to publish; returns their manifest entries.
std::vector<SpecEntry> write_kmp_specs(const package::PackagePlan& plan, const KernelInventory& inv,
                                       const SplitOptions& o, const std::string& module_root);

}  // namespace kmpkit::spec
