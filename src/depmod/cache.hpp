#pragma once
// The per-module cache kept beside the database (lib/modules/KVER/modules.kmpkit-cache): for each
// module file, its identity (path, size, mtime, inode) and what depmod needs from it; plus a small
// delta file beside it (modules.kmpkit-cache.delta: the entries added since the base was written
// and the base's paths that no longer count), so that an incremental run rewrites a few kilobytes,
// not the whole 6 MB base. Format: docs/depmod.md ("Cache format"). A cache that is missing,
// corrupt (checksum), of another format or reader version, or made for another module directory,
// or whose delta is corrupt or made for another base, is reported and not used.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "depmod/database.hpp"
#include "module/tree_walk.hpp"

namespace kmpkit::depmod {

inline constexpr const char* kCacheFileName = "modules.kmpkit-cache";
inline constexpr const char* kCacheDeltaFileName = "modules.kmpkit-cache.delta";
inline constexpr uint32_t kCacheFormatVersion = 1;
// Bump when what is extracted from a module (or how) changes: old caches are then rebuilt.
inline constexpr uint32_t kCacheReaderVersion = 1;
// The delta's own layout (it names the base it belongs to by the base's payload size and CRC-64).
inline constexpr uint32_t kCacheDeltaFormatVersion = 1;
// The delta is folded into a new base when it and the base's dead entries together exceed this
// fraction of the base (1/4).
inline constexpr uint64_t kCacheCompactDivisor = 4;

using kmpkit::FileIdentity;  // module/tree_walk.hpp

struct CacheEntry {
  std::string_view file;  // the module file as walked
  FileIdentity id;
  ModuleData data;        // its lists point into the entry's bytes (StrList::packed)
  std::string_view raw;   // the entry's bytes, length prefix included (copied as they are on save)
  uint32_t base_index = UINT32_MAX;  // position among the base file's entries; UINT32_MAX: not in the base
};

// Decodes one entry (`raw`: u32 length, then the entry) into `out`, its views pointing into `raw`.
bool decode_entry(std::string_view raw, CacheEntry& out);

// The bytes of one entry (length prefix included) for a module read now.
std::string encode_entry(std::string_view file, const FileIdentity& id, std::string_view name, std::string_view path,
                         bool external, const std::vector<std::string_view>& aliases,
                         const std::vector<std::string_view>& softdeps, const std::vector<std::string_view>& exports,
                         const std::vector<std::string_view>& dependency_symbols);

class ModuleCache {
 public:
  // Loads and checks `cache_file` and, when it exists, `delta_file`. On failure returns nullopt
  // and says why in `why` ("missing", "corrupt: ...", "foreign: ...", "stale: ...").
  static std::optional<ModuleCache> load(const std::string& cache_file, const std::string& delta_file,
                                         const std::string& module_dir, std::string* why);
  // The same checks over a base file's bytes and a delta's (nullopt: no delta file); the entries
  // point into them, and the owners (which keep them alive) are held by the cache.
  static std::optional<ModuleCache> parse(std::string_view base, std::shared_ptr<const void> base_owner,
                                          const std::string& module_dir, std::string* why,
                                          std::optional<std::string_view> delta = std::nullopt,
                                          std::shared_ptr<const void> delta_owner = nullptr);
  // The live entry for a walked file (the delta's when it has one), or nullptr.
  const CacheEntry* find(std::string_view file) const;
  // Live entries (the base's not removed by the delta, then the delta's).
  size_t size() const { return live_.size(); }
  const CacheEntry& entry(size_t i) const { return entries_[live_[i]]; }

  size_t base_entries() const { return base_count_; }
  const CacheEntry& base_entry(size_t i) const { return entries_[i]; }
  uint64_t base_payload_size() const { return base_size_; }
  uint64_t base_crc() const { return base_crc_; }
  bool has_delta() const { return delta_bytes_.has_value(); }
  std::string_view delta_bytes() const { return delta_bytes_.value_or(std::string_view()); }

 private:
  std::shared_ptr<const void> mapping_, delta_mapping_;
  std::vector<CacheEntry> entries_;  // the base's, then the delta's
  std::vector<uint32_t> live_;
  std::vector<bool> dead_;           // per entry: removed by the delta or replaced by a later entry
  std::vector<uint32_t> table_;      // open addressing over entries_ by file (UINT32_MAX: empty)
  size_t base_count_ = 0;
  uint64_t base_size_ = 0, base_crc_ = 0;
  std::optional<std::string_view> delta_bytes_;
};

// The base file's bytes for these entries (each copied from its `raw` bytes).
std::string serialize_cache(const std::string& module_dir, const std::vector<const CacheEntry*>& entries);

// A delta file's bytes: bound to the base with this payload size and CRC-64, removing `removed`
// (paths of base entries) and adding `entries`.
std::string serialize_delta(uint64_t base_size, uint64_t base_crc, const std::vector<std::string_view>& removed,
                            const std::vector<const CacheEntry*>& entries);

// What to write after a run whose modules are `live` (each a loaded cache entry or a fresh one):
// nothing (both strings empty: the files on disk are right), a new delta only, or a new base and
// an empty delta bound to it (no usable old cache, `compact`, or the delta grown past
// 1/kCacheCompactDivisor of the base).
struct CacheWrite {
  std::string base;   // empty: keep the base file
  std::string delta;  // empty: keep the delta file
  bool compacted = false;
};
// `delta_on_disk`: a delta file exists (a new base then comes with an empty delta bound to it;
// without one, the base is written alone).
CacheWrite plan_cache_write(const ModuleCache* old, const std::string& module_dir,
                            const std::vector<const CacheEntry*>& live, bool compact, bool delta_on_disk);

}  // namespace kmpkit::depmod
