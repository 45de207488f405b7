#pragma once
// modprobe hints for drivers that are not installed: the modules an installed kernel's build has
// (its offline driver index) but the root does not are covered by a few hundred modprobe.d alias
// globs to "kmpkit_hint" (hint_patterns.hpp: none can match a name that resolves today), and one
// `install kmpkit_hint` rule runs `kmpkit drivers --modprobe-hint`, which reads the name asked for
// from its modprobe parent and names the package and the command instead of modprobe's "not found".
// Aliases, not `install` rules per module: kmod matches every install rule against every module it
// loads, but alias lines only against the name asked for. Device aliases get no rule (the globs
// avoid them): the boot-time report (`kmpkit drivers --missing`) names the packages for devices.
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::drivers {

inline constexpr const char* kMissingRulesPath = "/etc/modprobe.d/90-kmpkit-missing-drivers.conf";

// kmod's modprobe.d directories, in its order (a file name in an earlier one hides the later ones).
inline constexpr const char* kModprobeDirs[] = {"/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d",
                                                "/lib/modprobe.d", "/usr/lib/modprobe.d"};

struct MissingRules {
  std::vector<std::string> modules;    // sorted, kmod names
  std::vector<std::string> patterns;   // the alias globs that cover them
  std::vector<std::string> uncovered;  // missing modules no safe pattern covers (no hint)
  std::string text;                    // the file ("" when there is nothing to say)
};

// The rules for ROOT (every kernel with an index and a module database).
MissingRules missing_driver_rules(const std::string& root);

// Writes them to ROOT/kMissingRulesPath (temporary name, then renamed); no rules: the file is
// removed. Returns true when the file changed. Throws Error(Write).
bool write_missing_driver_rules(const std::string& root, const MissingRules& rules);

// The module every hint alias points to (what kmod puts in MODPROBE_MODULE); no module has it.
inline constexpr const char* kHintModule = "kmpkit_hint";

struct ModprobeHint {
  enum class Kind { Present, Missing, Unknown } kind = Kind::Unknown;
  std::string message;  // Missing: names the package and the command; Unknown: modprobe's "not found"
};

// What the rule says about `module` (the name modprobe was asked for) for kernel `kver`: Present when
// it is there after all (a rule older than the last install, another kernel's: the caller loads it),
// Missing when the kernel build's index names its package, Unknown for any other name a glob caught.
ModprobeHint modprobe_hint(const std::string& root, const std::string& kver, const std::string& module);

}  // namespace kmpkit::drivers
