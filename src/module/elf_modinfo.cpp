#include "module/elf_modinfo.hpp"

#include <elf.h>

#include <cstring>

namespace kmpkit {

std::optional<std::vector<ModinfoField>> elf_modinfo(std::string_view elf) {
  if (elf.size() < sizeof(Elf64_Ehdr) || std::memcmp(elf.data(), ELFMAG, SELFMAG) != 0 ||
      elf[EI_CLASS] != ELFCLASS64 || elf[EI_DATA] != ELFDATA2LSB)
    return std::nullopt;
  Elf64_Ehdr eh;
  std::memcpy(&eh, elf.data(), sizeof eh);
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum ||
      eh.e_shoff > elf.size() || (elf.size() - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum)
    return std::nullopt;
  auto section = [&](size_t i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, elf.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof sh);
    return sh;
  };
  auto in_file = [&](const Elf64_Shdr& sh) {
    return sh.sh_type == SHT_NOBITS || (sh.sh_offset <= elf.size() && sh.sh_size <= elf.size() - sh.sh_offset);
  };
  Elf64_Shdr names = section(eh.e_shstrndx);
  if (!in_file(names)) return std::nullopt;
  std::string_view strtab = elf.substr(names.sh_offset, names.sh_size);
  for (size_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh = section(i);
    if (!in_file(sh)) return std::nullopt;
    if (sh.sh_name >= strtab.size()) continue;
    std::string_view name = strtab.substr(sh.sh_name);
    name = name.substr(0, name.find('\0'));
    if (name != ".modinfo") continue;
    std::vector<ModinfoField> out;
    std::string_view data = elf.substr(sh.sh_offset, sh.sh_size);
    while (!data.empty()) {
      auto nul = data.find('\0');
      std::string_view rec = data.substr(0, nul);
      data.remove_prefix(nul == std::string_view::npos ? data.size() : nul + 1);
      if (rec.empty()) continue;
      auto eq = rec.find('=');
      if (eq == std::string_view::npos) out.push_back({std::string(rec), ""});
      else out.push_back({std::string(rec.substr(0, eq)), std::string(rec.substr(eq + 1))});
    }
    return out;
  }
  return std::vector<ModinfoField>{};
}

bool has_appended_signature(std::string_view bytes) {
  static constexpr std::string_view marker = "~Module signature appended~\n";
  return bytes.size() >= marker.size() && bytes.substr(bytes.size() - marker.size()) == marker;
}

}  // namespace kmpkit
