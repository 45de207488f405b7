#pragma once
// What kmpkit weak-updates needs from each module of a kernel directory (name, modinfo without
// aliases, __versions, exports, dependency symbols), kept between runs in a cache file keyed by
// each file's identity (size, mtime, inode): the kernel packages' triggers run weak-updates after
// every KMP install, and re-reading thousands of module files each time would dominate. A cache
// that is missing, unreadable or of another format is ignored and rewritten (temporary name,
// rename); one that cannot be written is not an error (the records were read anyway).
#include <string>
#include <vector>

#include "module/module_reader.hpp"
#include "module/tree_walk.hpp"

namespace kmpkit::kabi {

struct CachedScan {
  std::vector<ModuleRecord> modules;  // in the order of `files` (readable ones)
  std::vector<ReadError> errors;
  size_t read = 0;    // files read from disk
  size_t reused = 0;  // records taken from the cache
};

// The parts read: kReadVersions | kReadExports | kReadDependencySymbols.
CachedScan read_with_cache(const std::vector<WalkedFile>& files, const std::string& module_dir,
                           const std::string& cache_file, unsigned threads = 0);

// Where weak-updates keeps the cache of one kernel directory: ROOT/var/cache/kmpkit/weak-updates/KVER.
std::string record_cache_path(const std::string& root, const std::string& kver);

}  // namespace kmpkit::kabi
