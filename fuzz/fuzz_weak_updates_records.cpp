// weak-updates' record cache (src/kabi/record_cache_format.cpp): parsed, written again, parsed
// again: what the writer makes of a parsed cache must read back the same.
#include <cstdlib>

#include "fuzz_input.hpp"
#include "kabi/record_cache_format.hpp"

using namespace kmpkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string dir = "/lib/modules/fuzz";
  auto records = kabi::parse_record_cache(fuzz::as_text(data, size), dir);
  std::string text = kabi::record_cache_header(dir);
  for (const auto& [path, cached] : records) kabi::append_record(text, cached.id, cached.record);
  auto again = kabi::parse_record_cache(text, dir);
  if (again.size() != records.size()) std::abort();
  for (const auto& [path, cached] : records) {
    auto it = again.find(path);
    if (it == again.end() || !(it->second.id == cached.id) || it->second.record.versions != cached.record.versions ||
        it->second.record.exports != cached.record.exports ||
        it->second.record.dependency_symbols != cached.record.dependency_symbols)
      std::abort();
  }
  return 0;
}
