#pragma once
// The ELF bytes of a module file, decompressed (.ko, .ko.zst, .ko.xz) without libkmod: the lean
// generator (kmpkit-depgen) must start fast, and loading libkmod pulls in libcrypto.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "module/byte_buffer.hpp"

namespace kmpkit {

// The bytes of a plain module as read, or the decompressed ones.
class ModuleImage {
 public:
  ModuleImage(ByteBuffer buffer, size_t size) : buffer_(std::move(buffer)), size_(size) {}
  std::string_view bytes() const { return {buffer_.data(), size_}; }

 private:
  ByteBuffer buffer_;
  size_t size_ = 0;
};

// The ELF bytes of a zstd- or xz-compressed module (by magic); nullopt for other bytes and for a
// stream that is corrupt, truncated or would exceed the largest module size.
std::optional<std::string> decompress_module(std::string_view bytes);

// The uncompressed size an xz file's index records (a hint for the output buffer), read with a
// bounded memory limit: a corrupt index's claim is refused, not allocated (exposed for tests).
enum class XzIndexRead { Ok, NoIndex, OverMemoryLimit };
XzIndexRead read_xz_index_size(std::string_view in, uint64_t& size);

// nullptr when the file cannot be read or decompressed, or is gzip-compressed (which Debian's
// libkmod cannot read either); callers then hand the file to the libkmod reader, which says why.
std::unique_ptr<ModuleImage> read_module_image(const std::string& file);

}  // namespace kmpkit
