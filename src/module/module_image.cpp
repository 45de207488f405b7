#include "module/module_image.hpp"

#include <fcntl.h>
#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
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
// The index read for the size hint: one record a block, a few for any module (xz -T cuts a 400 MB
// file into ~130 blocks). Unlimited, liblzma preallocated what the index's record count claimed:
// a 38-byte file asked for 279 GiB (fuzz/seeds/module_elf/crash-xz-index-claims-279GiB).
constexpr uint64_t kXzIndexMemoryLimit = uint64_t{1} << 20;

// The first output buffer for a compressed module: its claimed size when the input could hold it.
// A claim is only a claim: a 12-byte zstd file claiming 1 GiB made the reader allocate (and zero)
// 1 GiB (fuzz/seeds/module_elf/crash-zstd-claims-1GiB); the decoders grow the buffer as data comes.
size_t first_output_size(uint64_t claimed, size_t input) {
  const size_t plausible = std::min(input * kPlausibleRatio + 4096, kMaxModuleSize);
  return claimed > 0 && claimed < plausible ? static_cast<size_t>(claimed) + 1 : std::min(plausible, input * 4 + 4096);
}

// The whole file read into a buffer (nullopt when it is not a regular file or cannot be read).
// read(), not mmap: unmapping in a process with reader threads interrupts every core.
std::optional<ModuleImage> read_whole_file(const std::string& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
      static_cast<uint64_t>(st.st_size) > kMaxModuleSize)
    return std::nullopt;
  size_t size = static_cast<size_t>(st.st_size);
  ByteBuffer buffer(size);
  for (size_t got = 0; got < size;) {
    ssize_t n = ::read(fd, buffer.data() + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;  // an error, or the file shrank while read
    got += static_cast<size_t>(n);
  }
  return ModuleImage(std::move(buffer), size);
}

// One zstd context per thread, reused (see XzDecoder below).
struct ZstdContext {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  ~ZstdContext() { ZSTD_freeDCtx(ctx); }
};

std::optional<ModuleImage> unzstd(std::string_view in) {
  thread_local ZstdContext context;
  ZSTD_DCtx* ctx = context.ctx;
  if (!ctx || ZSTD_isError(ZSTD_DCtx_reset(ctx, ZSTD_reset_session_and_parameters))) return std::nullopt;
  unsigned long long hint = ZSTD_getFrameContentSize(in.data(), in.size());
  ByteBuffer out(first_output_size(hint != ZSTD_CONTENTSIZE_UNKNOWN && hint != ZSTD_CONTENTSIZE_ERROR ? hint : 0,
                                   in.size()));
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{out.data(), out.capacity(), 0};
  size_t ret = 1;
  bool ok = true;
  while (ret != 0) {
    if (dst.pos == dst.size) {
      if (out.capacity() >= kMaxModuleSize) { ok = false; break; }
      out.grow(out.capacity() * 2, dst.pos);
      dst.dst = out.data();
      dst.size = out.capacity();
    }
    ret = ZSTD_decompressStream(ctx, &dst, &src);
    if (ZSTD_isError(ret)) { ok = false; break; }
    if (ret != 0 && src.pos == src.size && dst.pos < dst.size) { ok = false; break; }  // truncated
  }
  if (!ok || src.pos != src.size) return std::nullopt;
  return ModuleImage(std::move(out), dst.pos);
}

}  // namespace

XzIndexRead read_xz_index_size(std::string_view in, uint64_t& size) {
  size = 0;
  if (in.size() < 2 * LZMA_STREAM_HEADER_SIZE) return XzIndexRead::NoIndex;
  lzma_stream_flags footer;
  const auto* end = reinterpret_cast<const uint8_t*>(in.data() + in.size() - LZMA_STREAM_HEADER_SIZE);
  if (lzma_stream_footer_decode(&footer, end) != LZMA_OK) return XzIndexRead::NoIndex;
  if (footer.backward_size > in.size() - 2 * LZMA_STREAM_HEADER_SIZE) return XzIndexRead::NoIndex;
  const auto* index_at = end - footer.backward_size;
  lzma_index* index = nullptr;
  uint64_t memlimit = kXzIndexMemoryLimit;
  size_t pos = 0;
  lzma_ret ret = lzma_index_buffer_decode(&index, &memlimit, nullptr, index_at, &pos, footer.backward_size);
  if (ret == LZMA_MEMLIMIT_ERROR) return XzIndexRead::OverMemoryLimit;
  if (ret != LZMA_OK) return XzIndexRead::NoIndex;
  size = lzma_index_uncompressed_size(index);
  lzma_index_end(index, nullptr);
  return XzIndexRead::Ok;
}

