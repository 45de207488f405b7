// A hardware profile's modalias.tsv (src/hardware/modalias.cpp), then libzypp's and modprobe's
// matches between its lines: the first line's modalias as a %XX-encoded pattern or an alias,
// every device against it.
#include "fuzz_input.hpp"
#include "hardware/modalias.hpp"

using namespace kmpkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto devices = hardware::parse_modalias_tsv(fuzz::as_text(data, size));
  if (devices.empty()) return 0;
  const std::string& pattern = devices.front().modalias;
  for (size_t i = 0; i < devices.size() && i < 16; ++i) {
    hardware::supplement_matches(pattern, devices[i].modalias);
    hardware::alias_matches(pattern, devices[i].modalias);
    hardware::bus_of(devices[i].modalias);
  }
  return 0;
}
