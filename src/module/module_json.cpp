#include "module/module_json.hpp"

#include <fmt/format.h>

namespace kmpkit {

std::string crc_string(uint64_t crc) { return fmt::format("{:x}", crc); }

nlohmann::ordered_json module_to_json(const ModuleRecord& m) {
  using json = nlohmann::ordered_json;
  json j;
  j["name"] = m.name;
  j["path"] = m.path;
  j["size"] = m.size;
  j["depends"] = m.depends();
  j["aliases"] = m.aliases();
  j["softdeps"] = m.softdeps();
  j["firmware"] = m.firmware();
  j["vermagic"] = m.vermagic();
  j["license"] = m.first("license").value_or("");
  j["description"] = m.first("description").value_or("");
  j["intree"] = m.first("intree").value_or("") == "Y";
  json modinfo = json::array();
  for (const auto& f : m.modinfo) modinfo.push_back(json::array({f.key, f.value}));
  j["modinfo"] = std::move(modinfo);
  json imports = json::array();
  for (const auto& s : m.dependency_symbols)
    imports.push_back({{"symbol", s.name}, {"crc", crc_string(s.crc)}, {"weak", s.weak}});
  j["imports"] = std::move(imports);
  json versions = json::array();
  for (const auto& s : m.versions) versions.push_back({{"symbol", s.name}, {"crc", crc_string(s.crc)}});
  j["versions"] = std::move(versions);
  json exports = json::array();
  for (const auto& s : m.exports) exports.push_back({{"symbol", s.name}, {"crc", crc_string(s.crc)}});
  j["exports"] = std::move(exports);
  j["signed"] = m.is_signed;
  if (m.is_signed) {
    j["signer"] = m.signer;
    j["sig_key"] = m.sig_key;
    j["sig_hashalgo"] = m.sig_hashalgo;
  }
  return j;
}

nlohmann::ordered_json inventory_to_json(const KernelInventory& inv) {
  using json = nlohmann::ordered_json;
  json j;
  j["schema"] = 1;
  j["kver"] = inv.tree.kver;
  j["module_dir"] = inv.tree.module_dir;
  j["symvers"] = inv.tree.symvers.value_or("");
  json modules = json::array();
  for (const auto& m : inv.modules) modules.push_back(module_to_json(m));
  j["modules"] = std::move(modules);
  json errors = json::array();
  for (const auto& e : inv.errors) errors.push_back({{"file", e.file}, {"message", e.message}});
  j["errors"] = std::move(errors);
  j["builtin"] = inv.builtin;
  json vmlinux = json::array();
  for (const auto& e : inv.symvers) {
    if (e.module == "vmlinux") vmlinux.push_back({{"symbol", e.symbol}, {"crc", crc_string(e.crc)}});
  }
  j["vmlinux_exports"] = std::move(vmlinux);
  j["order"] = inv.order;
  return j;
}

}  // namespace kmpkit