namespace {

// The uncompressed size an xz file's index records (its last stream's), or 0 when the footer or
// index cannot be read: only a hint for the output buffer, the decoder still checks everything.
uint64_t xz_recorded_size(std::string_view in) {
  uint64_t size = 0;
  read_xz_index_size(in, size);
  return size;
}

// One xz decoder per thread, reused: a fresh one per module would allocate (mmap) and free its
// dictionary each time, and in a threaded process every munmap is a TLB shootdown on all cores.
class XzDecoder {
 public:
  ~XzDecoder() { lzma_end(&strm_); }
  lzma_stream* get() { return &strm_; }

 private:
  lzma_stream strm_ = LZMA_STREAM_INIT;
};

std::optional<ModuleImage> unxz(std::string_view in) {
  thread_local XzDecoder decoder;
  lzma_stream& strm = *decoder.get();
  if (lzma_stream_decoder(&strm, kXzMemoryLimit, LZMA_CONCATENATED) != LZMA_OK) return std::nullopt;
  ByteBuffer out(first_output_size(xz_recorded_size(in), in.size()));
  strm.next_in = reinterpret_cast<const uint8_t*>(in.data());
  strm.avail_in = in.size();
  strm.next_out = reinterpret_cast<uint8_t*>(out.data());
  strm.avail_out = out.capacity();
  lzma_ret ret = LZMA_OK;
  while (true) {
    ret = lzma_code(&strm, strm.avail_in ? LZMA_RUN : LZMA_FINISH);
    if (ret == LZMA_STREAM_END || ret != LZMA_OK) break;
    if (strm.avail_out == 0) {
      if (out.capacity() >= kMaxModuleSize) break;
      size_t used = out.capacity();
      out.grow(used * 2, used);
      strm.next_out = reinterpret_cast<uint8_t*>(out.data()) + used;
      strm.avail_out = out.capacity() - used;
    }
  }
  size_t produced = out.capacity() - strm.avail_out;
  if (ret != LZMA_STREAM_END) return std::nullopt;
  return ModuleImage(std::move(out), produced);
}

}  // namespace

std::optional<std::string> decompress_module(std::string_view bytes) {
  std::optional<ModuleImage> plain;
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "\x28\xB5\x2F\xFD", 4) == 0) plain = unzstd(bytes);
  else if (bytes.size() >= 6 && std::memcmp(bytes.data(), "\xFD" "7zXZ\0", 6) == 0) plain = unxz(bytes);
  if (!plain) return std::nullopt;
  return std::string(plain->bytes());
}

std::unique_ptr<ModuleImage> read_module_image(const std::string& file) {
  auto raw = read_whole_file(file);
  if (!raw) return nullptr;
  std::string_view b = raw->bytes();
  std::optional<ModuleImage> plain;
  if (b.size() >= 4 && std::memcmp(b.data(), "\x28\xB5\x2F\xFD", 4) == 0) plain = unzstd(b);
  else if (b.size() >= 6 && std::memcmp(b.data(), "\xFD" "7zXZ\0", 6) == 0) plain = unxz(b);
  else if (b.size() >= 4 && std::memcmp(b.data(), "\x7F" "ELF", 4) == 0) return std::make_unique<ModuleImage>(std::move(*raw));
  if (!plain) return nullptr;
  return std::make_unique<ModuleImage>(std::move(*plain));
}

}  // namespace kmpkit
