#pragma once
// The KABI id of a KMP (the "kabi" naming scheme, docs/kabi.md): a short hash of the binary
// interface its modules use and offer. Two builds with the same id are interchangeable for the
// kernel and every other module: same symbols imported from outside the package with the same
// CRCs (module_layout and the struct layouts behind every symbol), same exports with the same
// CRCs, same vermagic flags. The kernel release is deliberately not part of it: a kernel update
// that keeps all of these keeps the id, so the KMP built for the old kernel still serves.
#include <string>
#include <vector>

#include "module/inventory.hpp"

namespace kmpkit::kabi {

// The lines hashed, sorted: "vermagic SMP preempt ...", "import SYM CRC", "export SYM CRC".
std::vector<std::string> kabi_signature(const std::vector<size_t>& modules, const KernelInventory& inventory);

// 8 hex digits of FNV-1a 64 over the signature (stable across builds, hosts and versions).
std::string kabi_id(const std::vector<size_t>& modules, const KernelInventory& inventory);

}  // namespace kmpkit::kabi
