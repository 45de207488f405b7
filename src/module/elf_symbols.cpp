#include "module/elf_symbols.hpp"

#include <elf.h>

#include <cstring>
#include <unordered_map>

namespace kmpkit {
namespace {

constexpr size_t kVersionEntrySize = 64;  // struct modversion_info on 64-bit: u64 crc, char name[56]

uint64_t load_le(std::string_view bytes, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= uint64_t(static_cast<uint8_t>(bytes[offset + i])) << (8 * i);
  return v;
}

// A NUL-terminated string at `offset` that ends inside `bytes`.
std::optional<std::string_view> c_string(std::string_view bytes, size_t offset) {
  if (offset >= bytes.size()) return std::nullopt;
  auto rest = bytes.substr(offset);
  auto nul = rest.find('\0');
  if (nul == std::string_view::npos) return std::nullopt;
  return rest.substr(0, nul);
}

// Names in __ksymtab_strings, NUL runs merged (exports of a module built without modversions).
std::vector<ExportedSymbol> ksymtab_strings(const std::vector<ElfSection>& sections) {
  std::vector<ExportedSymbol> out;
  const ElfSection* s = find_section(sections, "__ksymtab_strings");
  if (!s) return out;
  for (std::string_view name : nul_separated_strings(s->bytes)) out.push_back({std::string(name), 0});
  return out;
}

}  // namespace

std::optional<std::vector<ImportedSymbol>> elf_versions(const std::vector<ElfSection>& sections) {
  std::vector<ImportedSymbol> out;
  const ElfSection* s = find_section(sections, "__versions");
  if (!s || s->bytes.empty()) return out;
  if (s->bytes.size() % kVersionEntrySize != 0) return std::nullopt;
  for (size_t off = 0; off < s->bytes.size(); off += kVersionEntrySize) {
    auto entry = s->bytes.substr(off, kVersionEntrySize);
    auto name = c_string(entry, 8);
    if (!name) return std::nullopt;
    if (!name->empty() && name->front() == '.') name->remove_prefix(1);
    out.push_back({std::string(*name), load_le(entry, 0, 8), false});
  }
  return out;
}

std::optional<std::vector<ExportedSymbol>> elf_exports(const std::vector<ElfSection>& sections) {
  static constexpr std::string_view crc_prefix = "__crc_";
  const ElfSection* strtab = find_section(sections, ".strtab");
  const ElfSection* symtab = find_section(sections, ".symtab");
  if (!strtab || !symtab || symtab->bytes.size() % sizeof(Elf64_Sym) != 0) return ksymtab_strings(sections);
  std::vector<ExportedSymbol> out;
  size_t count = symtab->bytes.size() / sizeof(Elf64_Sym);
  for (size_t i = 1; i < count; ++i) {
    Elf64_Sym sym;
    std::memcpy(&sym, symtab->bytes.data() + i * sizeof(Elf64_Sym), sizeof sym);
    if (sym.st_name >= strtab->bytes.size()) return ksymtab_strings(sections);
    auto name = c_string(strtab->bytes, sym.st_name);
    if (!name) return std::nullopt;
    if (!name->starts_with(crc_prefix)) continue;
    uint64_t crc = sym.st_value;
    if (sym.st_shndx != SHN_ABS && sym.st_shndx != SHN_UNDEF) {
      // A CRC symbol defined in a section: its value is the offset of the 32-bit CRC there.
      if (sym.st_shndx >= sections.size()) {
        crc = uint64_t(-1);
      } else {
        const ElfSection& in = sections[sym.st_shndx];
        if (in.size < 4 || in.bytes.size() != in.size) return std::nullopt;
        crc = crc > in.size - 4 ? uint64_t(-1) : load_le(in.bytes, crc, 4);
      }
    }
    out.push_back({std::string(name->substr(crc_prefix.size())), crc});
  }
  if (out.empty()) return ksymtab_strings(sections);
  return out;
}

std::optional<std::vector<ImportedSymbol>> elf_dependency_symbols(const std::vector<ElfSection>& sections) {
  const ElfSection* strtab = find_section(sections, ".strtab");
  const ElfSection* symtab = find_section(sections, ".symtab");
  // libkmod: -EINVAL (an unreadable module) without them; a NOBITS section has no bytes to check.
  if (!strtab || !symtab || strtab->bytes.size() != strtab->size || symtab->bytes.size() != symtab->size ||
      symtab->bytes.size() % sizeof(Elf64_Sym) != 0)
    return std::nullopt;
  // __versions of a wrong length is ignored by libkmod, as if absent.
  std::string_view versions;
  if (const ElfSection* v = find_section(sections, "__versions"); v && v->size % kVersionEntrySize == 0) {
    if (v->bytes.size() != v->size) return std::nullopt;
    versions = v->bytes;
  }
  struct Version {
    std::string_view name;
    uint64_t crc;
  };
  std::vector<Version> table;
  table.reserve(versions.size() / kVersionEntrySize);
  for (size_t off = 0; off < versions.size(); off += kVersionEntrySize) {
    auto name = c_string(versions.substr(off, kVersionEntrySize), 8);
    if (!name) return std::nullopt;  // libkmod would read past the entry
    table.push_back({*name, load_le(versions, off, 8)});
  }
  std::unordered_map<std::string_view, size_t> first_of;  // libkmod takes the first entry of a name
  first_of.reserve(table.size());
  for (size_t k = 0; k < table.size(); ++k) first_of.try_emplace(table[k].name, k);
  std::vector<bool> visited(table.size(), false);
  std::vector<ImportedSymbol> out;
  size_t count = symtab->bytes.size() / sizeof(Elf64_Sym);
  for (size_t i = 1; i < count; ++i) {
    Elf64_Sym sym;
    std::memcpy(&sym, symtab->bytes.data() + i * sizeof(Elf64_Sym), sizeof sym);
    if (sym.st_shndx != SHN_UNDEF) continue;
    auto name = c_string(strtab->bytes, sym.st_name);
    if (!name) return std::nullopt;
    if (name->empty()) continue;
    uint64_t crc = 0;
    if (auto it = first_of.find(*name); it != first_of.end()) {
      crc = table[it->second].crc;
      visited[it->second] = true;
    }
    out.push_back({std::string(*name), crc, ELF64_ST_BIND(sym.st_info) == STB_WEAK});
  }
  for (size_t k = 0; k < table.size(); ++k)
    if (!visited[k]) out.push_back({std::string(table[k].name), table[k].crc, false});
  return out;
}

}  // namespace kmpkit
