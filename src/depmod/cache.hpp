#pragma once
// The per-module cache kept beside the database (lib/modules/KVER/modules.kmpkit-cache): for each
// module file, its identity (path, size, mtime, inode) and what depmod needs from it. Format:
// docs/depmod.md ("Cache format"). A cache that is missing, corrupt (checksum), of another format
// or reader version, or made for another module directory is reported and not used.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "depmod/database.hpp"
#include "module/tree_walk.hpp"

namespace kmpkit::depmod {

inline constexpr const char* kCacheFileName = "modules.kmpkit-cache";
inline constexpr uint32_t kCacheFormatVersion = 1;
// Bump when what is extracted from a module (or how) changes: old caches are then rebuilt.
inline constexpr uint32_t kCacheReaderVersion = 1;

using kmpkit::FileIdentity;  // module/tree_walk.hpp

struct CacheEntry {
  std::string_view file;  // the module file as walked
  FileIdentity id;
  ModuleData data;
  std::string_view raw;   // the entry's bytes in a loaded cache (copied as they are on save)
};

class ModuleCache {
 public:
  // Loads and checks `cache_file`. On failure returns nullopt and says why in `why` ("missing",
  // "corrupt: ...", "foreign: ...", "stale format ...").
  static std::optional<ModuleCache> load(const std::string& cache_file, const std::string& module_dir,
                                         std::string* why);
  // The same checks over a cache file's bytes; the entries point into them, and `owner` (which
  // keeps them alive) is held by the cache.
  static std::optional<ModuleCache> parse(std::string_view bytes, std::shared_ptr<const void> owner,
                                          const std::string& module_dir, std::string* why);
  const CacheEntry* find(std::string_view file) const;
  size_t size() const { return entries_.size(); }
  const CacheEntry& entry(size_t i) const { return entries_[i]; }

 private:
  std::shared_ptr<const void> mapping_;  // the file, mapped read-only
  std::vector<CacheEntry> entries_;
  std::unordered_map<std::string_view, size_t> index_;
};

// The cache file's bytes for these entries (an entry with `raw` bytes is copied as it is).
std::string serialize_cache(const std::string& module_dir, const std::vector<const CacheEntry*>& entries);

}  // namespace kmpkit::depmod
