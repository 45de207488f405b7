#include "kabi/kabi_id.hpp"

#include <algorithm>
#include <cstdint>
#include <set>

#include <fmt/format.h>

#include "kabi/vermagic.hpp"

namespace kmpkit::kabi {

std::vector<std::string> kabi_signature(const std::vector<size_t>& modules, const KernelInventory& inv) {
  std::set<std::string> own_exports;
  for (size_t i : modules)
    for (const auto& e : inv.modules[i].exports) own_exports.insert(e.name);
  std::set<std::string> lines;
  for (size_t i : modules) {
    const auto& m = inv.modules[i];
    lines.insert("vermagic " + kabi::vermagic_flags_text(m.vermagic()));
    // What the package takes from outside: its __versions entries (what the kernel checks at
    // load time), or the dependency symbols of a module built without modversions.
    const auto& imports = m.versions.empty() ? m.dependency_symbols : m.versions;
    for (const auto& s : imports)
      if (!own_exports.count(s.name)) lines.insert(fmt::format("import {} {:08x}", s.name, s.crc));
    for (const auto& e : m.exports) lines.insert(fmt::format("export {} {:08x}", e.name, e.crc));
  }
  return {lines.begin(), lines.end()};
}

std::string kabi_id(const std::vector<size_t>& modules, const KernelInventory& inv) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (const auto& line : kabi_signature(modules, inv)) {
    for (unsigned char c : line) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
    h ^= '\n';
    h *= 0x100000001b3ull;
  }
  return fmt::format("{:08x}", static_cast<uint32_t>(h ^ (h >> 32)));
}

}  // namespace kmpkit::kabi
