#include "module/module_image.hpp"

#include <fcntl.h>
#include <lzma.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace kmpkit {
namespace {

// Modules are at most a few tens of MB; a larger output means a corrupt or hostile file.
constexpr size_t kMaxModuleSize = size_t{1} << 30;
// Modules compress 3-6 times; the first output buffer is at most this many times the input.
constexpr size_t kPlausibleRatio = 16;
// xz's decoder allocates the dictionary its header asks for, up to 4 GiB: a 68-byte file made
// this allocate 4 GiB (fuzz/seeds/module_elf/crash-xz-dict-4GiB). xz -9 needs 65 MiB, the kernel's
// modules_install 1 MiB: more is refused (LZMA_MEMLIMIT_ERROR, then libkmod says why).
constexpr uint64_t kXzMemoryLimit = uint64_t{256} << 20;

// The whole file mapped read-only (nullptr when it is not a regular file or cannot be mapped).
std::unique_ptr<ModuleImage> map_file(const std::string& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  struct stat st {};
  void* map = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
      static_cast<uint64_t>(st.st_size) <= kMaxModuleSize)
    map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return nullptr;
  return std::make_unique<ModuleImage>(map, static_cast<size_t>(st.st_size));
}

std::optional<std::string> unzstd(std::string_view in) {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (!ctx) return std::nullopt;
  std::string out;
  // The frame's content size is only a claim: a 12-byte file claiming 1 GiB made this allocate
  // (and zero) 1 GiB before finding no data (fuzz/seeds/module_elf/crash-zstd-claims-1GiB). Trust
  // it up to what the input could plausibly hold; the loop below grows the buffer as data comes.
  const size_t plausible = in.size() * kPlausibleRatio + 4096;
  unsigned long long hint = ZSTD_getFrameContentSize(in.data(), in.size());
  out.resize(hint != ZSTD_CONTENTSIZE_UNKNOWN && hint != ZSTD_CONTENTSIZE_ERROR && hint < plausible
                 ? static_cast<size_t>(hint) + 1
                 : std::min(plausible, kMaxModuleSize));
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{out.data(), out.size(), 0};
  size_t ret = 1;
  bool ok = true;
  while (ret != 0) {
    if (dst.pos == dst.size) {
      if (out.size() >= kMaxModuleSize) { ok = false; break; }
      out.resize(out.size() * 2);
      dst.dst = out.data();
      dst.size = out.size();
    }
    ret = ZSTD_decompressStream(ctx, &dst, &src);
    if (ZSTD_isError(ret)) { ok = false; break; }
    if (ret != 0 && src.pos == src.size && dst.pos < dst.size) { ok = false; break; }  // truncated
  }
  ZSTD_freeDCtx(ctx);
  if (!ok || src.pos != src.size) return std::nullopt;
  out.resize(dst.pos);
  return out;
}

std::optional<std::string> unxz(std::string_view in) {
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&strm, kXzMemoryLimit, LZMA_CONCATENATED) != LZMA_OK) return std::nullopt;
  std::string out(in.size() * 4 + 4096, '\0');
  strm.next_in = reinterpret_cast<const uint8_t*>(in.data());
  strm.avail_in = in.size();
  strm.next_out = reinterpret_cast<uint8_t*>(out.data());
  strm.avail_out = out.size();
  lzma_ret ret = LZMA_OK;
  while (true) {
    ret = lzma_code(&strm, strm.avail_in ? LZMA_RUN : LZMA_FINISH);
    if (ret == LZMA_STREAM_END || ret != LZMA_OK) break;
    if (strm.avail_out == 0) {
      if (out.size() >= kMaxModuleSize) break;
      size_t used = out.size();
      out.resize(used * 2);
      strm.next_out = reinterpret_cast<uint8_t*>(out.data()) + used;
      strm.avail_out = out.size() - used;
    }
  }
  size_t produced = out.size() - strm.avail_out;
  lzma_end(&strm);
  if (ret != LZMA_STREAM_END) return std::nullopt;
  out.resize(produced);
  return out;
}

}  // namespace

ModuleImage::ModuleImage(const void* map, size_t size)
    : map_(map), bytes_(static_cast<const char*>(map), size) {}

ModuleImage::~ModuleImage() {
  if (map_) ::munmap(const_cast<void*>(map_), bytes_.size());
}

std::optional<std::string> decompress_module(std::string_view bytes) {
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "\x28\xB5\x2F\xFD", 4) == 0) return unzstd(bytes);
  if (bytes.size() >= 6 && std::memcmp(bytes.data(), "\xFD" "7zXZ\0", 6) == 0) return unxz(bytes);
  return std::nullopt;
}

std::unique_ptr<ModuleImage> read_module_image(const std::string& file) {
  auto mapped = map_file(file);
  if (!mapped) return nullptr;
  std::string_view b = mapped->bytes();
  if (b.size() >= 4 && std::memcmp(b.data(), "\x7F" "ELF", 4) == 0) return mapped;
  auto plain = decompress_module(b);
  if (!plain) return nullptr;
  return std::make_unique<ModuleImage>(std::move(*plain));
}

}  // namespace kmpkit
