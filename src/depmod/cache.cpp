#include "depmod/cache.hpp"

#include <fcntl.h>
#include <lzma.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace kmpkit::depmod {
namespace {

constexpr char kMagic[8] = {'K', 'M', 'P', 'K', 'D', 'E', 'P', 'C'};
constexpr size_t kHeaderSize = 8 + 4 + 4 + 8 + 8;

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}
void put_list(std::string& out, const std::vector<std::string_view>& list) {
  put_u32(out, static_cast<uint32_t>(list.size()));
  for (auto s : list) put_str(out, s);
}

struct Reader {
  std::string_view in;
  size_t pos = 0;
  bool ok = true;
  uint64_t get(int bytes) {
    if (in.size() - pos < static_cast<size_t>(bytes)) {
      ok = false;
      pos = in.size();
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
    pos += bytes;
    return v;
  }
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  std::string_view str() {
    uint32_t n = u32();
    if (!ok || in.size() - pos < n) {
      ok = false;
      pos = in.size();
      return {};
    }
    auto s = in.substr(pos, n);
    pos += n;
    return s;
  }
};

}  // namespace

namespace {

constexpr char kDeltaMagic[8] = {'K', 'M', 'P', 'K', 'D', 'E', 'P', 'D'};

// Skips a list (u32 count, then `count` strings) and gives it as a packed StrList.
bool read_list(Reader& r, StrList& out) {
  uint32_t n = r.u32();
  if (!r.ok || n > (r.in.size() - r.pos) / 4) return false;
  size_t start = r.pos;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t len = r.u32();
    if (!r.ok || r.in.size() - r.pos < len) return false;
    r.pos += len;
  }
  out = StrList::packed(r.in.substr(start, r.pos - start), n);
  return true;
}

void finish_header(std::string& out) {
  std::string_view payload = std::string_view(out).substr(kHeaderSize);
  uint64_t crc = lzma_crc64(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), 0);
  for (int i = 0; i < 8; ++i) {
    out[16 + i] = static_cast<char>(static_cast<uint64_t>(payload.size()) >> (8 * i));
    out[24 + i] = static_cast<char>(crc >> (8 * i));
  }
}

void start_header(std::string& out, const char (&magic)[8], uint32_t format) {
  out.append(magic, 8);
  put_u32(out, format);
  put_u32(out, kCacheReaderVersion);
  put_u64(out, 0);  // payload size
  put_u64(out, 0);  // payload CRC-64
}

// Checks a file's header and checksum; the payload, or nullopt with `why` set.
std::optional<std::string_view> check_file(std::string_view all, const char (&magic)[8], uint32_t format_version,
                                           const char* what, std::string* why, uint64_t* size_out, uint64_t* crc_out) {
  auto fail = [&](std::string reason) -> std::optional<std::string_view> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (all.size() < kHeaderSize || std::memcmp(all.data(), magic, sizeof magic) != 0)
    return fail(fmt::format("corrupt: not a kmpkit depmod {}", what));
  Reader h{all.substr(sizeof magic, kHeaderSize - sizeof magic)};
  uint32_t format = h.u32(), reader = h.u32();
  uint64_t payload_size = h.u64(), crc = h.u64();
  const char* delta = std::string_view(what) == "cache" ? "" : "delta ";
  if (format != format_version)
    return fail(fmt::format("stale: {}format {} (this kmpkit: {})", *delta ? delta : "cache ", format, format_version));
  if (reader != kCacheReaderVersion)
    return fail(fmt::format("stale: {}reader version {} (this kmpkit: {})", delta, reader, kCacheReaderVersion));
  std::string_view payload = all.substr(kHeaderSize);
  if (payload.size() != payload_size) return fail(fmt::format("corrupt: {}truncated or padded", delta));
  if (lzma_crc64(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), 0) != crc)
    return fail(fmt::format("corrupt: {}checksum mismatch", delta));
  if (size_out) *size_out = payload_size;
  if (crc_out) *crc_out = crc;
  return payload;
}

