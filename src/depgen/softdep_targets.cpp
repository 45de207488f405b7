#include "depgen/softdep_targets.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "depgen/depgen.hpp"

namespace kmpkit::depgen {
namespace {

// kmod compares names and aliases with '-' as '_' (outside [...] classes).
std::string underscores(std::string_view s) {
  std::string out;
  int depth = 0;
  for (char c : s) {
    if (c == '[') ++depth;
    if (c == ']' && depth > 0) --depth;
    out += (c == '-' && depth == 0) ? '_' : c;
  }
  return out;
}

}  // namespace

std::unordered_map<std::string, std::vector<std::string>> softdep_targets(const KernelInventory& inv) {
  std::set<std::string> module_names;
  for (const auto& m : inv.modules) module_names.insert(m.name);
  std::set<std::string> builtin_names;
  for (const auto& line : inv.builtin) {
    auto slash = line.rfind('/');
    std::string base = line.substr(slash == std::string::npos ? 0 : slash + 1);
    builtin_names.insert(underscores(base.substr(0, base.find('.'))));
  }
  std::vector<std::pair<std::string, std::string>> aliases;  // (pattern, module) in module order
  for (const auto& m : inv.modules)
    for (const auto& a : m.aliases()) aliases.emplace_back(underscores(a), m.name);
  for (const auto& b : inv.builtin_modinfo)
    if (b.key == "alias") aliases.emplace_back(underscores(b.value), underscores(b.module));

  std::unordered_map<std::string, std::vector<std::string>> out;
  for (const auto& m : inv.modules)
    for (const auto& s : m.softdeps())
      for (const auto& raw : softdep_modules(s)) {
        std::string name = underscores(raw);
        if (module_names.count(name) || builtin_names.count(name) || out.count(raw)) continue;
        std::vector<std::string> targets;
        for (const auto& [pattern, module] : aliases)
          if (::fnmatch(pattern.c_str(), name.c_str(), 0) == 0 &&
              std::find(targets.begin(), targets.end(), module) == targets.end())
            targets.push_back(module);
        out.emplace(raw, std::move(targets));
      }
  return out;
}

}  // namespace kmpkit::depgen
