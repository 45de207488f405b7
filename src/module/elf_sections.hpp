#pragma once
// The section table of a 64-bit little-endian ELF file (every module of x86_64, aarch64,
// ppc64le, riscv64), checked against the file size. The fast module paths build on it; other
// ELF kinds go to libkmod.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace kmpkit {

struct ElfSection {
  std::string_view name;
  uint32_t type = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  std::string_view bytes;  // empty for SHT_NOBITS
};

// nullopt when the bytes are not a 64-bit little-endian ELF file with sane section headers.
std::optional<std::vector<ElfSection>> elf64le_sections(std::string_view elf);

// The non-empty NUL-terminated strings of a string section (.modinfo, __ksymtab_strings): runs of
// NULs (padding) separate like one, as libkmod splits them; a last string without NUL counts.
std::vector<std::string_view> nul_separated_strings(std::string_view data);

// The first section of that name (libkmod's lookup), or nullptr.
const ElfSection* find_section(const std::vector<ElfSection>& sections, std::string_view name);

}  // namespace kmpkit