// Reads `count` entries from `r` into `out`; false on a malformed one.
bool read_entries(Reader& r, uint32_t count, std::vector<CacheEntry>& out, bool base) {
  for (uint32_t i = 0; i < count; ++i) {
    size_t start = r.pos;
    uint32_t len = r.u32();
    if (!r.ok || r.in.size() - r.pos < len) return false;
    r.pos += len;
    CacheEntry& e = out.emplace_back();
    if (!decode_entry(r.in.substr(start, 4 + len), e)) return false;
    if (base) e.base_index = static_cast<uint32_t>(i);
  }
  return true;
}

// A file's bytes, mapped read-only: nullopt (and errno) when it cannot be opened.
struct Mapped {
  std::string_view bytes;
  std::shared_ptr<const void> owner;
};
std::optional<Mapped> map_file(const std::string& path, std::string* why) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (why) *why = errno == ENOENT ? "missing" : fmt::format("unreadable: {}", std::strerror(errno));
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    if (why) *why = "corrupt: not a regular file";
    return std::nullopt;
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return Mapped{std::string_view(""), nullptr};
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) {
    if (why) *why = fmt::format("unreadable: {}", std::strerror(errno));
    return std::nullopt;
  }
  std::shared_ptr<const void> owner(map, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  return Mapped{std::string_view(static_cast<const char*>(map), size), std::move(owner)};
}

uint64_t hash_path(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h ^ (h >> 29);
}

void put_entry_header(std::string& out, std::string_view file, const FileIdentity& id, std::string_view name,
                      std::string_view path, bool external) {
  put_str(out, file);
  put_u64(out, id.size);
  put_u64(out, static_cast<uint64_t>(id.mtime_ns));
  put_u64(out, id.inode);
  put_str(out, name);
  put_str(out, path);
  put_u32(out, external ? 1 : 0);
}

}  // namespace

bool decode_entry(std::string_view raw, CacheEntry& entry) {
  Reader e{raw};
  uint32_t len = e.u32();
  if (!e.ok || len != raw.size() - 4) return false;
  entry.raw = raw;
  entry.file = e.str();
  entry.id.size = e.u64();
  entry.id.mtime_ns = static_cast<int64_t>(e.u64());
  entry.id.inode = e.u64();
  entry.data.name = e.str();
  entry.data.path = e.str();
  entry.data.external = e.u32() != 0;
  if (!e.ok) return false;
  if (!read_list(e, entry.data.aliases) || !read_list(e, entry.data.softdeps) || !read_list(e, entry.data.exports) ||
      !read_list(e, entry.data.dependency_symbols))
    return false;
  return e.ok && e.pos == e.in.size();
}

std::string encode_entry(std::string_view file, const FileIdentity& id, std::string_view name, std::string_view path,
                         bool external, const std::vector<std::string_view>& aliases,
                         const std::vector<std::string_view>& softdeps, const std::vector<std::string_view>& exports,
                         const std::vector<std::string_view>& dependency_symbols) {
  size_t estimate = 4 + file.size() + name.size() + path.size() + 64;
  for (const auto* l : {&aliases, &softdeps, &exports, &dependency_symbols})
    for (auto s : *l) estimate += s.size() + 4;
  std::string out;
  out.reserve(estimate);
  put_u32(out, 0);  // record length, filled in below
  put_entry_header(out, file, id, name, path, external);
  put_list(out, aliases);
  put_list(out, softdeps);
  put_list(out, exports);
  put_list(out, dependency_symbols);
  uint32_t len = static_cast<uint32_t>(out.size() - 4);
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(len >> (8 * i));
  return out;
}

std::string serialize_cache(const std::string& module_dir, const std::vector<const CacheEntry*>& entries) {
  size_t estimate = kHeaderSize + module_dir.size() + 16;
  for (const auto* e : entries) estimate += e->raw.size();
  std::string out;
  out.reserve(estimate);
  start_header(out, kMagic, kCacheFormatVersion);
  put_str(out, module_dir);
  put_u32(out, static_cast<uint32_t>(entries.size()));
  for (const auto* e : entries) out.append(e->raw);
  finish_header(out);
  return out;
}

