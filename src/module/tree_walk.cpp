#include "module/tree_walk.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
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

// A directory opened relative to `at` (openat, as depmod does), or nullptr.
DIR* open_directory(int at, const char* name) {
  int fd = ::openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  DIR* d = ::fdopendir(fd);
  if (!d) ::close(fd);
  return d;
}

// depmod skips ".", "..", "build", "source" and an excluded name at any depth, whatever it is
// (directory or file).
bool skipped_name(std::string_view name, const std::vector<std::string>& excluded) {
  return name == "." || name == ".." || name == "build" || name == "source" ||
         std::find(excluded.begin(), excluded.end(), name) != excluded.end();
}

template <class Visit, class OnLink>
void walk(int at, const char* name_at, const std::string& dir, const std::string& rel_dir,
          const std::vector<std::string>& excluded, const LinkResolution* links, int depth, Visit& visit, OnLink& on_link) {
  if (depth > 40) return;  // a link loop
  DIR* d = open_directory(at, name_at);
  if (!d) return;
  int dfd = ::dirfd(d);
  while (dirent* de = ::readdir(d)) {
    std::string_view name = de->d_name;
    if (skipped_name(name, excluded)) continue;
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

namespace {

// The walk of walk_module_files on several threads: each directory is one task (read it, stat its
// module files, queue its subdirectories), whoever is free takes the next; every task keeps its
// entries in readdir order (files and subdirectories interleaved), and the tree of tasks is
// flattened depth-first at the end, which is exactly the serial walk's order.
class ParallelWalk {
 public:
  ParallelWalk(const WalkOptions& options) : options_(options) {}

  std::vector<WalkedFile> run(const std::string& dir) {
    tasks_.push_back(std::make_unique<Task>(Task{dir, 0, {}, {}}));
    stack_.push_back(0);
    pending_ = 1;
    std::vector<std::thread> helpers;
    for (unsigned i = 1; i < options_.threads; ++i) helpers.emplace_back([this] { work(); });
    work();
    for (auto& t : helpers) t.join();
    std::vector<WalkedFile> out;
    size_t total = 0;
    for (const auto& t : tasks_) total += t->files.size();
    out.reserve(total);
    // Depth-first over the tasks, each one's items in order.
    struct Frame {
      Task* t;
      size_t next;
    };
    std::vector<Frame> frames{{tasks_[0].get(), 0}};
    while (!frames.empty()) {
      Frame& f = frames.back();
      if (f.next == f.t->items.size()) {
        frames.pop_back();
        continue;
      }
      Item it = f.t->items[f.next++];
      if (it.dir) frames.push_back({tasks_[it.index].get(), 0});
      else out.push_back(std::move(f.t->files[it.index]));
    }
    return out;
  }

 private:
  struct Item {
    bool dir;
    uint32_t index;  // into the task's files, or into tasks_
  };
  struct Task {
    std::string path;
    int depth;
    std::vector<WalkedFile> files;
    std::vector<Item> items;
  };

  void work() {
    std::vector<std::pair<size_t, std::string>> children;  // (item position, path)
    for (;;) {
      Task* task;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return !stack_.empty() || pending_ == 0; });
        if (stack_.empty()) return;
        task = tasks_[stack_.back()].get();
        stack_.pop_back();
      }
      children.clear();
      read_dir(*task, children);
      std::lock_guard lock(mutex_);
      for (auto& [pos, path] : children) {
        task->items[pos].index = static_cast<uint32_t>(tasks_.size());
        tasks_.push_back(std::make_unique<Task>(Task{std::move(path), task->depth + 1, {}, {}}));
      }
      // Pushed in reverse: the first subdirectory is taken first (depth-first, like the result).
      for (size_t k = children.size(); k-- > 0;) stack_.push_back(task->items[children[k].first].index);
      pending_ += children.size();
      --pending_;
      if (!children.empty() || pending_ == 0) cv_.notify_all();
    }
  }

  void read_dir(Task& task, std::vector<std::pair<size_t, std::string>>& children) {
    if (task.depth > 40) return;  // a link loop
    DIR* d = open_directory(AT_FDCWD, task.path.c_str());
    if (!d) return;
    int dfd = ::dirfd(d);
    while (dirent* de = ::readdir(d)) {
      std::string_view name = de->d_name;
      if (skipped_name(name, options_.excluded_names)) continue;
      unsigned char type = de->d_type;
      if (type == DT_REG && !is_depmod_module_name(name, options_.include_gz)) continue;
      struct stat st {};
      bool have_stat = false;
      if (type == DT_UNKNOWN || type == DT_LNK) {
        if (::fstatat(dfd, de->d_name, &st, 0) != 0) continue;  // dangling: skipped
        have_stat = true;
        type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
      }
      if (type == DT_REG) {
        if (!is_depmod_module_name(name, options_.include_gz)) continue;
        if (!have_stat && ::fstatat(dfd, de->d_name, &st, 0) != 0) continue;
        task.items.push_back({false, static_cast<uint32_t>(task.files.size())});
        task.files.push_back({task.path + "/" + std::string(name), static_cast<uint64_t>(st.st_size),
                              static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
                              static_cast<uint64_t>(st.st_ino)});
      } else if (type == DT_DIR) {
        children.emplace_back(task.items.size(), task.path + "/" + std::string(name));
        task.items.push_back({true, 0});
      }
    }
    ::closedir(d);
  }

  const WalkOptions& options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::vector<uint32_t> stack_;
  size_t pending_ = 0;  // tasks queued or being read
};

}  // namespace

std::vector<WalkedFile> walk_module_files(const std::string& module_dir, const WalkOptions& options) {
  if (options.threads > 1) return ParallelWalk(options).run(trimmed(module_dir));
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
