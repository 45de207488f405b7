#include "module/elf_modinfo.hpp"

#include "module/elf_sections.hpp"

namespace kmpkit {

std::optional<std::vector<ModinfoField>> elf_modinfo(std::string_view elf) {
  auto sections = elf64le_sections(elf);
  if (!sections) return std::nullopt;
  std::vector<ModinfoField> out;
  const ElfSection* modinfo = find_section(*sections, ".modinfo");
  if (!modinfo) return out;
  for (std::string_view rec : nul_separated_strings(modinfo->bytes)) {
    auto eq = rec.find('=');
    if (eq == std::string_view::npos) out.push_back({std::string(rec), ""});
    else out.push_back({std::string(rec.substr(0, eq)), std::string(rec.substr(eq + 1))});
  }
  return out;
}

bool has_appended_signature(std::string_view bytes) {
  static constexpr std::string_view marker = "~Module signature appended~\n";
  return bytes.size() >= marker.size() && bytes.substr(bytes.size() - marker.size()) == marker;
}

}  // namespace kmpkit
