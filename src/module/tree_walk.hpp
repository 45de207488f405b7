#pragma once
// Walking lib/modules/KVER the way depmod does: depth-first, raw readdir order (not sorted),
// following symlinks, skipping ".", "..", "build", "source" and any excluded name at any depth.
#include <string>
#include <vector>

namespace kmpkit {

struct WalkOptions {
  std::vector<std::string> excluded_names;  // depmod.d "exclude" entries (plus build, source)
  bool include_gz = true;                   // list .ko.gz too (the reader reports them)
};

// Absolute (or as-given-prefixed) paths of module files, in depmod's scan order.
std::vector<std::string> list_module_files(const std::string& module_dir, const WalkOptions& options = {});

// lib/modules/KVER under a base directory ("" or "/" means the running system's root).
std::string module_dir_for(const std::string& basedir, const std::string& kver);

}  // namespace kmpkit
