#include "package/set_cost.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <unordered_map>

#include "depgen/modalias_patterns.hpp"
#include "hardware/modalias.hpp"

namespace fs = std::filesystem;

namespace kmpkit::package {

std::vector<SetCost> set_costs(const PackagePlan& plan, const KernelInventory& inv,
                               const std::vector<MachineProfile>& machines) {
  std::unordered_map<std::string, size_t> module_by_name;
  for (size_t i = 0; i < inv.modules.size(); ++i) module_by_name.emplace(inv.modules[i].name, i);
  std::vector<SetCost> out;
  for (size_t k = 0; k < plan.kmps.size(); ++k) {
    const auto& kmp = plan.kmps[k];
    if (kmp.set.empty()) continue;
    SetCost c;
    c.package = kmp.name;
    c.modules = kmp.modules.size();
    c.bytes = kmp.bytes;
    std::vector<std::string> aliases;
    for (size_t i : kmp.modules)
      for (auto& a : inv.modules[i].aliases())
        if (depgen::is_device_alias(a)) aliases.push_back(std::move(a));
    std::sort(aliases.begin(), aliases.end());
    aliases.erase(std::unique(aliases.begin(), aliases.end()), aliases.end());
    c.modalias_patterns = aliases.size();
    for (const auto& m : machines)
      if (std::any_of(m.modaliases.begin(), m.modaliases.end(), [&](const std::string& dev) {
            return std::any_of(aliases.begin(), aliases.end(),
                               [&](const std::string& a) { return hardware::alias_matches(a, dev); });
          }))
        c.machines.push_back(m.name);
    // The KMPs its modules need (what their ksym() requirements resolve to), transitively.
    std::set<size_t> pulled;
    std::vector<size_t> todo(kmp.modules.begin(), kmp.modules.end());
    std::set<size_t> seen(todo.begin(), todo.end());
    while (!todo.empty()) {
      size_t i = todo.back();
      todo.pop_back();
      for (std::string dep : inv.modules[i].depends()) {
        std::replace(dep.begin(), dep.end(), '-', '_');  // modinfo keeps the file's spelling
        auto it = module_by_name.find(dep);
        if (it == module_by_name.end() || !seen.insert(it->second).second) continue;
        todo.push_back(it->second);
        long owner = plan.module_package[it->second];
        if (owner >= 0 && static_cast<size_t>(owner) != k) pulled.insert(static_cast<size_t>(owner));
      }
    }
    for (size_t p : pulled) {
      c.pulls.push_back(plan.kmps[p].name);
      c.pulled_bytes += plan.kmps[p].bytes;
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<MachineProfile> read_machine_profiles(const std::string& dir) {
  std::vector<MachineProfile> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const fs::path tsv = e.path() / "modalias.tsv";
    if (!fs::is_regular_file(tsv, ec)) continue;
    MachineProfile m{e.path().filename().string(), {}};
    for (auto& d : hardware::read_modalias_tsv(tsv.string())) m.modaliases.push_back(std::move(d.modalias));
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::string default_profiles_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  std::vector<fs::path> candidates;
  if (!ec) {
    candidates.push_back(exe.parent_path().parent_path() / "share/kmpkit/hw-profiles");
    for (fs::path d = exe.parent_path(); !d.empty() && d != d.root_path(); d = d.parent_path())
      candidates.push_back(d / "hw-profiles");
  }
  candidates.push_back("/usr/local/share/kmpkit/hw-profiles");
  candidates.push_back("/usr/share/kmpkit/hw-profiles");
  for (const auto& c : candidates)
    if (fs::is_directory(c, ec)) return c.string();
  return {};
}

}  // namespace kmpkit::package
