#pragma once
// Readers for the kernel build's own lists: Module.symvers, modules.builtin,
// modules.builtin.modinfo and modules.order.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit {

struct SymversEntry {
  std::string symbol;
  uint64_t crc = 0;
  std::string module;       // "vmlinux" or the module path without .ko (e.g. "fs/ext4/ext4")
  std::string export_type;  // EXPORT_SYMBOL, EXPORT_SYMBOL_GPL, ...
  std::string ns;           // symbol namespace, may be empty
  bool operator==(const SymversEntry&) const = default;
};

struct BuiltinModinfo {
  std::string module;  // module name as written before the first '.'
  std::string key;
  std::string value;
};

// Each reader returns nullopt when the file does not exist; a malformed line is skipped and
// counted in `bad_lines` when given. read_symvers also reads gzip-compressed files (symvers.gz).
std::optional<std::vector<SymversEntry>> read_symvers(const std::string& path, size_t* bad_lines = nullptr);
std::optional<std::vector<std::string>> read_lines(const std::string& path);  // modules.builtin, modules.order
std::optional<std::vector<BuiltinModinfo>> read_builtin_modinfo(const std::string& path);
// The same parsers over a file's text.
std::vector<SymversEntry> parse_symvers(std::string_view text, size_t* bad_lines = nullptr);
std::vector<BuiltinModinfo> parse_builtin_modinfo(std::string_view text);

// Reads a whole file; nullopt when it cannot be opened.
std::optional<std::string> read_file(const std::string& path);
// A file's text, gunzipped when it is gzip-compressed (plain files as they are); nullopt when
// unreadable, corrupt, truncated or over kMaxGunzippedBytes unpacked.
inline constexpr size_t kMaxGunzippedBytes = size_t{256} << 20;
std::optional<std::string> read_maybe_gzipped(const std::string& path);

}  // namespace kmpkit
