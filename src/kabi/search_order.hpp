#pragma once
// Which copy of a module depmod keeps when one kernel's tree holds the same module name twice:
// the depmod.d "search" and "override" rules of kmod 30, including its quirks (verified against
// Debian's depmod: docs/kabi.md, "Duplicate modules").
#include <string>
#include <vector>

namespace kmpkit::kabi {

struct DepmodSearchConfig {
  std::vector<std::string> search;  // in order; the token "built-in" stands for the tree itself
  struct Override {
    std::string module;  // as written (file name up to the first '.')
    std::string kver;    // "*" or a release
    std::string subdir;  // relative to lib/modules/KVER
  };
  std::vector<Override> overrides;
  std::vector<std::string> excludes;  // "exclude" names (kmod 30: skipped at any depth)
};

// The standard depmod.d directories under `root` ("" or "/" = the running system), highest
// precedence first: run, etc, usr/local/lib, lib.
std::vector<std::string> depmod_config_dirs(const std::string& root);

// Reads *.conf of the directories (a file name met again in a later directory is ignored), sorted
// by file name. No "search" line means "search updates". Overrides for other releases are dropped.
DepmodSearchConfig read_depmod_search_config(const std::vector<std::string>& dirs, const std::string& kver);

// One module name found more than once.
struct DuplicateModule {
  std::string name;
  std::vector<size_t> copies;  // indexes into the path list, in scan order
  size_t winner = 0;           // the index depmod keeps
};

// `paths` (relative to lib/modules/KVER, in depmod's scan order) → for each, whether depmod keeps
// it; duplicates are listed in `duplicates` when given.
std::vector<bool> choose_module_copies(const std::vector<std::string>& paths, const DepmodSearchConfig& config,
                                       std::vector<DuplicateModule>* duplicates = nullptr);

}  // namespace kmpkit::kabi
