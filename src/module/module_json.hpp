#pragma once
// JSON form of module records (schema: docs/scan-json.md).
#include <nlohmann/json.hpp>

#include "module/inventory.hpp"

namespace kmpkit {

std::string crc_string(uint64_t crc);  // lower-case hex, no 0x
nlohmann::ordered_json module_to_json(const ModuleRecord& m);
nlohmann::ordered_json inventory_to_json(const KernelInventory& inv);

}  // namespace kmpkit
