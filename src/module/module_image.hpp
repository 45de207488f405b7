#pragma once
// The ELF bytes of a module file, decompressed (.ko, .ko.zst, .ko.xz) without libkmod: the lean
// generator (kmpkit-depgen) must start fast, and loading libkmod pulls in libcrypto.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kmpkit {

// The bytes: a read-only mapping of a plain module, or the decompressed ones.
class ModuleImage {
 public:
  ModuleImage(std::string decompressed) : owned_(std::move(decompressed)), bytes_(owned_) {}
  ModuleImage(const void* map, size_t size);
  ~ModuleImage();
  ModuleImage(const ModuleImage&) = delete;
  ModuleImage& operator=(const ModuleImage&) = delete;
  std::string_view bytes() const { return bytes_; }

 private:
  std::string owned_;
  const void* map_ = nullptr;
  std::string_view bytes_;
};

// The ELF bytes of a zstd- or xz-compressed module (by magic); nullopt for other bytes and for a
// stream that is corrupt, truncated or would exceed the largest module size.
std::optional<std::string> decompress_module(std::string_view bytes);

// nullptr when the file cannot be read or decompressed, or is gzip-compressed (which Debian's
// libkmod cannot read either); callers then hand the file to the libkmod reader, which says why.
std::unique_ptr<ModuleImage> read_module_image(const std::string& file);

}  // namespace kmpkit
