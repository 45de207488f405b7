#pragma once
// Helpers shared by the fuzz targets: the input as text, and split into parts.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace kmpkit::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input cut at NUL bytes into at most `n` parts (the last one keeps any further NULs); missing
// parts are empty. Lets one input carry a pattern and a subject, say.
inline std::vector<std::string_view> nul_parts(std::string_view in, size_t n) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < n) {
    auto nul = in.find('\0');
    if (nul == std::string_view::npos) break;
    out.push_back(in.substr(0, nul));
    in.remove_prefix(nul + 1);
  }
  out.push_back(in);
  out.resize(n);
  return out;
}

}  // namespace kmpkit::fuzz
