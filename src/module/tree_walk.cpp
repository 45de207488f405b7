#include "module/tree_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string_view>

#include "module/kernel_tree.hpp"

namespace kmpkit {
namespace {

bool is_depmod_module_name(std::string_view name, bool include_gz) {
  auto ends = [&](std::string_view sfx) {
    return name.size() > sfx.size() && name.substr(name.size() - sfx.size()) == sfx;
  };
  return ends(".ko") || ends(".ko.xz") || ends(".ko.zst") || (include_gz && ends(".ko.gz"));
}

std::string trimmed(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// The one walk: depth-first, raw readdir order, "." ".." "build" "source" and excluded names
// skipped at any depth, links followed. A directory is opened relative to its open parent (openat,
// as depmod does: cheaper than resolving the whole path again).
//   `visit(dfd, name, path, rel, link)` gets every regular file (link: reached through a link);
//   with `links` set, a link is not followed by the kernel but resolved inside `links->root`, and
//   `on_link(path, rel, resolved, dangling)` decides what to do with it.
struct LinkResolution {
  std::string root;      // "" = the running system
  std::string root_rel;  // the walked directory as a path inside the root
};

template <class Visit, class OnLink>
void walk(int at, const char* name_at, const std::string& dir, const std::string& rel_dir,
          const std::vector<std::string>& excluded, const LinkResolution* links, int depth, Visit& visit, OnLink& on_link) {
  if (depth > 40) return;  // a link loop
  int fd = ::openat(at, name_at, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return;
  }
  int dfd = ::dirfd(d);
  while (dirent* de = ::readdir(d)) {
    std::string_view name = de->d_name;
    if (name == "." || name == ".." || name == "build" || name == "source") continue;
    // depmod skips an excluded name whatever it is (directory or file).
    if (std::find(excluded.begin(), excluded.end(), name) != excluded.end()) continue;
    std::string path = dir + "/" + std::string(name);
    std::string rel = rel_dir.empty() ? std::string(name) : rel_dir + "/" + std::string(name);
    unsigned char type = de->d_type;
    if (type == DT_UNKNOWN || (type == DT_LNK && !links)) {
      struct stat st {};
      if (::fstatat(dfd, de->d_name, &st, links ? AT_SYMLINK_NOFOLLOW : 0) != 0) continue;  // dangling: skipped
      type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
    }
    if (type == DT_REG) {
      visit(dfd, de->d_name, path, rel, false);
    } else if (type == DT_DIR) {
      walk(dfd, de->d_name, path, rel, excluded, links, depth + 1, visit, on_link);
    } else if (type == DT_LNK && links) {
      std::string resolved = links->root.empty() ? path : resolve_in_root(links->root, links->root_rel + "/" + rel);
      struct stat ts {};
      bool dangling = ::stat(resolved.c_str(), &ts) != 0;
      on_link(path, rel, resolved, dangling);
      if (!dangling && S_ISDIR(ts.st_mode))
        walk(AT_FDCWD, resolved.c_str(), resolved, rel, excluded, links, depth + 1, visit, on_link);
      else if (!dangling && S_ISREG(ts.st_mode))
        visit(AT_FDCWD, resolved.c_str(), resolved, rel, true);
    }
  }
  ::closedir(d);
}

auto no_links = [](const std::string&, const std::string&, const std::string&, bool) {};

}  // namespace

std::vector<std::string> list_module_files(const std::string& module_dir, const WalkOptions& options) {
  std::vector<std::string> out;
  std::string dir = trimmed(module_dir);
  auto visit = [&](int, const char* name, const std::string& path, const std::string&, bool) {
    if (is_depmod_module_name(name, options.include_gz)) out.push_back(path);
  };
  walk(AT_FDCWD, dir.c_str(), dir, "", options.excluded_names, nullptr, 0, visit, no_links);
  return out;
}

std::vector<WalkedFile> walk_module_files(const std::string& module_dir, const WalkOptions& options) {
  std::vector<WalkedFile> out;
  std::string dir = trimmed(module_dir);
  auto visit = [&](int dfd, const char* name, const std::string& path, const std::string&, bool) {
    if (!is_depmod_module_name(name, options.include_gz)) return;
    struct stat st {};
    if (::fstatat(dfd, name, &st, 0) != 0) return;
    out.push_back({path, static_cast<uint64_t>(st.st_size),
                   static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
                   static_cast<uint64_t>(st.st_ino)});
  };
  walk(AT_FDCWD, dir.c_str(), dir, "", options.excluded_names, nullptr, 0, visit, no_links);
  return out;
}

std::vector<TreeEntry> walk_tree(const std::string& dir_in, const TreeWalkOptions& options) {
  std::vector<TreeEntry> out;
  std::string dir = trimmed(dir_in);
  LinkResolution links{options.root, options.root_rel};
  std::string root_canon;
  if (!options.root.empty()) {  // to show link targets as paths inside the root
    std::error_code ec;
    auto c = std::filesystem::weakly_canonical(options.root, ec);
    root_canon = trimmed(ec ? options.root : c.string());
  }
  std::string pending_link_target;  // the link on_link just saw, for the file visit that follows
  auto visit = [&](int, const char* name, const std::string& path, const std::string& rel, bool link) {
    TreeEntry e;
    e.rel = rel;
    e.file = path;
    e.module = is_depmod_module_name(std::filesystem::path(rel).filename().string(), true);
    (void)name;
    e.link = link;
    if (link) e.target = pending_link_target;
    out.push_back(std::move(e));
  };
  auto on_link = [&](const std::string&, const std::string& rel, const std::string& resolved, bool dangling) {
    std::error_code ec;
    auto canon = std::filesystem::weakly_canonical(resolved, ec);
    std::string target = ec ? resolved : canon.string();
    if (!root_canon.empty() && target.starts_with(root_canon + "/")) target = target.substr(root_canon.size());
    pending_link_target = target;
    if (dangling) {
      TreeEntry e;
      e.rel = rel;
      e.file = resolved;
      e.module = is_depmod_module_name(std::filesystem::path(rel).filename().string(), true);
      e.link = e.dangling = true;
      e.target = target;
      out.push_back(std::move(e));
    }
  };
  walk(AT_FDCWD, dir.c_str(), dir, "", options.excluded_names, &links, 0, visit, on_link);
  return out;
}

std::string module_dir_for(const std::string& basedir, const std::string& kver) {
  std::string base = basedir;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/lib/modules/" + kver;
}

}  // namespace kmpkit
