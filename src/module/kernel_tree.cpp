#include "module/kernel_tree.hpp"

#include <filesystem>
#include <algorithm>
#include <initializer_list>
#include <vector>

#include "module/tree_walk.hpp"

namespace fs = std::filesystem;

namespace kmpkit {
namespace {

std::optional<std::string> first_existing(const std::string& basedir, std::initializer_list<std::string> candidates) {
  for (const auto& c : candidates) {
    std::string p = resolve_in_root(basedir, c);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return std::nullopt;
}

}  // namespace

std::string resolve_in_root(const std::string& basedir, const std::string& path) {
  std::string base = basedir;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.empty()) return path;
  // Walk component by component so that absolute link targets stay inside basedir.
  fs::path rel = fs::path(path).relative_path();
  fs::path cur = base;
  int hops = 0;
  std::vector<fs::path> todo(rel.begin(), rel.end());
  std::reverse(todo.begin(), todo.end());
  while (!todo.empty()) {
    fs::path part = todo.back();
    todo.pop_back();
    if (part == "." || part.empty()) continue;
    if (part == "..") {
      if (cur != fs::path(base)) cur = cur.parent_path();
      continue;
    }
    fs::path next = cur / part;
    std::error_code ec;
    if (fs::is_symlink(next, ec) && ++hops < 40) {
      fs::path target = fs::read_symlink(next, ec);
      fs::path target_rel = target.relative_path();
      std::vector<fs::path> parts(target_rel.begin(), target_rel.end());
      for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
      if (target.is_absolute()) cur = base;
      continue;
    }
    cur = next;
  }
  return cur.string();
}

KernelTree locate_kernel_tree(const std::string& basedir, const std::string& kver) {
  KernelTree t;
  t.basedir = basedir;
  t.kver = kver;
  t.module_dir = module_dir_for(basedir, kver);
  const std::string md = "/lib/modules/" + kver;
  const std::string hdr = "/usr/src/linux-headers-" + kver;
  t.symvers = first_existing(basedir, {md + "/Module.symvers", md + "/symvers", md + "/build/Module.symvers",
                                       hdr + "/Module.symvers", "/boot/symvers-" + kver});
  t.builtin = first_existing(basedir, {md + "/modules.builtin"});
  t.builtin_modinfo = first_existing(basedir, {md + "/modules.builtin.modinfo"});
  t.order = first_existing(basedir, {md + "/modules.order"});
  t.system_map = first_existing(basedir, {md + "/System.map", "/boot/System.map-" + kver});
  t.image = first_existing(basedir, {md + "/vmlinuz", "/boot/vmlinuz-" + kver});
  t.config = first_existing(basedir, {md + "/config", "/boot/config-" + kver});
  return t;
}

}  // namespace kmpkit
