#include "module/module_image.hpp"

#include <fcntl.h>
#include <lzma.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cstring>
#include <string_view>

namespace kmpkit {
namespace {

// Modules are at most a few tens of MB; a larger output means a corrupt or hostile file.
constexpr size_t kMaxModuleSize = size_t{1} << 30;

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

// One zstd context per thread, reused (see XzDecoder below).
struct ZstdContext {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  ~ZstdContext() { ZSTD_freeDCtx(ctx); }
};

std::optional<std::string> unzstd(std::string_view in) {
  thread_local ZstdContext context;
  ZSTD_DCtx* ctx = context.ctx;
  if (!ctx || ZSTD_isError(ZSTD_DCtx_reset(ctx, ZSTD_reset_session_and_parameters))) return std::nullopt;
  std::string out;
  unsigned long long hint = ZSTD_getFrameContentSize(in.data(), in.size());
  out.resize(hint != ZSTD_CONTENTSIZE_UNKNOWN && hint != ZSTD_CONTENTSIZE_ERROR && hint <= kMaxModuleSize
                 ? static_cast<size_t>(hint) + 1
                 : in.size() * 4 + 4096);
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
  if (!ok || src.pos != src.size) return std::nullopt;
  out.resize(dst.pos);
  return out;
}

// The uncompressed size an xz file's index records (its last stream's), or 0 when the footer or
// index cannot be read: only a hint for the output buffer, the decoder still checks everything.
uint64_t xz_recorded_size(std::string_view in) {
  if (in.size() < 2 * LZMA_STREAM_HEADER_SIZE) return 0;
  lzma_stream_flags footer;
  const auto* end = reinterpret_cast<const uint8_t*>(in.data() + in.size() - LZMA_STREAM_HEADER_SIZE);
  if (lzma_stream_footer_decode(&footer, end) != LZMA_OK) return 0;
  if (footer.backward_size > in.size() - 2 * LZMA_STREAM_HEADER_SIZE) return 0;
  const auto* index_at = end - footer.backward_size;
  lzma_index* index = nullptr;
  uint64_t memlimit = UINT64_MAX;
  size_t pos = 0;
  if (lzma_index_buffer_decode(&index, &memlimit, nullptr, index_at, &pos, footer.backward_size) != LZMA_OK) return 0;
  uint64_t size = lzma_index_uncompressed_size(index);
  lzma_index_end(index, nullptr);
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

std::optional<std::string> unxz(std::string_view in) {
  thread_local XzDecoder decoder;
  lzma_stream& strm = *decoder.get();
  if (lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) return std::nullopt;
  uint64_t recorded = xz_recorded_size(in);
  std::string out(recorded > 0 && recorded < kMaxModuleSize ? recorded + 1 : in.size() * 4 + 4096, '\0');
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

std::unique_ptr<ModuleImage> read_module_image(const std::string& file) {
  auto mapped = map_file(file);
  if (!mapped) return nullptr;
  std::string_view b = mapped->bytes();
  std::optional<std::string> plain;
  if (b.size() >= 4 && std::memcmp(b.data(), "\x28\xB5\x2F\xFD", 4) == 0) plain = unzstd(b);
  else if (b.size() >= 6 && std::memcmp(b.data(), "\xFD" "7zXZ\0", 6) == 0) plain = unxz(b);
  else if (b.size() >= 4 && std::memcmp(b.data(), "\x7F" "ELF", 4) == 0) return mapped;
  if (!plain) return nullptr;
  return std::make_unique<ModuleImage>(std::move(*plain));
}

}  // namespace kmpkit
