#include "module/module_record.hpp"

namespace kmpkit {

std::vector<std::string> ModuleRecord::values(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& f : modinfo)
    if (f.key == key) out.push_back(f.value);
  return out;
}

std::optional<std::string> ModuleRecord::first(std::string_view key) const {
  for (const auto& f : modinfo)
    if (f.key == key) return f.value;
  return std::nullopt;
}

std::vector<std::string> ModuleRecord::depends() const {
  std::vector<std::string> out;
  auto value = first("depends");
  if (!value) return out;
  std::string_view rest = *value;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

std::string module_name_from_path(std::string_view path) {
  auto slash = path.rfind('/');
  auto base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto dot = base.find('.');
  std::string name(base.substr(0, dot));
  for (auto& c : name)
    if (c == '-') c = '_';
  return name;
}

std::string release_from_vermagic(std::string_view vermagic) {
  auto space = vermagic.find(' ');
  return std::string(vermagic.substr(0, space));
}

std::string flavor_from_release(std::string_view release) {
  auto dash = release.rfind('-');
  if (dash == std::string_view::npos) return std::string(release);
  return std::string(release.substr(dash + 1));
}

bool is_module_file_name(std::string_view name) {
  return name.ends_with(".ko") || name.ends_with(".ko.xz") || name.ends_with(".ko.zst") ||
         name.ends_with(".ko.gz");
}

}  // namespace kmpkit
