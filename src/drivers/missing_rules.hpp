#pragma once
// modprobe hints for drivers that are not installed: for every module an installed kernel's build
// has (its offline driver index) but the root does not, a modprobe.d alias to "kmpkit_hint_NAME",
// and one `install kmpkit_hint_*` rule that runs `kmpkit drivers --modprobe-hint`, which names the
// package and the command instead of modprobe's "not found". Aliases, not one `install` rule per
// module: kmod matches every install rule against every module it loads (fnmatch), but the alias
// lines only against the name asked for, once. Device aliases get no rule: kmod consults
// modprobe.d aliases before modules.alias, so a rule for a device could shadow an installed driver;
// the boot-time report (`kmpkit drivers --missing`) names the packages for devices.
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::drivers {

inline constexpr const char* kMissingRulesPath = "/etc/modprobe.d/90-kmpkit-missing-drivers.conf";

struct MissingRules {
  std::vector<std::string> modules;  // sorted, kmod names
  std::string text;                  // the file ("" when there is nothing to say)
};

// The rules for ROOT (every kernel with an index and a module database).
MissingRules missing_driver_rules(const std::string& root);

// Writes them to ROOT/kMissingRulesPath (temporary name, then renamed); no rules: the file is
// removed. Returns true when the file changed. Throws Error(Write).
bool write_missing_driver_rules(const std::string& root, const MissingRules& rules);

// The name the rules give a missing module (what kmod puts in MODPROBE_MODULE).
inline constexpr const char* kHintPrefix = "kmpkit_hint_";

// The module a hint was asked for: MODPROBE_MODULE without kHintPrefix.
std::string asked_module(std::string_view modprobe_module);

// What the rule runs: `module` (MODPROBE_MODULE, with or without kHintPrefix) for the running kernel `kver`. When the module is
// there after all (a rule older than the last install, another kernel's), returns "" and the caller
// loads it; else the message naming its package and the command to install it.
std::string modprobe_hint(const std::string& root, const std::string& kver, const std::string& module);

}  // namespace kmpkit::drivers
