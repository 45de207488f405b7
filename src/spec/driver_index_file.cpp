#include "spec/driver_index_file.hpp"

namespace kmpkit::spec {

hardware::DriverIndex driver_index_of(const package::PackagePlan& plan, const KernelInventory& inv) {
  std::vector<hardware::IndexedModule> modules;
  std::vector<std::pair<std::string, std::string>> aliases;
  for (size_t i = 0; i < inv.modules.size(); ++i) {
    const auto& m = inv.modules[i];
    long pkg = i < plan.module_package.size() ? plan.module_package[i] : -1;
    const std::string& package = pkg < 0 ? plan.kernel.name : plan.kmps.at(static_cast<size_t>(pkg)).name;
    modules.push_back({m.name, m.path, package});
    for (auto& a : m.aliases()) aliases.emplace_back(std::move(a), m.name);
  }
  return hardware::DriverIndex::make(plan.kver, std::move(modules), aliases);
}

}  // namespace kmpkit::spec
