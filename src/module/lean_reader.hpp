#pragma once
// Reads what the dependency generator needs from module files (modinfo, __versions, exports)
// without libkmod, so that a generator started once per file by rpm starts fast. Anything it
// cannot read exactly as libkmod would comes back as nullopt: the caller then uses libkmod.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "module/module_record.hpp"
#include "module/module_reader.hpp"

namespace kmpkit {

// What the lean reader takes from a module's ELF bytes (decompressed): modinfo, and per `parts`
// __versions, exports and dependency symbols, and whether a signature is appended. Identity fields
// stay empty.
std::optional<ModuleRecord> parse_module_lean(std::string_view elf_bytes, unsigned parts);

// `parts` may hold kReadVersions, kReadExports and kReadDependencySymbols; kReadSignature gives
// nullopt. The record's `path` is `file`.
std::optional<ModuleRecord> read_module_lean(const std::string& file, unsigned parts);

// All files, in order; nullopt as soon as one cannot be read the lean way.
std::optional<std::vector<ModuleRecord>> read_modules_lean(const std::vector<std::string>& files, unsigned parts);

}  // namespace kmpkit
