#include "depmod/depmod.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "depmod/cache.hpp"
#include "depmod/config.hpp"
#include "depmod/module_set.hpp"
#include "depmod/store.hpp"
#include "depmod/timing.hpp"
#include "module/missing_tree.hpp"
#include "module/kernel_files.hpp"
#include "module/module_reader.hpp"
#include "module/tree_walk.hpp"
#include "util/error.hpp"

namespace kmpkit::depmod {
namespace {

std::string absolute_basedir(const std::string& basedir) {
  if (basedir.empty() || basedir[0] == '/') return basedir;
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec);
  if (ec) return basedir;
  return (cwd / basedir).string();
}

// depmod -A: modules.dep exists and no module file is newer than it.
bool database_up_to_date(const std::string& module_dir, const std::vector<std::string>& excludes) {
  struct stat dep {};
  if (::stat((module_dir + "/modules.dep").c_str(), &dep) != 0) return false;
  WalkOptions wo;
  wo.excluded_names = excludes;
  wo.include_gz = false;
  for (const auto& f : list_module_files(module_dir, wo)) {
    struct stat st {};
    if (::stat(f.c_str(), &st) == 0 && st.st_mtime > dep.st_mtime) return false;
  }
  return true;
}

// A module read now as a cache entry: its bytes (kept in `raw`) decoded in place.
void entry_from_record(const ModuleRecord& rec, const std::string& file, bool external, std::string& raw,
                       CacheEntry& out) {
  std::vector<std::string_view> aliases, softdeps, exports, deps;
  for (const auto& f : rec.modinfo) {
    if (f.key == "alias") aliases.push_back(f.value);
    else if (f.key == "softdep") softdeps.push_back(f.value);
  }
  exports.reserve(rec.exports.size());
  for (const auto& e : rec.exports) exports.push_back(e.name);
  deps.reserve(rec.dependency_symbols.size());
  for (const auto& s : rec.dependency_symbols) deps.push_back(s.name);
  raw = encode_entry(file, {rec.size, rec.mtime_ns, rec.inode}, rec.name, rec.path, external, aliases, softdeps,
                     exports, deps);
  if (!decode_entry(raw, out)) throw std::logic_error("kmpkit depmod: a cache entry does not decode");
}

}  // namespace

