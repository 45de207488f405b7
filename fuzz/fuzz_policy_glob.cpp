// The policy's path and name globs (src/policy/glob.cpp) on their own: PATTERN NUL PATH.
#include "fuzz_input.hpp"
#include "policy/glob.hpp"

using namespace kmpkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parts = fuzz::nul_parts(fuzz::as_text(data, size), 2);
  policy::path_glob_match(parts[0], parts[1]);
  policy::name_glob_match(parts[0], parts[1]);
  return 0;
}
