#include "kabi/weak_updates.hpp"
#include "util/error.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "kabi/kabi_diff.hpp"
#include "kabi/record_cache.hpp"
#include "kabi/reuse.hpp"
#include "kabi/vermagic.hpp"
#include "module/kernel_files.hpp"
#include "module/kernel_tree.hpp"
#include "module/tree_walk.hpp"

namespace fs = std::filesystem;

namespace kmpkit::kabi {
namespace {

bool is_symlink(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// A kernel's module files: its own, not the links of its weak-updates/ (real files there count).
std::vector<WalkedFile> own_module_files(const std::string& module_dir) {
  std::vector<WalkedFile> out;
  const std::string weak = std::string(kWeakUpdatesDir) + "/";
  for (auto& f : walk_module_files(module_dir, {}))
    if (!(relative_path(f.path, module_dir).starts_with(weak) && is_symlink(f.path))) out.push_back(std::move(f));
  return out;
}

// Installed kernel releases other than `kver`: directories of lib/modules, newest first.
std::vector<std::string> other_kernels(const std::string& modules_root, const std::string& kver) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(modules_root, ec)) {
    std::string name = e.path().filename().string();
    if (name == kver || name.starts_with(".") || !e.is_directory(ec)) continue;
    out.push_back(name);
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return ::strverscmp(a.c_str(), b.c_str()) > 0;
  });
  return out;
}

// The link lib/modules/KVER/weak-updates/REL → the same REL in TARGET_KVER's tree, relative.
std::string link_target(const std::string& rel, const std::string& target_kver) {
  size_t up = std::count(rel.begin(), rel.end(), '/') + 2;  // REL's directories, weak-updates, KVER
  std::string t;
  for (size_t i = 0; i < up; ++i) t += "../";
  return t + target_kver + "/" + rel;
}

std::string read_link(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  return n < 0 ? std::string() : std::string(buf, static_cast<size_t>(n));
}

// The symlinks now under weak-updates/ (rel → target).
std::map<std::string, std::string> existing_links(const std::string& weak_dir) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(weak_dir, ec))) return out;
  for (auto it = fs::recursive_directory_iterator(weak_dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_symlink(ec)) out[relative_path(it->path().string(), weak_dir)] = read_link(it->path().string());
  }
  return out;
}

// Removes `dir` and its subdirectories that hold nothing (after links were removed).
void remove_empty_dirs(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory(ec) && !e.is_symlink(ec)) remove_empty_dirs(e.path().string());
  if (fs::is_empty(dir, ec)) fs::remove(dir, ec);
}

std::string describe_block(const ReuseBlock& b) {
  if (b.new_module) return fmt::format("would break this kernel's {}, which needs {} as its own copy exports it",
                                       b.module, b.symbol);
  if (b.problem) return fmt::format("{}: {}", problem_kind_name(b.problem->kind), describe_problem(*b.problem));
  return b.symbol;
}

}  // namespace