std::string serialize_delta(uint64_t base_size, uint64_t base_crc, const std::vector<std::string_view>& removed,
                            const std::vector<const CacheEntry*>& entries) {
  size_t estimate = kHeaderSize + 24;
  for (auto r : removed) estimate += r.size() + 4;
  for (const auto* e : entries) estimate += e->raw.size();
  std::string out;
  out.reserve(estimate);
  start_header(out, kDeltaMagic, kCacheDeltaFormatVersion);
  put_u64(out, base_size);
  put_u64(out, base_crc);
  put_list(out, removed);
  put_u32(out, static_cast<uint32_t>(entries.size()));
  for (const auto* e : entries) out.append(e->raw);
  finish_header(out);
  return out;
}

std::optional<ModuleCache> ModuleCache::load(const std::string& cache_file, const std::string& delta_file,
                                             const std::string& module_dir, std::string* why) {
  auto base = map_file(cache_file, why);
  if (!base) return std::nullopt;
  std::string delta_why;
  auto delta = map_file(delta_file, &delta_why);
  if (!delta && delta_why != "missing") {
    if (why) *why = "delta " + delta_why;
    return std::nullopt;
  }
  if (!delta) return parse(base->bytes, std::move(base->owner), module_dir, why);
  return parse(base->bytes, std::move(base->owner), module_dir, why, delta->bytes, std::move(delta->owner));
}

std::optional<ModuleCache> ModuleCache::parse(std::string_view all, std::shared_ptr<const void> owner,
                                              const std::string& module_dir, std::string* why,
                                              std::optional<std::string_view> delta_all,
                                              std::shared_ptr<const void> delta_owner) {
  auto fail = [&](std::string reason) -> std::optional<ModuleCache> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  ModuleCache cache;
  auto payload = check_file(all, kMagic, kCacheFormatVersion, "cache", why, &cache.base_size_, &cache.base_crc_);
  if (!payload) return std::nullopt;
  Reader r{*payload};
  std::string_view dir = r.str();
  if (r.ok && dir != module_dir) return fail(fmt::format("foreign: made for {}", dir));
  uint32_t count = r.u32();
  if (!r.ok || count > payload->size() / 16) return fail("corrupt: bad entry count");

  std::optional<std::string_view> delta_payload;
  if (delta_all) {
    delta_payload = check_file(*delta_all, kDeltaMagic, kCacheDeltaFormatVersion, "cache delta", why, nullptr, nullptr);
    if (!delta_payload) return std::nullopt;
  }
  Reader d{delta_payload.value_or(std::string_view())};
  uint32_t removed_count = 0, delta_count = 0;
  std::vector<std::string_view> removed;
  if (delta_payload) {
    uint64_t bsize = d.u64(), bcrc = d.u64();
    if (d.ok && (bsize != cache.base_size_ || bcrc != cache.base_crc_))
      return fail("stale: the delta was made for another base file");
    removed_count = d.u32();
    if (!d.ok || removed_count > delta_payload->size() / 4) return fail("corrupt: malformed delta");
    removed.reserve(removed_count);
    for (uint32_t i = 0; i < removed_count; ++i) {
      removed.push_back(d.str());
      if (!d.ok) return fail("corrupt: malformed delta");
    }
    delta_count = d.u32();
    if (!d.ok || delta_count > delta_payload->size() / 16) return fail("corrupt: malformed delta");
  }

  cache.entries_.reserve(static_cast<size_t>(count) + delta_count);
  if (!read_entries(r, count, cache.entries_, true) || !r.ok || r.pos != payload->size())
    return fail("corrupt: malformed entries");
  cache.base_count_ = count;

  // The index over the base's entries; the delta's removals then its entries on top.
  size_t cap = 64;
  while (cap < (static_cast<size_t>(count) + delta_count) * 2) cap <<= 1;
  cache.table_.assign(cap, UINT32_MAX);
  const size_t mask = cap - 1;
  auto slot_of = [&](std::string_view file) -> uint32_t& {
    for (size_t i = hash_path(file) & mask;; i = (i + 1) & mask) {
      uint32_t& s = cache.table_[i];
      if (s == UINT32_MAX || cache.entries_[s].file == file) return s;
    }
  };
  std::vector<bool> dead(static_cast<size_t>(count) + delta_count, false);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t& s = slot_of(cache.entries_[i].file);
    if (s != UINT32_MAX) dead[s] = true;  // a path twice: the later entry counts
    s = i;
  }
  if (delta_payload) {
    for (auto path : removed) {
      uint32_t& s = slot_of(path);
      if (s != UINT32_MAX) dead[s] = true;
    }
    if (!read_entries(d, delta_count, cache.entries_, false) || !d.ok || d.pos != delta_payload->size())
      return fail("corrupt: malformed delta");
    for (uint32_t k = count; k < count + delta_count; ++k) {
      uint32_t& s = slot_of(cache.entries_[k].file);
      if (s != UINT32_MAX) dead[s] = true;
      s = k;
    }
    cache.delta_bytes_ = *delta_all;
    cache.delta_mapping_ = std::move(delta_owner);
  }
  // Removed entries stay in the table (find() skips them): their slots keep the probe chains.
  cache.live_.reserve(cache.entries_.size());
  for (uint32_t k = 0; k < cache.entries_.size(); ++k)
    if (!dead[k]) cache.live_.push_back(k);
  cache.dead_ = std::move(dead);
  cache.mapping_ = std::move(owner);
  return cache;
}

