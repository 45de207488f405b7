#include "coverage.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "hardware/modalias.hpp"

namespace kmpkit::test {
namespace {

std::string normalize(std::string s) {
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

bool is_device_alias(std::string_view a) {
  auto c = a.find(':');
  return c != std::string_view::npos && c > 0 && c + 1 < a.size();
}

}  // namespace

const char* coverage_name(Coverage c) {
  switch (c) {
    case Coverage::Installed: return "installed";
    case Coverage::Builtin: return "built-in";
    case Coverage::Harness: return "harness module";
    case Coverage::HarnessDependency: return "needed by a harness module";
    case Coverage::RequestModule: return "loaded by request_module";
    case Coverage::AfterBusDriver: return "device appears after a bus driver";
    case Coverage::Unexplained: return "UNEXPLAINED";
  }
  return "?";
}

bool is_miss(Coverage c) { return c != Coverage::Installed && c != Coverage::Builtin; }

std::set<std::string> dependency_closure(const KernelInventory& inv, const std::string& module) {
  std::unordered_map<std::string, size_t> owner, by_name;
  for (size_t i = 0; i < inv.modules.size(); ++i) {
    by_name[inv.modules[i].name] = i;
    for (const auto& e : inv.modules[i].exports) owner[e.name] = i;
  }
  std::set<std::string> out;
  std::vector<size_t> todo;
  if (auto it = by_name.find(normalize(module)); it != by_name.end()) todo.push_back(it->second);
  while (!todo.empty()) {
    size_t i = todo.back();
    todo.pop_back();
    for (const auto& s : inv.modules[i].dependency_symbols) {
      auto o = owner.find(s.name);
      if (o == owner.end() || o->second == i) continue;
      if (out.insert(inv.modules[o->second].name).second) todo.push_back(o->second);
    }
  }
  return out;
}

std::vector<ModuleCoverage> classify_coverage(const CoverageInput& in) {
  std::vector<ModuleCoverage> out;
  const KernelInventory& inv = *in.inventory;
  std::map<std::string, const ModuleRecord*> by_name;
  for (const auto& m : inv.modules) by_name[m.name] = &m;
  std::set<std::string> builtin;
  for (const auto& b : inv.builtin) {
    auto slash = b.rfind('/');
    std::string base = b.substr(slash == std::string::npos ? 0 : slash + 1);
    builtin.insert(normalize(base.substr(0, base.find('.'))));
  }
  std::set<std::string> harness, installed;
  for (const auto& h : in.harness) harness.insert(normalize(h));
  for (const auto& i : in.installed) installed.insert(normalize(i));
  std::map<std::string, std::string> needed_by_harness;  // dependency → harness module
  for (const auto& h : harness)
    for (const auto& d : dependency_closure(inv, h)) needed_by_harness.emplace(d, h);
  std::set<std::string> buses;
  for (const auto& d : in.devices) buses.insert(hardware::bus_of(d));

  for (const auto& raw : in.loaded) {
    ModuleCoverage c;
    c.module = normalize(raw);
    const ModuleRecord* m = by_name.count(c.module) ? by_name[c.module] : nullptr;
    if (installed.count(c.module)) {
      c.coverage = Coverage::Installed;
    } else if (builtin.count(c.module)) {
      c.coverage = Coverage::Builtin;
    } else if (harness.count(c.module)) {
      c.coverage = Coverage::Harness;
      c.detail = "listed as loaded by the capture harness";
    } else if (needed_by_harness.count(c.module)) {
      c.coverage = Coverage::HarnessDependency;
      c.detail = fmt::format("a dependency of {}", needed_by_harness[c.module]);
    } else if (!m) {
      c.coverage = Coverage::Unexplained;
      c.detail = "no such module in the tree";
    } else {
      std::vector<std::string> device_aliases, other_aliases;
      for (const auto& a : m->aliases()) (is_device_alias(a) ? device_aliases : other_aliases).push_back(a);
      std::string matched;
      for (const auto& a : device_aliases)
        for (const auto& d : in.devices)
          if (matched.empty() && hardware::alias_matches(a, d)) matched = d + " (alias " + a + ")";
      if (!matched.empty()) {
        c.coverage = Coverage::Unexplained;
        c.detail = "a device selects it but it was not installed: " + matched;
      } else if (device_aliases.empty()) {
        c.coverage = Coverage::RequestModule;
        c.detail = other_aliases.empty() ? "no device aliases: loaded by name"
                                         : fmt::format("only non-device aliases: {}", fmt::join(other_aliases, " "));
      } else {
        std::set<std::string> own_buses;
        for (const auto& a : device_aliases) own_buses.insert(hardware::bus_of(a));
        bool bus_absent = std::none_of(own_buses.begin(), own_buses.end(),
                                       [&](const std::string& b) { return buses.count(b) > 0; });
        c.coverage = bus_absent ? Coverage::AfterBusDriver : Coverage::Unexplained;
        c.detail = bus_absent ? fmt::format("no {} device in the snapshot", fmt::join(own_buses, "/"))
                              : "its device aliases match no device of the profile";
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace kmpkit::test
