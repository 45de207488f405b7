#include "depmod/module_set.hpp"

#include <string_view>
#include <unordered_map>

#include "module/module_record.hpp"
#include "module/tree_walk.hpp"

namespace kmpkit::depmod {
namespace {

// The part of a path depmod compares: up to the directory's '/' plus as many characters of the
// basename as the module name has (so "updates/foo-bar" for updates/foo-bar.ko.xz).
std::string_view name_span(std::string_view path, size_t name_len) {
  auto slash = path.rfind('/');
  size_t start = slash == std::string_view::npos ? 0 : slash + 1;
  return path.substr(0, std::min(path.size(), start + name_len));
}

bool is_subdir_of(std::string_view dir, std::string_view path) {
  while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
  return path.size() > dir.size() && path.substr(0, dir.size()) == dir && path[dir.size()] == '/';
}

// A path under a search directory: "updates" holds "updates/x.ko" and "updates/a/x.ko", not
// "updates2/x.ko".
bool in_search_dir(std::string_view rel, std::string_view dir) {
  return rel.size() > dir.size() && rel[dir.size()] == '/' && rel.substr(0, dir.size()) == dir;
}

}  // namespace

bool keeps_priority(const DepmodConfig& cfg, const ModuleFile& old_file, const ModuleFile& new_file) {
  std::string_view rel_new = new_file.relpath.empty() ? std::string_view() : name_span(new_file.relpath, new_file.name.size());
  std::string_view rel_old = old_file.relpath.empty() ? std::string_view() : name_span(old_file.relpath, old_file.name.size());
  std::string_view full_new = name_span(new_file.file, new_file.name.size());
  std::string_view full_old = name_span(old_file.file, old_file.name.size());

  for (const auto& ov : cfg.overrides) {
    if (!rel_new.empty() && rel_new == ov) return false;
    if (!rel_old.empty() && rel_old == ov) return true;
  }

  int i = 0, bprio = -1, oldprio = -1, newprio = -1;
  for (const auto& se : cfg.searches) {
    if (se.kind == SearchEntry::Kind::builtin) {
      bprio = i;
    } else if (se.kind == SearchEntry::Kind::external) {
      for (const auto& ext : cfg.externals) {
        if (is_subdir_of(ext, full_new)) newprio = i;
        if (is_subdir_of(ext, full_old)) oldprio = i;
        ++i;
      }
    } else if (in_search_dir(rel_new, se.path)) {
      newprio = i;
    } else if (in_search_dir(rel_old, se.path)) {
      oldprio = i;
    }
    ++i;
  }
  if (newprio < 0) newprio = bprio;
  if (oldprio < 0) oldprio = bprio;
  return newprio <= oldprio;
}

std::vector<ModuleFile> select_module_files(const std::string& module_dir, const DepmodConfig& cfg) {
  WalkOptions options;
  options.excluded_names = cfg.excludes;
  options.include_gz = false;  // depmod 30 as built by Debian ignores .ko.gz
  std::string dir = module_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();

  std::vector<ModuleFile> chosen;
  std::unordered_map<std::string, size_t> by_name;
  auto consider = [&](WalkedFile&& wf, bool inside) {
    ModuleFile mf;
    mf.name = module_name_from_path(wf.path);
    if (inside) mf.relpath = wf.path.substr(dir.size() + 1);
    mf.file = std::move(wf.path);
    mf.size = wf.size;
    mf.mtime_ns = wf.mtime_ns;
    mf.inode = wf.inode;
    auto [it, added] = by_name.try_emplace(mf.name, chosen.size());
    if (added) {
      chosen.push_back(std::move(mf));
    } else if (!keeps_priority(cfg, chosen[it->second], mf)) {
      chosen[it->second] = std::move(mf);
    }
  };
  for (auto& f : walk_module_files(dir, options)) consider(std::move(f), true);
  for (const auto& ext : cfg.externals) {
    for (auto& f : walk_module_files(ext, options)) {
      const std::string& p = f.path;
      bool inside = p.size() > dir.size() + 1 && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/';
      consider(std::move(f), inside);
    }
  }
  return chosen;
}

}  // namespace kmpkit::depmod
