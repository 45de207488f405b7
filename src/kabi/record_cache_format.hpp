#pragma once
// The text format of weak-updates' record cache (record_cache.hpp): what is kept of each module
// between runs, keyed by its path relative to the module directory. Parsed strictly: any line it
// does not expect makes the whole cache untrusted (empty), and the records are read again.
//
//   kmpkit-kabi-records 1 MODULE_DIR
//   M SIZE MTIME_NS INODE PATH      a module; the lines below belong to it
//   N NAME
//   I KEY=VALUE                     modinfo, in order (no "alias": not needed here)
//   V CRC NAME                      __versions
//   E CRC NAME                      exports
//   D CRC W NAME                    dependency symbols (W: 1 weak, 0 not)
#include <string>
#include <string_view>
#include <unordered_map>

#include "module/module_record.hpp"
#include "module/tree_walk.hpp"

namespace kmpkit::kabi {

struct CachedRecord {
  FileIdentity id;
  ModuleRecord record;  // path and name, modinfo, versions, exports, dependency symbols
};

// path → record; empty when the text is not a complete cache of `module_dir`.
std::unordered_map<std::string, CachedRecord> parse_record_cache(std::string_view text, const std::string& module_dir);

// The first line of a cache of `module_dir`.
std::string record_cache_header(const std::string& module_dir);

// Appends one module's lines (modinfo "alias" and values holding a newline are left out).
void append_record(std::string& text, const FileIdentity& id, const ModuleRecord& record);

}  // namespace kmpkit::kabi
