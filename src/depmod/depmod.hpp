#pragma once
// kmpkit depmod: the whole run (configuration, tree, cache, database, atomic write) as a
// function from options to a report. The CLI (src/cli/cmd_depmod.cpp) only prints the report.
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "depmod/database.hpp"

namespace kmpkit::depmod {

enum class Mode {
  automatic,    // use the cache when a valid one exists, else read everything
  incremental,  // the same, but say so when there is no valid cache
  full,         // read every module (the cache is still rewritten)
};

struct DepmodOptions {
  std::string basedir;                    // "" = the running system (/)
  std::string kver;                       // kernel release
  std::vector<std::string> config_paths;  // -C; empty = depmod's default directories
  Mode mode = Mode::automatic;
  bool quick = false;        // -A: do nothing when modules.dep is newer than every module
  bool dry_run = false;      // -n: compute, write nothing (the report holds the files)
  bool write_cache = true;   // keep modules.kmpkit-cache beside the database
  bool durable = false;      // fsync files and directories before/after the commit
  char symbol_prefix = 0;    // -P
  unsigned threads = 0;      // reader threads (0 = all cores)
  // A module that cannot be read: false (an explicit run) writes nothing; true (the package
  // triggers) writes the database as kmod's depmod does, the module listed without aliases,
  // symbols and dependencies, so one broken KMP does not stop every later update from finding new
  // drivers. Either way it is named in `errors`.
  bool skip_unreadable = false;
};

// How a run ended when it did not throw (a missing tree is Error(Input), a write error Error(Write):
// the previous database is intact).
enum class Outcome {
  written,     // the new generation is in place
  up_to_date,  // -A found nothing to do
  dry_run,     // computed, nothing written (`files` holds the output)
  unreadable,  // some modules could not be read (`errors`): nothing written (unless skip_unreadable)
  cycle,       // the dependency graph has a cycle (`cycles`): nothing written
};

struct DepmodReport {
  Outcome outcome = Outcome::written;
  std::vector<std::string> errors;      // unreadable modules ("FILE: why")
  std::vector<std::string> skipped;     // skip_unreadable: the unreadable modules' files (written without their data)
  std::vector<std::string> warnings;    // what depmod would warn about
  std::vector<Cycle> cycles;
  std::string module_dir;
  size_t modules = 0;                   // modules in the database
  size_t read = 0;                      // modules read from their files this run
  size_t cached = 0;                    // modules taken from the cache
  std::string cache_status;             // "used", or why the cache was not used
  std::string recovery;                 // what an interrupted earlier run left, if anything
  std::optional<std::array<std::string, kDatabaseFileCount>> files;  // dry run: the output
  double seconds = 0;
  std::vector<std::pair<std::string, double>> phases;  // milliseconds per phase (profiling)
};

// Throws Error: Input (no module directory), Write (the lock, the staging area or the commit).
DepmodReport run_depmod(const DepmodOptions& options);

}  // namespace kmpkit::depmod
