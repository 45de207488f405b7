// The kernel build's own lists (src/module/kernel_files.cpp): Module.symvers and
// modules.builtin.modinfo; then the depmod database built from a fixed module with the input as
// modules.order, modules.builtin and modules.builtin.modinfo (src/depmod/database.cpp).
#include "depmod/database.hpp"
#include "fuzz_input.hpp"
#include "module/kernel_files.hpp"

using namespace kmpkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::as_text(data, size);
  parse_symvers(in);
  parse_builtin_modinfo(in);
  auto parts = fuzz::nul_parts(in, 3);
  depmod::ModuleData m;
  m.name = "e1000e";
  m.path = "kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko";
  m.aliases = {"pci:v00008086d000010D3sv*sd*bc*sc*i*"};
  m.exports = {"e1000e_get_hw_control"};
  m.dependency_symbols = {"ptp_clock_register"};
  depmod::KernelLists lists{std::string(parts[0]), std::string(parts[1]), std::string(in)};
  depmod::build_database(std::vector<depmod::ModuleData>{m}, lists);
  return 0;
}
