#include "drivers/hint_patterns.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <unordered_map>

namespace kmpkit::drivers {
namespace {

// Can fnmatch `pattern` (no flags: '*', '?', '[...]', '\\') match some name that begins with
// `prefix`? The pattern is run over the prefix as a set of positions; any position left can go on
// to match something.
bool glob_accepts_prefix(std::string_view pattern, std::string_view prefix) {
  // Position i: the pattern's remainder pattern[i..]. '*' may match nothing, so it is skipped too.
  std::vector<size_t> states = {0}, next;
  auto close_stars = [&](std::vector<size_t>& set) {
    for (size_t k = 0; k < set.size(); ++k)
      if (set[k] < pattern.size() && pattern[set[k]] == '*') set.push_back(set[k] + 1);
  };
  close_stars(states);
  for (char c : prefix) {
    next.clear();
    for (size_t i : states) {
      if (i >= pattern.size()) continue;
      char t = pattern[i];
      if (t == '*') {
        next.push_back(i);
      } else if (t == '?') {
        next.push_back(i + 1);
      } else if (t == '[') {
        size_t end = pattern.find(']', i + 2);
        if (end == std::string_view::npos) {  // fnmatch takes an unclosed '[' literally
          if (c == '[') next.push_back(i + 1);
          continue;
        }
        std::string cls(pattern.substr(i, end - i + 1)), one(1, c);
        if (::fnmatch(cls.c_str(), one.c_str(), 0) == 0) next.push_back(end + 1);
      } else if (t == '\\' && i + 1 < pattern.size()) {
        if (pattern[i + 1] == c) next.push_back(i + 2);
      } else if (t == c) {
        next.push_back(i + 1);
      }
    }
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    close_stars(next);
    states.swap(next);
    if (states.empty()) return false;
  }
  return true;
}

// A device alias ("pci:v00008086d*", "acpi*:PNP0C0A:*") or "symbol:NAME" is asked for as a string
// that begins with its bus and a colon ("acpi:PNP0C0A:", udev's MODALIAS), so what must be kept is
// "BUS:*": without it "acpi*:..." would forbid every glob beginning with "acpi", the star being able
// to stand for "_als".
std::string as_asked(const std::string& name) {
  size_t colon = name.find(':');
  if (colon == std::string::npos || name.find('[') < colon) return name;
  std::string bus;
  for (char c : name.substr(0, colon))
    if (c != '*' && c != '?') bus.push_back(c);
  return bus + ":*";
}

class ProtectedNames {
 public:
  explicit ProtectedNames(const std::vector<std::string>& names) {
    for (const auto& name : names) {
      const std::string n = as_asked(name);
      size_t glob = n.find_first_of("*?[");
      if (glob == std::string::npos) {
        literals_.push_back(n);
        exact_.insert(n);
      } else {
        literals_.push_back(n.substr(0, glob));
        glob_by_literal_[n.substr(0, glob)].push_back(n);
      }
    }
    std::sort(literals_.begin(), literals_.end());
  }

  // Can "prefix*" match a protected name, or a name a protected pattern matches?
  bool prefix_glob_conflicts(std::string_view prefix) const {
    // A protected name or pattern that begins with the prefix.
    auto it = std::lower_bound(literals_.begin(), literals_.end(), prefix,
                               [](const std::string& a, std::string_view b) { return std::string_view(a) < b; });
    if (it != literals_.end() && std::string_view(*it).starts_with(prefix)) return true;
    // A pattern whose fixed part is shorter and that can go on with the rest of the prefix
    // ("acpi*:PNP0C0A:*" cannot go on with "acpi_", so "acpi_*" is safe beside it).
    for (size_t k = 0; k <= prefix.size(); ++k) {
      auto it = glob_by_literal_.find(std::string(prefix.substr(0, k)));
      if (it == glob_by_literal_.end()) continue;
      for (const auto& pattern : it->second)
        if (glob_accepts_prefix(pattern, prefix)) return true;
    }
    return false;
  }

  // Would the exact alias `name` hide something?
  bool exact_conflicts(const std::string& name) const {
    if (exact_.count(name)) return true;
    for (size_t k = 0; k <= name.size(); ++k) {
      auto it = glob_by_literal_.find(name.substr(0, k));
      if (it == glob_by_literal_.end()) continue;
      for (const auto& pattern : it->second)
        if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return true;
    }
    return false;
  }

 private:
  std::vector<std::string> literals_;  // names, and patterns' fixed parts, sorted
  std::set<std::string> exact_;
  std::unordered_map<std::string, std::vector<std::string>> glob_by_literal_;
};

}  // namespace

HintPatterns hint_patterns(const std::set<std::string>& missing, const std::vector<std::string>& protected_names) {
  ProtectedNames kept(protected_names);
  std::set<std::string> patterns;
  HintPatterns out;
  for (const auto& name : missing) {
    // Safety only grows with the prefix's length, so the shortest safe prefix is the widest glob;
    // names that share it share the line.
    bool covered = false;
    for (size_t len = 1; len <= name.size() && !covered; ++len) {
      std::string_view prefix(name.data(), len);
      if (!kept.prefix_glob_conflicts(prefix)) {
        patterns.insert(std::string(prefix) + "*");
        covered = true;
      }
    }
    if (covered) continue;
    if (!kept.exact_conflicts(name)) {
      patterns.insert(name);
    } else {
      out.uncovered.push_back(name);
    }
  }
  // Sibling globs share one line as a bracket: "act*", "ad*", "ai*" → "a[cdi]*" is wrong (act vs ac),
  // but "a1*", "a3*", "a8*" → "a[138]*": the same names, one line for kmod to parse.
  std::map<std::string, std::string> by_parent;  // "a" → "138"
  for (const auto& p : patterns) {
    if (p.size() >= 2 && p.back() == '*') {
      by_parent[p.substr(0, p.size() - 2)].push_back(p[p.size() - 2]);
    } else {
      out.patterns.push_back(p);
    }
  }
  for (const auto& [parent, last] : by_parent)
    out.patterns.push_back(last.size() == 1 ? parent + last + "*" : parent + "[" + last + "]*");
  std::sort(out.patterns.begin(), out.patterns.end());
  return out;
}

}  // namespace kmpkit::drivers
