#pragma once
// The hash kmod's depmod uses for its tables (libkmod-hash.c): Paul Hsieh's SuperFastHash with
// 16-bit little-endian reads and the key length as seed. depmod 30 iterates its tables bucket by
// bucket (bucket = hash & (n_buckets - 1)) and, within a bucket, in strcmp order; that iteration
// order is the order of modules.alias, modules.dep, ... (512 buckets for module names) and of
// modules.symbols (2048 buckets for symbol names).
#include <cstdint>
#include <cstring>
#include <string_view>

namespace kmpkit::depmod {

inline uint32_t superfast_hash(std::string_view key) {
  auto get16 = [](const char* p) {
    return static_cast<uint32_t>(static_cast<unsigned char>(p[0]) |
                                 (static_cast<unsigned char>(p[1]) << 8));
  };
  const char* p = key.data();
  uint32_t len = static_cast<uint32_t>(key.size());
  uint32_t hash = len, tmp;
  uint32_t rem = len & 3;
  for (len /= 4; len > 0; --len) {
    hash += get16(p);
    tmp = (get16(p + 2) << 11) ^ hash;
    hash = (hash << 16) ^ tmp;
    p += 4;
    hash += hash >> 11;
  }
  // kmod reads the odd trailing byte as a (signed) char.
  switch (rem) {
    case 3:
      hash += get16(p);
      hash ^= hash << 16;
      hash ^= static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(p[2])) << 18);
      hash += hash >> 11;
      break;
    case 2:
      hash += get16(p);
      hash ^= hash << 11;
      hash += hash >> 17;
      break;
    case 1:
      hash += static_cast<uint32_t>(static_cast<int32_t>(static_cast<signed char>(p[0])));
      hash ^= hash << 10;
      hash += hash >> 1;
      break;
  }
  hash ^= hash << 3;
  hash += hash >> 5;
  hash ^= hash << 4;
  hash += hash >> 17;
  hash ^= hash << 25;
  hash += hash >> 6;
  return hash;
}

// Sort key reproducing kmod's hash iteration order for a table of `buckets` (a power of two).
struct HashOrderKey {
  uint32_t bucket;
  std::string_view name;
  bool operator<(const HashOrderKey& o) const {
    if (bucket != o.bucket) return bucket < o.bucket;
    // strcmp order: unsigned byte comparison, a prefix first.
    return name < o.name;
  }
};

inline HashOrderKey hash_order_key(std::string_view name, uint32_t buckets) {
  return {superfast_hash(name) & (buckets - 1), name};
}

}  // namespace kmpkit::depmod
