#pragma once
// The alias patterns of modprobe's hints: as few lines as possible, because kmod parses every line
// of modprobe.d at each start (with one line per missing module, ~3950, a modprobe paid 2-3 ms).
// Each missing module name is covered by the shortest prefix glob "p*" that can match no name the
// system must keep resolving as before: installed and built-in modules, every alias of the kernel
// builds (device aliases, "fs-*", "crypto-*", ...) and every name the other modprobe.d files
// mention. kmod looks up modprobe.d aliases before modules.dep and modules.alias and loads every
// alias that matches, so such a pattern would shadow them; these patterns cannot.
#include <set>
#include <string>
#include <vector>

namespace kmpkit::drivers {

// `protected_names` are kmod-normalized names or fnmatch patterns ('-' as '_' outside brackets).
struct HintPatterns {
  std::vector<std::string> patterns;   // sorted: "e1000*", "zd1211rw" (a full name when no glob is safe)
  std::vector<std::string> uncovered;  // missing names no pattern can cover safely (they get no hint)
};

HintPatterns hint_patterns(const std::set<std::string>& missing, const std::vector<std::string>& protected_names);

}  // namespace kmpkit::drivers
