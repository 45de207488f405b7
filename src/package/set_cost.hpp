#pragma once
// What a module set costs the machines that install it (split --check): a set is one KMP, so any
// one device matching any of its modules installs all of them, and everything they need. Shown per
// set so a packager sees whether a set is worth it (docs/policy.md, "What a set costs").
#include <cstdint>
#include <string>
#include <vector>

#include "module/inventory.hpp"
#include "package/plan.hpp"

namespace kmpkit::package {

// A captured machine: its name and its devices' modaliases (hw-profiles/NAME/modalias.tsv).
struct MachineProfile {
  std::string name;
  std::vector<std::string> modaliases;
};

struct SetCost {
  std::string package;                // the set's KMP
  size_t modules = 0;
  uint64_t bytes = 0;                 // its module files
  size_t modalias_patterns = 0;       // device aliases of its modules (its Supplements: modalias)
  std::vector<std::string> machines;  // profiles with a device it matches (installed there by hardware)
  std::vector<std::string> pulls;     // other KMPs installing it pulls in (modinfo depends, transitively)
  uint64_t pulled_bytes = 0;          // their module files
};

// Every set KMP of the plan, in plan order.
std::vector<SetCost> set_costs(const PackagePlan& plan, const KernelInventory& inventory,
                               const std::vector<MachineProfile>& machines);

// The profiles of a directory of hardware profiles (each DIR/NAME/modalias.tsv), sorted by name.
std::vector<MachineProfile> read_machine_profiles(const std::string& dir);

// The shipped hardware profiles (share/kmpkit/hw-profiles beside the binary, else the source tree's
// hw-profiles/); "" when none is found.
std::string default_profiles_dir();

}  // namespace kmpkit::package