DepmodReport run_depmod(const DepmodOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  DepmodReport report;
  PhaseTimer phase(report.phases);
  auto finish = [&](Outcome outcome) {
    report.outcome = outcome;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return report;
  };

  const std::string module_dir = module_dir_for(absolute_basedir(options.basedir), options.kver);
  report.module_dir = module_dir;
  struct stat st {};
  if (::stat(module_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw Error(ErrorKind::Input, no_module_directory_message(module_dir));

  std::optional<DirectoryLock> lock;
  try {
    if (!options.dry_run) {
      lock.emplace(module_dir);
      switch (recover(module_dir)) {
        case Recovery::none: break;
        case Recovery::rolled_forward:
          report.recovery = "completed the database update of an interrupted run (new generation)";
          break;
        case Recovery::discarded:
          report.recovery = "discarded the unfinished files of an interrupted run (old generation kept)";
          break;
      }
    }
  } catch (const std::system_error& e) {
    throw Error(ErrorKind::Write, e.what());
  }

  DepmodConfig cfg = load_config(options.config_paths, options.kver);
  for (auto& m : cfg.messages) report.warnings.push_back(std::move(m));

  if (options.quick && database_up_to_date(module_dir, cfg.excludes)) {
    return finish(Outcome::up_to_date);
  }

  phase("setup");
  // The cache and the kernel's lists are read on a second thread while the tree is walked.
  std::optional<ModuleCache> cache;
  KernelLists lists;
  const std::string cache_file = module_dir + "/" + kCacheFileName;
  double loader_ms = 0;
  std::thread loader([&] {
    auto l0 = std::chrono::steady_clock::now();
    if (options.mode == Mode::full) {
      report.cache_status = "not used (--full)";
    } else {
      std::string why;
      cache = ModuleCache::load(cache_file, module_dir + "/" + kCacheDeltaFileName, module_dir, &why);
      report.cache_status = cache ? "used" : why;
    }
    lists.order = read_file(module_dir + "/modules.order");
    lists.builtin = read_file(module_dir + "/modules.builtin");
    lists.builtin_modinfo = read_file(module_dir + "/modules.builtin.modinfo");
    loader_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - l0).count();
  });
  std::vector<ModuleFile> files = select_module_files(module_dir, cfg);
  phase("walk");
  loader.join();
  phase("cache wait");
  report.phases.emplace_back("(cache+lists load)", loader_ms);
  if (!lists.order) report.warnings.push_back(fmt::format("could not open modules.order at {}", module_dir));
  if (!lists.builtin) report.warnings.push_back(fmt::format("could not open modules.builtin at {}", module_dir));
  if (!lists.builtin_modinfo)
    report.warnings.push_back(fmt::format("could not open modules.builtin.modinfo at {}", module_dir));

  // Cached modules whose file is unchanged; the rest is read (on all cores).
  std::vector<const CacheEntry*> entries(files.size(), nullptr);
  std::vector<std::string> to_read;
  std::vector<size_t> read_slot;
  for (size_t i = 0; i < files.size(); ++i) {
    const ModuleFile& f = files[i];
    if (cache) {
      const CacheEntry* e = cache->find(f.file);
      if (e && e->id == FileIdentity{f.size, f.mtime_ns, f.inode} && e->data.name == f.name &&
          e->data.path == (f.relpath.empty() ? std::string_view(f.file) : std::string_view(f.relpath))) {
        entries[i] = e;
        continue;
      }
    }
    to_read.push_back(f.file);
    read_slot.push_back(i);
  }
  // Only what depmod uses: modinfo (aliases, softdeps), exports, dependency symbols.
  TreeScan scan =
      read_modules(to_read, module_dir, options.threads, {}, kReadExports | kReadDependencySymbols | kReadLeanFirst);
  phase("read");
  if (!scan.errors.empty()) {
    for (const auto& e : scan.errors) report.errors.push_back(fmt::format("{}: {}", e.file, e.message));
    if (!options.skip_unreadable) return finish(Outcome::unreadable);
    for (const auto& e : scan.errors) report.skipped.push_back(e.file);
  }
  // read_modules keeps the input order and returns one record per file it could read. An unreadable
  // module (skip_unreadable) stays in the database as kmod's depmod keeps it: listed in modules.dep
  // with no dependencies, aliases or symbols (modprobe then names its error); it is not cached, so
  // every later run reads it again and warns again.
  std::unordered_set<std::string_view> unreadable;
  for (const auto& e : scan.errors) unreadable.insert(e.file);
  std::vector<CacheEntry> fresh(read_slot.size());
  std::vector<std::string> fresh_raw(read_slot.size());
  std::vector<bool> placeholder(files.size(), false);
  for (size_t k = 0, next = 0; k < read_slot.size(); ++k) {
    const ModuleFile& f = files[read_slot[k]];
    if (unreadable.count(f.file)) {
      fresh[k].file = f.file;
      fresh[k].data.name = f.name;
      fresh[k].data.path = f.relpath.empty() ? std::string_view(f.file) : std::string_view(f.relpath);
      fresh[k].data.external = f.relpath.empty();
      placeholder[read_slot[k]] = true;
    } else {
      entry_from_record(scan.modules[next++], f.file, f.relpath.empty(), fresh_raw[k], fresh[k]);
    }
    entries[read_slot[k]] = &fresh[k];
  }
  std::vector<const CacheEntry*> cacheable;
  for (size_t i = 0; i < files.size(); ++i)
    if (!placeholder[i]) cacheable.push_back(entries[i]);
  std::vector<const ModuleData*> data(files.size());
  for (size_t i = 0; i < files.size(); ++i) data[i] = &entries[i]->data;
  report.modules = files.size();
  report.read = to_read.size();
  report.cached = files.size() - to_read.size();

  // The new cache (normally a small delta; the whole base when there was no usable cache, on
  // --full, or when the delta has grown) is serialized while the database is built. When nothing
  // changed, the cache on disk is already right and is kept.
  const bool cache_unchanged = cache && to_read.empty() && cache->size() == files.size();
  CacheWrite cache_write;
  std::thread serializer;
  if (options.write_cache && !options.dry_run && !cache_unchanged)
    serializer = std::thread([&] {
      struct stat ds {};
      bool delta_on_disk = ::lstat((module_dir + "/" + kCacheDeltaFileName).c_str(), &ds) == 0;
      cache_write =
          plan_cache_write(cache ? &*cache : nullptr, module_dir, cacheable, options.mode == Mode::full, delta_on_disk);
    });
  phase("prepare");
  BuildResult built = build_database(data, lists, {options.symbol_prefix});
  if (serializer.joinable()) serializer.join();
  phase("build");
  report.phases.insert(report.phases.end(), built.phases.begin(), built.phases.end());
  for (auto& w : built.warnings) report.warnings.push_back(std::move(w));
  if (!built.files) {
    report.cycles = std::move(built.cycles);
    return finish(Outcome::cycle);
  }
  if (options.dry_run) {
    report.files = std::move(built.files);
    return finish(Outcome::dry_run);
  }

  std::vector<StagedFile> staged;
  staged.reserve(kDatabaseFileCount + 2);
  for (size_t i = 0; i < kDatabaseFileCount; ++i) staged.push_back({kDatabaseFiles[i], std::move((*built.files)[i])});
  if (!cache_write.base.empty()) staged.push_back({kCacheFileName, std::move(cache_write.base)});
  if (!cache_write.delta.empty()) staged.push_back({kCacheDeltaFileName, std::move(cache_write.delta)});
  phase("serialize");
  try {
    commit(module_dir, staged, options.durable);
    phase("commit");
  } catch (const std::system_error& e) {
    throw Error(ErrorKind::Write, e.what());
  }
  return finish(Outcome::written);
}

}  // namespace kmpkit::depmod
