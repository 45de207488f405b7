#pragma once
// Does an install selected by hardware cover what the machine really loaded? For every module of
// a profile's loaded-modules.txt: covered (installed, or built in) or a miss with its reason.
#include <set>
#include <string>
#include <vector>

#include "module/inventory.hpp"

namespace kmpkit::test {

enum class Coverage {
  Installed,          // a package of the install holds it
  Builtin,            // built into the kernel image
  Harness,            // loaded by the capture harness, not by the machine's devices
  HarnessDependency,  // needed only by harness modules
  RequestModule,      // loaded by name or non-device alias (request_module: fs-*, net-pf-*, crypto-*, ...)
  AfterBusDriver,     // its device appears only once a bus driver runs, and the snapshot lacks it
  Unexplained,        // a miss without a reason: a bug
};

const char* coverage_name(Coverage c);
bool is_miss(Coverage c);

struct ModuleCoverage {
  std::string module;
  Coverage coverage = Coverage::Unexplained;
  std::string detail;  // why, for a human (matching device, dependent harness module, alias ...)
};

struct CoverageInput {
  std::vector<std::string> loaded;             // loaded-modules.txt
  std::set<std::string> installed;             // module names present in the install
  std::vector<std::string> devices;            // the machine's modaliases
  std::vector<std::string> harness;            // modules the capture harness loaded itself
  const KernelInventory* inventory = nullptr;  // the whole tree: aliases, dependencies, builtins
};

std::vector<ModuleCoverage> classify_coverage(const CoverageInput& input);

// Module names (kmod form) that a module needs, transitively (by exported symbols, as depmod).
std::set<std::string> dependency_closure(const KernelInventory& inventory, const std::string& module);

}  // namespace kmpkit::test
