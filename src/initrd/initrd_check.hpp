#pragma once
// Does a kernel's initrd still fit its modules? Compares the module tree now (modules.dep, file
// identities) with what the initrd was made from, and keeps only the changes that matter: a module
// the initrd holds was updated or removed, or a new module is one dracut would take.
#include <functional>
#include <string>
#include <vector>

#include "initrd/dracut_rules.hpp"
#include "initrd/initrd_record.hpp"

namespace kmpkit::initrd {

struct ModuleChange {
  enum class Kind { Added, Removed, Changed };
  Kind kind;
  std::string name;
  std::string path;
};

struct CheckResult {
  bool kernel_installed = false;  // the kernel image is there
  bool has_initrd = false;        // its initrd exists
  bool has_record = false;        // and kmpkit made it (or knows what it holds)
  std::vector<ModuleChange> changes;  // every module change since the initrd was made
  std::vector<std::string> reasons;   // why it must be made again ("" none: it still fits)
  bool needs_update() const { return !reasons.empty(); }
};

// The state of KVER's initrd in the root. Reads the modules that are new since the initrd was made
// (their imports, for dracut's storage-driver filter); nothing is written.
CheckResult check_initrd(const InitrdPaths& paths);

// What changed between two module lists (both sorted by name).
std::vector<ModuleChange> module_changes(const std::vector<ModuleFile>& before, const std::vector<ModuleFile>& now);

// The reasons among `changes` that concern the initrd (exposed for tests): `imports_of` gives a
// new module's imported symbols.
using ImportsOf = std::function<std::vector<std::string>(const ModuleChange&)>;
std::vector<std::string> relevant_changes(const std::vector<ModuleChange>& changes, const InitrdRecord& record,
                                          const DracutRules& rules, const ImportsOf& imports_of);

}  // namespace kmpkit::initrd
