// The offline driver index a kernel package carries (src/hardware/driver_index.cpp), as text
// (gunzipped by zlib before): parsed, then asked what drives a few devices.
#include "fuzz_input.hpp"
#include "hardware/driver_index.hpp"
#include "util/error.hpp"

using namespace kmpkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto index = hardware::parse_driver_index(fuzz::as_text(data, size), "fuzz.index");
    index.match("pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00");
    index.match("virtio:d00000001v00001AF4");
    index.find_module("e1000e");
    index.modules_of("kernel-amd64");
  } catch (const Error&) {
  }
  return 0;
}
