#pragma once
// depmod.d configuration, parsed the way kmod 30's depmod does (cfg_load / cfg_file_parse).
#include <string>
#include <vector>

namespace kmpkit::depmod {

// depmod's default configuration directories (Debian's kmod 30), earliest first: for a file name
// present in several, the earliest directory wins. `-b` does not prefix them.
const std::vector<std::string>& default_config_paths();
// The same directories inside an installed system's root (verify, weak-updates: the root's own
// configuration, where depmod -b does not look).
std::vector<std::string> config_paths_in(const std::string& root);

struct SearchEntry {
  enum class Kind { path, builtin, external };
  Kind kind = Kind::path;
  std::string path;  // for Kind::path: a directory relative to lib/modules/KVER
};

struct DepmodConfig {
  // Lists in kmod's internal order: every entry is prepended as it is read, so the last one
  // read comes first. In `searches`, a larger index means a higher priority.
  std::vector<SearchEntry> searches;
  std::vector<std::string> overrides;  // "subdir/modname", most recently read first
  std::vector<std::string> externals;  // absolute directories, most recently read first
  std::vector<std::string> excludes;   // directory (or file) names skipped anywhere in the walk
  std::vector<std::string> files;      // the configuration files read, in reading order
  std::vector<std::string> messages;   // problems worth telling the user (bad lines, ...)
};

// Adds what one configuration file's text says to `cfg` (`file` names it in messages).
void parse_config_text(DepmodConfig& cfg, const std::string& text, const std::string& file, const std::string& kver);

// Reads every *.conf of `paths` (directories or single files; empty = default_config_paths()),
// sorted by file name, an earlier path winning on equal names. `kver` is matched against the
// version patterns of override and external lines (extended regex, "*" matches all).
DepmodConfig load_config(const std::vector<std::string>& paths, const std::string& kver);

}  // namespace kmpkit::depmod
