#pragma once
// A fast path for the .modinfo section of an uncompressed module. libkmod's
// kmod_module_get_info also decodes the appended signature (PKCS#7 parse plus a hex dump of the
// whole signature), which is most of its cost; callers that do not need signer details (depgen)
// read .modinfo here instead. The split rules are libkmod's: NUL runs merged, key up to the
// first '='.
#include <optional>
#include <string_view>
#include <vector>

#include "module/module_record.hpp"

namespace kmpkit {

// nullopt when the bytes are not a 64-bit little-endian ELF file with sane section headers
// (the caller then falls back to libkmod, which gives the precise error).
std::optional<std::vector<ModinfoField>> elf_modinfo(std::string_view elf);

// True when the bytes end with the kernel's module signature marker.
bool has_appended_signature(std::string_view file_bytes);

}  // namespace kmpkit
