#include "module/elf_modinfo.hpp"

#include "module/elf_sections.hpp"

namespace kmpkit {

std::optional<std::vector<ModinfoField>> elf_modinfo(std::string_view elf) {
  auto sections = elf64le_sections(elf);
  if (!sections) return std::nullopt;
  std::vector<ModinfoField> out;
  const ElfSection* modinfo = find_section(*sections, ".modinfo");
  if (!modinfo) return out;
  std::string_view data = modinfo->bytes;
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

bool has_appended_signature(std::string_view bytes) {
  static constexpr std::string_view marker = "~Module signature appended~\n";
  return bytes.size() >= marker.size() && bytes.substr(bytes.size() - marker.size()) == marker;
}

}  // namespace kmpkit
