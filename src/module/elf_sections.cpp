#include "module/elf_sections.hpp"

#include <elf.h>

#include <cstring>

namespace kmpkit {

std::optional<std::vector<ElfSection>> elf64le_sections(std::string_view elf) {
  if (elf.size() < sizeof(Elf64_Ehdr) || std::memcmp(elf.data(), ELFMAG, SELFMAG) != 0 ||
      elf[EI_CLASS] != ELFCLASS64 || elf[EI_DATA] != ELFDATA2LSB)
    return std::nullopt;
  Elf64_Ehdr eh;
  std::memcpy(&eh, elf.data(), sizeof eh);
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum ||
      eh.e_shoff > elf.size() || (elf.size() - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum)
    return std::nullopt;
  auto header = [&](size_t i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, elf.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof sh);
    return sh;
  };
  auto in_file = [&](const Elf64_Shdr& sh) {
    return sh.sh_type == SHT_NOBITS || (sh.sh_offset <= elf.size() && sh.sh_size <= elf.size() - sh.sh_offset);
  };
  Elf64_Shdr names = header(eh.e_shstrndx);
  if (!in_file(names) || names.sh_type == SHT_NOBITS) return std::nullopt;
  std::string_view strtab = elf.substr(names.sh_offset, names.sh_size);
  std::vector<ElfSection> out;
  out.reserve(eh.e_shnum);
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh = header(i);
    if (!in_file(sh)) return std::nullopt;
    ElfSection s;
    if (sh.sh_name < strtab.size()) {
      s.name = strtab.substr(sh.sh_name);
      s.name = s.name.substr(0, s.name.find('\0'));
    }
    s.type = sh.sh_type;
    s.offset = sh.sh_offset;
    s.size = sh.sh_size;
    if (sh.sh_type != SHT_NOBITS) s.bytes = elf.substr(sh.sh_offset, sh.sh_size);
    out.push_back(s);
  }
  return out;
}

std::vector<std::string_view> nul_separated_strings(std::string_view data) {
  std::vector<std::string_view> out;
  while (!data.empty()) {
    auto nul = data.find('\0');
    std::string_view item = data.substr(0, nul);
    data.remove_prefix(nul == std::string_view::npos ? data.size() : nul + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

const ElfSection* find_section(const std::vector<ElfSection>& sections, std::string_view name) {
  for (const auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace kmpkit