WeakUpdatesResult update_weak_updates(const WeakUpdatesOptions& o) {
  WeakUpdatesResult r;
  r.kver = o.kver;
  const std::string root = o.root == "/" ? std::string() : o.root;
  const std::string module_dir = module_dir_for(root, o.kver);
  const std::string modules_root = fs::path(module_dir).parent_path().string();
  const std::string weak_dir = module_dir + "/" + kWeakUpdatesDir;

  KernelTree tree = locate_kernel_tree(root, o.kver);
  r.kernel_installed = !o.clear && tree.symvers && (tree.image || tree.system_map);
  if (r.kernel_installed) {
    auto symvers = read_symvers(*tree.symvers);
    if (!symvers) throw Error(ErrorKind::Input, fmt::format("cannot read {}", *tree.symvers));

    auto cache_of = [&](const std::string& kver) { return o.use_cache ? record_cache_path(root, kver) : std::string(); };
    CachedScan own = read_with_cache(own_module_files(module_dir), module_dir, cache_of(o.kver), o.threads);
    r.files_read += own.read;
    r.errors = std::move(own.errors);
    r.own_modules = own.modules.size();
    std::set<std::string> own_names;
    for (const auto& m : own.modules) own_names.insert(m.name);
    // A module this kernel has built in is never linked: modprobe takes the built-in one (another
    // configuration's KMP, from a kernel that had it as a module).
    if (tree.builtin)
      if (auto lines = read_lines(*tree.builtin))
        for (const auto& l : *lines)
          if (!l.empty()) own_names.insert(module_name_from_path(l));

    // Candidates: per module name the kernel lacks, every other kernel's copy, newest kernel first.
    struct Candidate {
      std::string kver;
      ModuleRecord record;
    };
    std::map<std::string, std::vector<Candidate>> by_name;
    for (const auto& k : other_kernels(modules_root, o.kver)) {
      std::string dir = modules_root + "/" + k;
      CachedScan scan = read_with_cache(own_module_files(dir), dir, cache_of(k), o.threads);
      r.files_read += scan.read;
      for (auto& e : scan.errors) r.errors.push_back(std::move(e));
      for (auto& m : scan.modules)
        if (!own_names.count(m.name)) by_name[m.name].push_back({k, std::move(m)});
    }
    r.candidates = by_name.size();

    r.vermagic = kernel_vermagic(own.modules, o.kver, tree.config);

    std::vector<const ModuleRecord*> own_ptrs;
    for (const auto& m : own.modules) own_ptrs.push_back(&m);
    ReuseInput in;
    in.vmlinux = fixed_exports_from_symvers(*symvers, true);
    in.own = own_ptrs;
    in.kernel_vermagic = r.vermagic;
    // One copy per name at a time; a name whose copy does not fit tries the next kernel's copy.
    std::map<std::string, size_t> pick;  // name → index into by_name[name]
    for (const auto& [name, copies] : by_name) pick[name] = 0;
    std::map<std::string, std::map<std::string, RejectedCandidate>> rejected;  // name → kver → why
    ReuseResult res;
    std::vector<std::pair<const std::string*, const Candidate*>> order;
    for (;;) {
      order.clear();
      in.candidates.clear();
      for (const auto& [name, idx] : pick) {
        const Candidate& c = by_name[name][idx];
        order.emplace_back(&name, &c);
        in.candidates.push_back(&c.record);
      }
      in.start.assign(in.candidates.size(), true);
      res = choose_reusable(in);
      bool retry = false;
      for (size_t i = 0; i < order.size(); ++i) {
        if (res.reusable[i]) continue;
        const auto& [name, c] = order[i];
        std::string reason = res.blocks[i] ? describe_block(*res.blocks[i]) : "does not fit";
        rejected[*name][c->kver] = {*name, c->kver, c->record.path, reason};
        if (pick[*name] + 1 < by_name[*name].size()) {
          pick[*name]++;
          retry = true;
        }
      }
      if (!retry) break;
    }
    for (size_t i = 0; i < order.size(); ++i) {
      const auto& [name, c] = order[i];
      if (res.reusable[i]) {
        // Dropped in an earlier round only because of another copy that was replaced since.
        if (auto it = rejected.find(*name); it != rejected.end()) it->second.erase(c->kver);
        r.links.push_back({c->record.path, c->kver, link_target(c->record.path, c->kver)});
      }
    }
    for (auto& [name, copies] : rejected)
      for (auto& [k, x] : copies) r.rejected.push_back(std::move(x));
    std::sort(r.links.begin(), r.links.end(), [](const WeakLink& a, const WeakLink& b) { return a.rel < b.rel; });
  }
  std::map<std::string, std::string> wanted;  // rel → target
  for (const auto& l : r.links) wanted.emplace(l.rel, l.target);

  // Bring the links in line: remove what is not wanted (or points elsewhere), add what is missing.
  auto existing = existing_links(weak_dir);
  for (const auto& [rel, target] : existing) {
    auto it = wanted.find(rel);
    if (it != wanted.end() && it->second == target) continue;
    r.removed.push_back(rel);
    if (!o.dry_run && ::unlink((weak_dir + "/" + rel).c_str()) != 0 && errno != ENOENT)
      throw Error(ErrorKind::Write, fmt::format("cannot remove {}/{}: {}", weak_dir, rel, std::strerror(errno)));
  }
  for (const auto& [rel, target] : wanted) {
    auto it = existing.find(rel);
    if (it != existing.end() && it->second == target) continue;
    r.added.push_back(rel);
    if (o.dry_run) continue;
    fs::path link = fs::path(weak_dir) / rel;
    std::error_code ec;
    fs::create_directories(link.parent_path(), ec);
    if (ec) throw Error(ErrorKind::Write, fmt::format("cannot create {}: {}", link.parent_path().string(), ec.message()));
    // A real file (not a link) of that name would be one of the kernel's own modules: never here.
    std::string tmp = link.parent_path().string() + "/." + link.filename().string() + ".kmpkit-tmp";
    ::unlink(tmp.c_str());
    if (::symlink(target.c_str(), tmp.c_str()) != 0 || ::rename(tmp.c_str(), link.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      throw Error(ErrorKind::Write, fmt::format("cannot link {}: {}", link.string(), std::strerror(err)));
    }
  }
  if (!o.dry_run) remove_empty_dirs(weak_dir);
  return r;
}

nlohmann::ordered_json weak_updates_json(const WeakUpdatesResult& r) {
  using json = nlohmann::ordered_json;
  json links = json::array(), rejected = json::array(), errors = json::array();
  for (const auto& l : r.links) links.push_back({{"path", std::string(kWeakUpdatesDir) + "/" + l.rel},
                                                 {"kernel", l.target_kver}, {"target", l.target}});
  for (const auto& x : r.rejected)
    rejected.push_back({{"module", x.module}, {"kernel", x.kver}, {"path", x.path}, {"reason", x.reason}});
  for (const auto& e : r.errors) errors.push_back({{"file", e.file}, {"error", e.message}});
  return {{"kernel", r.kver},
          {"installed", r.kernel_installed},
          {"vermagic", r.vermagic},
          {"own_modules", r.own_modules},
          {"candidates", r.candidates},
          {"files_read", r.files_read},
          {"links", links},
          {"added", r.added},
          {"removed", r.removed},
          {"rejected", rejected},
          {"errors", errors}};
}

std::string weak_updates_text(const WeakUpdatesResult& r, bool details) {
  std::string s;
  if (!r.kernel_installed) {
    s = fmt::format("{}: not installed (or cleared): {} weak-updates link(s) removed\n", r.kver, r.removed.size());
    return s;
  }
  s = fmt::format("{}: {} own module(s), {} served from other kernels through weak-updates (+{} -{}); "
                  "{} other kernels' module(s) do not fit\n",
                  r.kver, r.own_modules, r.links.size(), r.added.size(), r.removed.size(), r.rejected.size());
  if (details) {
    s += fmt::format("  {} module file(s) read, the others from the cache\n", r.files_read);
    for (const auto& l : r.links) s += fmt::format("  link  {}/{} -> {}\n", kWeakUpdatesDir, l.rel, l.target);
    for (const auto& x : r.rejected) s += fmt::format("  skip  {} from {}: {}\n", x.path, x.kver, x.reason);
  }
  for (const auto& e : r.errors) s += fmt::format("  unreadable: {}: {}\n", e.file, e.message);
  return s;
}

}  // namespace kmpkit::kabi
