#include "initrd/weak_update_drivers.hpp"

#include <unistd.h>

#include <climits>
#include <filesystem>
#include <set>

#include "initrd/dracut_rules.hpp"
#include "module/module_reader.hpp"

namespace fs = std::filesystem;

namespace kmpkit::initrd {
namespace {

// A link's target as a path inside the root ("/lib/modules/OTHER/kernel/fs/ext4/ext4.ko.zst").
std::string link_target_in_root(const InitrdPaths& paths, const std::string& link_in_root) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(paths.in_root(link_in_root).c_str(), buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string target(buf, static_cast<size_t>(n));
  if (target.empty() || target[0] != '/')
    target = (fs::path(link_in_root).parent_path() / target).lexically_normal().string();
  return target;
}

// "/lib/modules/OTHER/kernel/fs/x.ko" → "kernel/fs/x.ko" (the place dracut's rules look at).
std::string path_in_its_tree(const std::string& target) {
  static const std::string prefix = "/lib/modules/";
  auto pos = target.find(prefix);
  if (pos == std::string::npos) return {};
  auto slash = target.find('/', pos + prefix.size());
  return slash == std::string::npos ? std::string() : target.substr(slash + 1);
}

}  // namespace

std::vector<std::string> weak_update_drivers(const InitrdPaths& paths) {
  auto modules = installed_modules(paths);
  if (!modules) return {};
  std::vector<ModuleFile> linked;
  for (const auto& m : *modules)
    if (m.path.starts_with("weak-updates/")) linked.push_back(m);
  if (linked.empty()) return {};

  // What the other kernels' initrds hold, and the dracut modules they were made with.
  std::set<std::string> held;
  std::vector<std::string> dracut_modules;
  for (const auto& kver : installed_kernels(paths.root)) {
    InitrdPaths other{paths.root, kver};
    auto record = read_record(other.in_root(other.record()));
    if (!record) continue;
    held.insert(record->modules.begin(), record->modules.end());
    if (dracut_modules.empty()) dracut_modules = record->dracut_modules;
  }
  DracutRules rules = read_dracut_rules(paths.root, dracut_modules);

  std::set<std::string> out;
  ModuleReader reader;
  for (const auto& m : linked) {
    if (held.count(m.name)) {
      out.insert(m.name);
      continue;
    }
    const std::string link = paths.module_dir() + "/" + m.path;
    const std::string target = link_target_in_root(paths, link);
    std::string own_path = path_in_its_tree(target);
    if (own_path.empty()) continue;
    std::vector<std::string> imports;
    auto read = reader.read(paths.in_root(target), {}, kReadDependencySymbols);
    if (auto* rec = std::get_if<ModuleRecord>(&read))
      for (const auto& s : rec->dependency_symbols) imports.push_back(s.name);
    if (!would_take(rules, m.name, own_path, imports).empty()) out.insert(m.name);
  }
  return {out.begin(), out.end()};
}

}  // namespace kmpkit::initrd
