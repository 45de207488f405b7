// depmod.d files as kmpkit depmod reads them (src/depmod/config.cpp: kmod's line wrapping,
// search / override / external / exclude, extended regular expressions of kernel versions).
#include "depmod/config.hpp"
#include "fuzz_input.hpp"

using namespace kmpkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  depmod::DepmodConfig cfg;
  depmod::parse_config_text(cfg, std::string(fuzz::as_text(data, size)), "fuzz.conf", "6.1.0-57-amd64");
  return 0;
}
