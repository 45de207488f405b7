#pragma once
// A module's __versions table and exported symbols read from its ELF bytes by libkmod's rules
// (kmod 30: kmod_elf_get_modversions, kmod_elf_get_symbols), without libkmod. The lean
// generator uses them; a test compares them with libkmod over every module of the real kernel.
#include <optional>
#include <string_view>
#include <vector>

#include "module/elf_sections.hpp"
#include "module/module_record.hpp"

namespace kmpkit {

// __versions entries in order (empty without the section). nullopt where libkmod would fail or
// where the table is malformed: the caller then asks libkmod.
std::optional<std::vector<ImportedSymbol>> elf_versions(const std::vector<ElfSection>& sections);

// depmod's dependency symbols (kmod_elf_get_dependency_symbols): the named undefined symbols of
// .symtab in order, weak ones marked, each with its __versions CRC (0 without), then the
// __versions entries no symbol matched (module_layout). nullopt wherever libkmod fails or would
// read out of bounds: the caller then asks libkmod, which says why.
std::optional<std::vector<ImportedSymbol>> elf_dependency_symbols(const std::vector<ElfSection>& sections);

// The __crc_* symbols of .symtab with their resolved CRCs, or, without any, the names in
// __ksymtab_strings with CRC 0.
std::optional<std::vector<ExportedSymbol>> elf_exports(const std::vector<ElfSection>& sections);

}  // namespace kmpkit
