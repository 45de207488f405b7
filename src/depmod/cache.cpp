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
  void list(std::vector<std::string_view>& out) {
    uint32_t n = u32();
    if (!ok || n > (in.size() - pos) / 4) {
      ok = false;
      return;
    }
    out.reserve(n);
    for (uint32_t i = 0; i < n && ok; ++i) out.push_back(str());
  }
};

}  // namespace

static void serialize_entry(std::string& out, const CacheEntry& e) {
  size_t at = out.size();
  put_u32(out, 0);  // record length, filled in below
  put_str(out, e.file);
  put_u64(out, e.id.size);
  put_u64(out, static_cast<uint64_t>(e.id.mtime_ns));
  put_u64(out, e.id.inode);
  put_str(out, e.data.name);
  put_str(out, e.data.path);
  put_u32(out, e.data.external ? 1 : 0);
  put_list(out, e.data.aliases);
  put_list(out, e.data.softdeps);
  put_list(out, e.data.exports);
  put_list(out, e.data.dependency_symbols);
  uint32_t len = static_cast<uint32_t>(out.size() - at - 4);
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>(len >> (8 * i));
}

std::string serialize_cache(const std::string& module_dir, const std::vector<const CacheEntry*>& entries) {
  size_t estimate = kHeaderSize + module_dir.size() + 16;
  for (const auto* e : entries) {
    if (!e->raw.empty()) {
      estimate += e->raw.size();
      continue;
    }
    estimate += e->file.size() + e->data.path.size() + e->data.name.size() + 64;
    for (auto s : e->data.aliases) estimate += s.size() + 4;
    for (auto s : e->data.softdeps) estimate += s.size() + 4;
    for (auto s : e->data.exports) estimate += s.size() + 4;
    for (auto s : e->data.dependency_symbols) estimate += s.size() + 4;
  }
  std::string out;
  out.reserve(estimate);
  out.append(kMagic, sizeof kMagic);
  put_u32(out, kCacheFormatVersion);
  put_u32(out, kCacheReaderVersion);
  put_u64(out, 0);  // payload size
  put_u64(out, 0);  // payload CRC-64
  put_str(out, module_dir);
  put_u32(out, static_cast<uint32_t>(entries.size()));
  for (const auto* e : entries) {
    if (!e->raw.empty()) out.append(e->raw);
    else serialize_entry(out, *e);
  }
  std::string_view payload = std::string_view(out).substr(kHeaderSize);
  uint64_t crc = lzma_crc64(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), 0);
  for (int i = 0; i < 8; ++i) {
    out[16 + i] = static_cast<char>(static_cast<uint64_t>(payload.size()) >> (8 * i));
    out[24 + i] = static_cast<char>(crc >> (8 * i));
  }
  return out;
}

std::optional<ModuleCache> ModuleCache::load(const std::string& cache_file, const std::string& module_dir,
                                             std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<ModuleCache> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  int fd = ::open(cache_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno == ENOENT ? "missing" : fmt::format("unreadable: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail("corrupt: not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size < kHeaderSize) {
    ::close(fd);
    return fail("corrupt: not a kmpkit depmod cache");
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return fail(fmt::format("unreadable: {}", std::strerror(errno)));
  std::shared_ptr<const void> mapping(map, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  return parse(std::string_view(static_cast<const char*>(map), size), std::move(mapping), module_dir, why);
}

std::optional<ModuleCache> ModuleCache::parse(std::string_view all, std::shared_ptr<const void> owner,
                                              const std::string& module_dir, std::string* why) {
  auto fail = [&](std::string reason) -> std::optional<ModuleCache> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  if (all.size() < kHeaderSize || std::memcmp(all.data(), kMagic, sizeof kMagic) != 0) return fail("corrupt: not a kmpkit depmod cache");
  Reader h{all.substr(sizeof kMagic, kHeaderSize - sizeof kMagic)};
  uint32_t format = h.u32(), reader = h.u32();
  uint64_t payload_size = h.u64(), crc = h.u64();
  if (format != kCacheFormatVersion)
    return fail(fmt::format("stale: cache format {} (this kmpkit: {})", format, kCacheFormatVersion));
  if (reader != kCacheReaderVersion)
    return fail(fmt::format("stale: reader version {} (this kmpkit: {})", reader, kCacheReaderVersion));
  std::string_view payload = all.substr(kHeaderSize);
  if (payload.size() != payload_size) return fail("corrupt: truncated or padded");
  if (lzma_crc64(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), 0) != crc)
    return fail("corrupt: checksum mismatch");

  ModuleCache cache;
  Reader r{payload};
  std::string_view dir = r.str();
  if (r.ok && dir != module_dir) return fail(fmt::format("foreign: made for {}", dir));
  uint32_t count = r.u32();
  if (!r.ok || count > payload.size() / 16) return fail("corrupt: bad entry count");
  cache.entries_.reserve(count);
  for (uint32_t i = 0; i < count && r.ok; ++i) {
    size_t start = r.pos;
    uint32_t len = r.u32();
    if (!r.ok || payload.size() - r.pos < len) return fail("corrupt: malformed entries");
    Reader e{payload.substr(r.pos, len)};
    r.pos += len;
    CacheEntry entry;
    entry.raw = payload.substr(start, 4 + len);
    entry.file = e.str();
    entry.id.size = e.u64();
    entry.id.mtime_ns = static_cast<int64_t>(e.u64());
    entry.id.inode = e.u64();
    entry.data.name = e.str();
    entry.data.path = e.str();
    entry.data.external = e.u32() != 0;
    e.list(entry.data.aliases);
    e.list(entry.data.softdeps);
    e.list(entry.data.exports);
    e.list(entry.data.dependency_symbols);
    if (!e.ok || e.pos != e.in.size()) return fail("corrupt: malformed entries");
    cache.entries_.push_back(std::move(entry));
  }
  if (!r.ok || r.pos != payload.size()) return fail("corrupt: malformed entries");
  cache.index_.reserve(cache.entries_.size() * 2);
  for (size_t i = 0; i < cache.entries_.size(); ++i) cache.index_.emplace(cache.entries_[i].file, i);
  cache.mapping_ = std::move(owner);
  return cache;
}

const CacheEntry* ModuleCache::find(std::string_view file) const {
  auto it = index_.find(file);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

}  // namespace kmpkit::depmod