const CacheEntry* ModuleCache::find(std::string_view file) const {
  if (table_.empty()) return nullptr;
  const size_t mask = table_.size() - 1;
  for (size_t i = hash_path(file) & mask;; i = (i + 1) & mask) {
    uint32_t s = table_[i];
    if (s == UINT32_MAX) return nullptr;
    if (entries_[s].file == file) return dead_[s] ? nullptr : &entries_[s];
  }
}

CacheWrite plan_cache_write(const ModuleCache* old, const std::string& module_dir,
                            const std::vector<const CacheEntry*>& live, bool compact, bool delta_on_disk) {
  CacheWrite w;
  auto full = [&] {
    w.base = serialize_cache(module_dir, live);
    std::string_view payload = std::string_view(w.base).substr(kHeaderSize);
    uint64_t crc = 0;
    for (int i = 0; i < 8; ++i) crc |= static_cast<uint64_t>(static_cast<unsigned char>(w.base[24 + i])) << (8 * i);
    if (delta_on_disk || (old && old->has_delta())) w.delta = serialize_delta(payload.size(), crc, {}, {});
    w.compacted = true;
    return w;
  };
  if (!old || compact) return full();
  // Which base entries are still used; the others are dead (removed, replaced, shadowed).
  std::vector<bool> used(old->base_entries(), false);
  std::vector<const CacheEntry*> added;
  uint64_t added_bytes = 0;
  for (const auto* e : live) {
    if (e->base_index < used.size()) {
      used[e->base_index] = true;
    } else {
      added.push_back(e);
      added_bytes += e->raw.size();
    }
  }
  uint64_t dead_bytes = 0;
  std::vector<std::string_view> removed;
  for (size_t i = 0; i < old->base_entries(); ++i) {
    if (used[i]) continue;
    const CacheEntry& e = old->base_entry(i);
    dead_bytes += e.raw.size();
    removed.push_back(e.file);
  }
  if ((added_bytes + dead_bytes) * kCacheCompactDivisor > old->base_payload_size()) return full();
  if (!old->has_delta() && removed.empty() && added.empty()) return w;  // the base alone is right
  std::string delta = serialize_delta(old->base_payload_size(), old->base_crc(), removed, added);
  if (!(old->has_delta() && old->delta_bytes() == delta)) w.delta = std::move(delta);
  return w;
}

}  // namespace kmpkit::depmod
