#include "depmod/module_set.hpp"

#include <algorithm>
#include <map>
#include <string_view>
#include <thread>
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

std::vector<bool> choose_module_copies(const std::vector<ModuleFile>& files, const DepmodConfig& cfg,
                                       std::vector<DuplicateModule>* duplicates) {
  std::vector<bool> keep(files.size(), false);
  std::unordered_map<std::string, size_t> current;  // name → kept index
  std::map<std::string, DuplicateModule> dups;
  for (size_t i = 0; i < files.size(); ++i) {
    auto [it, fresh] = current.try_emplace(files[i].name, i);
    if (fresh) {
      keep[i] = true;
      continue;
    }
    auto& d = dups[files[i].name];
    if (d.copies.empty()) d = {files[i].name, {it->second}, 0};
    d.copies.push_back(i);
    if (!keeps_priority(cfg, files[it->second], files[i])) {
      keep[it->second] = false;
      keep[i] = true;
      it->second = i;
    }
  }
  if (duplicates)
    for (auto& [name, d] : dups) {
      d.winner = current[name];
      duplicates->push_back(std::move(d));
    }
  return keep;
}

std::vector<ModuleFile> select_module_files(const std::string& module_dir, const DepmodConfig& cfg) {
  WalkOptions options;
  options.excluded_names = cfg.excludes;
  options.include_gz = false;  // depmod 30 as built by Debian ignores .ko.gz
  // The walk is mostly kernel time (getdents64, fstatat): two threads halve its wall time; the
  // order of the result is the serial walk's.
  options.threads = std::min(2u, std::max(1u, std::thread::hardware_concurrency()));
  std::string dir = module_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();

  std::vector<ModuleFile> all;
  auto add = [&](WalkedFile&& wf, bool inside) {
    ModuleFile mf;
    mf.name = module_name_from_path(wf.path);
    if (inside) mf.relpath = wf.path.substr(dir.size() + 1);
    mf.file = std::move(wf.path);
    mf.size = wf.size;
    mf.mtime_ns = wf.mtime_ns;
    mf.inode = wf.inode;
    all.push_back(std::move(mf));
  };
  for (auto& f : walk_module_files(dir, options)) add(std::move(f), true);
  for (const auto& ext : cfg.externals)
    for (auto& f : walk_module_files(ext, options)) {
      const std::string& p = f.path;
      bool inside = p.size() > dir.size() + 1 && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/';
      add(std::move(f), inside);
    }
  // The winners, in the order of their name's first appearance.
  std::vector<bool> keep = choose_module_copies(all, cfg);
  std::unordered_map<std::string, size_t> slot;
  std::vector<ModuleFile> chosen;
  for (size_t i = 0; i < all.size(); ++i) slot.try_emplace(all[i].name, slot.size());
  chosen.resize(slot.size());
  for (size_t i = 0; i < all.size(); ++i)
    if (keep[i]) chosen[slot[all[i].name]] = std::move(all[i]);
  return chosen;
}

}  // namespace kmpkit::depmod
