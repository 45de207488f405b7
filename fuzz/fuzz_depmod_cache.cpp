// kmpkit depmod's per-module cache (src/depmod/cache.cpp, modules.kmpkit-cache): the binary
// entries, then the database built from them as depmod does when every module is cached. The
// header's payload size and CRC-64 are set right before parsing, or nearly every mutation would
// stop at the checksum.
#include <lzma.h>

#include <cstring>

#include "depmod/cache.hpp"
#include "fuzz_input.hpp"

using namespace kmpkit;

namespace {

constexpr size_t kHeaderSize = 32;  // magic, format, reader version, payload size, payload CRC-64

void put_le64(std::string& out, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[at + i] = static_cast<char>(v >> (8 * i));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(fuzz::as_text(data, size));
  if (bytes.size() >= kHeaderSize) {
    std::string_view payload = std::string_view(bytes).substr(kHeaderSize);
    put_le64(bytes, 16, payload.size());
    put_le64(bytes, 24, lzma_crc64(reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), 0));
  }
  // The directory the cache says it was made for (a length-prefixed string after the header), so
  // that caches of any tree get past that check.
  std::string dir;
  if (bytes.size() >= kHeaderSize + 4) {
    uint32_t n = 0;
    std::memcpy(&n, bytes.data() + kHeaderSize, 4);
    dir = std::string_view(bytes).substr(kHeaderSize + 4, n);
  }
  std::string why;
  auto cache = depmod::ModuleCache::parse(bytes, nullptr, dir, &why);
  if (!cache) return 0;
  std::vector<depmod::ModuleData> modules;
  for (size_t i = 0; i < cache->size(); ++i) modules.push_back(cache->entry(i).data);
  depmod::build_database(modules, depmod::KernelLists{});
  return 0;
}
