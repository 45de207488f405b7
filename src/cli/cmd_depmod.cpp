// kmpkit depmod: the module database (modules.dep, .alias, .symbols, ... and their .bin indexes),
// byte-identical to Debian's depmod (kmod 30), with a per-module cache for fast incremental runs.
#include <cstdlib>
#include <system_error>

#include <fmt/format.h>
#include <sys/utsname.h>

#include <cstdio>
#include <iostream>

#include "cli/command.hpp"
#include "depmod/cache.hpp"
#include "depmod/depmod.hpp"
#include "depmod/store.hpp"
#include "module/tree_walk.hpp"
#include "rpmdb/file_owners.hpp"
#include "cli/exit_codes.hpp"
#include "util/malloc_tuning.hpp"

namespace kmpkit::cli {
namespace {

constexpr size_t kMaxCyclesShown = 50;

struct DepmodArgs {
  depmod::DepmodOptions options;
  std::vector<std::string> positional;
  bool incremental = false;
  bool full = false;
  bool no_cache = false;
  bool recover_only = false;
  bool verbose = false;
  std::string symbol_prefix;
  bool ignored_flag = false;
  std::string ignored_value;
};

// depmod's is_version_number(): "%u.%u".
bool looks_like_version(const std::string& s) {
  unsigned a, b;
  return std::sscanf(s.c_str(), "%u.%u", &a, &b) == 2;
}

int run(DepmodArgs& a) {
  auto& o = a.options;
  if (a.incremental && a.full) {
    fmt::print(stderr, "kmpkit depmod: --incremental and --full exclude each other\n");
    return exit_code::usage;
  }
  o.mode = a.full ? depmod::Mode::full : a.incremental ? depmod::Mode::incremental : depmod::Mode::automatic;
  o.write_cache = !a.no_cache;
  if (a.symbol_prefix.size() > 1) {
    fmt::print(stderr, "kmpkit depmod: -P only takes a single character\n");
    return exit_code::usage;
  }
  if (!a.symbol_prefix.empty()) o.symbol_prefix = a.symbol_prefix[0];
  if (!a.positional.empty() && looks_like_version(a.positional[0])) {
    o.kver = a.positional[0];
    a.positional.erase(a.positional.begin());
  } else {
    utsname un {};
    if (::uname(&un) != 0) {
      fmt::print(stderr, "kmpkit depmod: uname() failed\n");
      return exit_code::input_missing;
    }
    o.kver = un.release;
  }
  if (!a.positional.empty() && looks_like_version(a.positional[0])) {
    fmt::print(stderr, "kmpkit depmod: one kernel release at a time ({} given, then '{}'): run it once per release\n",
               o.kver, a.positional[0]);
    return exit_code::usage;
  }
  if (!a.positional.empty()) {
    fmt::print(stderr,
               "kmpkit depmod: '{}': listing module files is not supported; the whole tree is always "
               "used (depmod -a)\n",
               a.positional[0]);
    return exit_code::usage;
  }

  if (a.recover_only) {
    std::string dir = module_dir_for(o.basedir, o.kver);
    try {
      depmod::DirectoryLock lock(dir);
      switch (depmod::recover(dir)) {
        case depmod::Recovery::none: if (a.verbose) fmt::print(stderr, "kmpkit depmod: nothing to recover\n"); break;
        case depmod::Recovery::rolled_forward: fmt::print(stderr, "kmpkit depmod: completed an interrupted update (new database)\n"); break;
        case depmod::Recovery::discarded: fmt::print(stderr, "kmpkit depmod: discarded an unfinished update (old database kept)\n"); break;
      }
    } catch (const std::system_error& e) {
      fmt::print(stderr, "kmpkit depmod: {}\n", e.what());
      return exit_code::io_error;
    }
    return exit_code::ok;
  }

  tune_malloc_for_batch_work();
  depmod::DepmodReport r;
  try {
    r = depmod::run_depmod(o);
  } catch (const Error& e) {
    fmt::print(stderr, "kmpkit depmod: {}\n", e.what());
    return exit_code::of(e.kind());
  }
  if (std::getenv("KMPKIT_DEPMOD_TIMING"))
    for (const auto& [phase, ms] : r.phases) fmt::print(stderr, "  {:<18} {:7.2f} ms\n", phase, ms);
  if (!r.recovery.empty()) fmt::print(stderr, "kmpkit depmod: {}\n", r.recovery);
  for (const auto& w : r.warnings) fmt::print(stderr, "kmpkit depmod: warning: {}\n", w);
  if (!r.errors.empty()) {
    // Each unreadable module with the package to reinstall, when the root has an rpm database.
    std::vector<std::string> files;
    for (const auto& e : r.errors) files.push_back(e.substr(0, e.find(": ")));
    auto owners = rpmdb::file_owners(o.basedir, files);
    for (size_t i = 0; i < r.errors.size(); ++i)
      fmt::print(stderr, "kmpkit depmod: {}{}\n", r.errors[i], rpmdb::reinstall_hint(owners, files[i]));
  }
  if (!r.cycles.empty()) {
    size_t modules = 0;
    for (const auto& c : r.cycles) modules += c.group_size;
    fmt::print(stderr, "kmpkit depmod: {} dependency cycle(s) among {} modules:\n", r.cycles.size(), modules);
    for (size_t i = 0; i < r.cycles.size() && i < kMaxCyclesShown; ++i) {
      const auto& c = r.cycles[i];
      std::string path;
      for (size_t k = 0; k < c.path.size(); ++k) path += (k ? " -> " : "") + c.path[k];
      if (path.size() > 2000) path = path.substr(0, 2000) + " ...";
      if (c.group_size + 1 > c.path.size())
        fmt::print(stderr, "  {}  ({} modules are in this cycle group)\n", path, c.group_size);
      else
        fmt::print(stderr, "  {}\n", path);
    }
    if (r.cycles.size() > kMaxCyclesShown)
      fmt::print(stderr, "  ... and {} more cycle(s)\n", r.cycles.size() - kMaxCyclesShown);
    fmt::print(stderr, "kmpkit depmod: nothing written, the database is unchanged\n");
  }
  if (r.outcome == depmod::Outcome::unreadable)
    fmt::print(stderr,
               "kmpkit depmod: {} module(s) could not be read: nothing written, the database is unchanged "
               "(--skip-unreadable writes it anyway, as kmod's depmod and the package triggers do)\n",
               r.errors.size());
  if (!r.skipped.empty())
    fmt::print(stderr,
               "kmpkit depmod: WARNING: {} module(s) could not be read: the database was written with them listed "
               "but without their aliases, symbols and dependencies, as kmod's depmod does (no device loads them; "
               "`kmpkit verify` fails until they are reinstalled or removed)\n",
               r.skipped.size());
  if (r.files) {
    // depmod -n: the text files, in depmod's order, on stdout.
    for (size_t i = 0; i < depmod::kDatabaseFileCount; ++i)
      if (depmod::kDatabaseOutputs[i].text) std::fwrite((*r.files)[i].data(), 1, (*r.files)[i].size(), stdout);
  }
  if (a.verbose) {
    if (r.outcome == depmod::Outcome::up_to_date)
      fmt::print(stderr, "kmpkit depmod: {}/modules.dep is up to date\n", r.module_dir);
    else
      fmt::print(stderr, "kmpkit depmod: {} modules ({} read, {} from the cache; cache: {}) in {:.3f} s{}\n",
                 r.modules, r.read, r.cached, r.cache_status, r.seconds, r.outcome == depmod::Outcome::written ? "" : ", nothing written");
  } else if (o.mode == depmod::Mode::incremental && r.cache_status != "used" && r.outcome == depmod::Outcome::written) {
    fmt::print(stderr, "kmpkit depmod: no usable cache ({}): read every module\n", r.cache_status);
  }
  if (!r.skipped.empty()) return exit_code::partial;
  switch (r.outcome) {
    case depmod::Outcome::unreadable: return exit_code::partial;
    case depmod::Outcome::cycle: return exit_code::cycle;
    default: return exit_code::ok;
  }
}

}  // namespace

void add_depmod_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<DepmodArgs>();
  auto* cmd = app.add_subcommand(
      "depmod", "Generate modules.dep and the other module database files (byte-identical to kmod 30's depmod)");
  cmd->add_option("-b,--basedir", a->options.basedir, "Root the tree lives under (ROOT/lib/modules/KVER)");
  cmd->add_option("-C,--config", a->options.config_paths,
                  "Configuration file or directory instead of /etc/depmod.d, /run/depmod.d, "
                  "/usr/local/lib/depmod.d, /lib/depmod.d (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("-a,--all", a->ignored_flag, "Probe all modules (the default and only mode)");
  cmd->add_flag("-A,--quick", a->options.quick, "Do nothing if modules.dep is newer than every module");
  cmd->add_flag("-n,--show,--dry-run", a->options.dry_run, "Write the text files to stdout, change nothing");
  cmd->add_flag("--incremental", a->incremental,
                "Re-read only modules whose file changed since the cache was written (the default when a "
                "valid cache exists; without one every module is read)");
  cmd->add_flag("--full", a->full, "Read every module, ignoring the cache (which is rewritten)");
  cmd->add_flag("--skip-unreadable", a->options.skip_unreadable,
                "Write the database even when modules cannot be read (named on stderr, exit 1): they are listed "
                "without aliases, symbols and dependencies, as kmod's depmod does; what the kernel package's "
                "triggers run. Without it nothing is written");
  cmd->add_flag("--no-cache", a->no_cache, "Do not write " + std::string(depmod::kCacheFileName));
  cmd->add_flag("--sync", a->options.durable, "fsync the new files and directories (power-loss safety)");
  cmd->add_flag("--recover", a->recover_only,
                "Only finish (or discard) the update of an interrupted run, then exit");
  cmd->add_option("-j,--threads", a->options.threads, "Reader threads (default: all cores, at most 16)");
  cmd->add_option("-P,--symbol-prefix", a->symbol_prefix, "Architecture symbol prefix");
  cmd->add_option("-E,--symvers", a->ignored_value, "Accepted for compatibility (changes no output)");
  cmd->add_option("-F,--filesyms", a->ignored_value, "Accepted for compatibility (changes no output)");
  cmd->add_flag("-e,--errsyms", a->ignored_flag, "Accepted for compatibility");
  cmd->add_flag("-w,--warn", a->ignored_flag, "Accepted for compatibility");
  cmd->add_flag("-v,--verbose", a->verbose, "Say what was done (modules read, cache use, time)");
  cmd->add_option("kver", a->positional,
                  "One kernel release (default: the running kernel's); a second release, or kmod's module files "
                  "after it, are refused: the whole tree of one release is always used");
  cmd->footer(
      "Writes lib/modules/KVER/modules.{dep,dep.bin,alias,alias.bin,softdep,symbols,symbols.bin,\n"
      "builtin.bin,builtin.alias.bin,devname} as one generation (old or new, never a mix) and\n"
      "modules.kmpkit-cache. Exit codes: 0 ok, 1 some modules unreadable (named on stderr, with\n"
      "their package; nothing written, or written without them with --skip-unreadable), 2 usage, 3 no such tree, 4 dependency cycle (nothing written), 7 write error\n"
      "(old database kept). See docs/depmod.md.");
  cmd->callback([a, &exit_code] { exit_code = run(*a); });
}

}  // namespace kmpkit::cli
