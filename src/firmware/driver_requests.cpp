#include "firmware/driver_requests.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "module/kernel_tree.hpp"
#include "module/tree_walk.hpp"
#include "util/error.hpp"

namespace kmpkit::firmware {
namespace {

void add(std::map<std::string, std::vector<std::string>>& to, const std::string& name, const std::string& driver) {
  auto& v = to[name];
  if (std::find(v.begin(), v.end(), driver) == v.end()) {
    v.push_back(driver);
    std::sort(v.begin(), v.end());
  }
}

}  // namespace

bool is_glob_request(const std::string& name) { return name.find_first_of("*?[") != std::string::npos; }

DriverRequests driver_requests_of(const std::vector<ModuleRecord>& modules, const std::vector<BuiltinModinfo>& builtin) {
  DriverRequests r;
  r.modules = modules.size();
  auto request = [&](const std::string& name, const std::string& driver) {
    ++r.lines;
    add(is_glob_request(name) ? r.globs : r.names, name, driver);
  };
  for (const auto& m : modules) {
    auto fw = m.firmware();
    if (fw.empty()) continue;
    ++r.drivers;
    for (const auto& f : fw) request(f, m.name);
  }
  std::vector<std::string> seen;
  for (const auto& b : builtin) {
    if (b.key != "firmware") continue;
    std::string name = b.module;
    std::replace(name.begin(), name.end(), '-', '_');
    if (std::find(seen.begin(), seen.end(), name) == seen.end()) {
      seen.push_back(name);
      ++r.drivers;
    }
    request(b.value, name);
  }
  std::sort(seen.begin(), seen.end());
  r.builtin_drivers = std::move(seen);
  return r;
}

DriverRequests read_driver_requests(const std::string& basedir, const std::string& kver, unsigned threads,
                                    const std::function<void(size_t, size_t)>& progress) {
  KernelTree tree = locate_kernel_tree(basedir, kver);
  std::error_code ec;
  if (!std::filesystem::is_directory(tree.module_dir, ec))
    throw Error(ErrorKind::Input,
                fmt::format("no module directory {} (is the kernel release right? --kernel-root ROOT)", tree.module_dir));
  auto scan = read_modules(list_module_files(tree.module_dir), tree.module_dir, threads, progress, kReadModinfo);
  std::vector<BuiltinModinfo> builtin;
  if (tree.builtin_modinfo)
    if (auto b = read_builtin_modinfo(*tree.builtin_modinfo)) builtin = std::move(*b);
  DriverRequests r = driver_requests_of(scan.modules, builtin);
  r.errors = std::move(scan.errors);
  return r;
}

}  // namespace kmpkit::firmware
