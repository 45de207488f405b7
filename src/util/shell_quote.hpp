#pragma once
// Quoting a string for /bin/sh (single quotes; an embedded ' becomes '\'').
#include <string>

namespace kmpkit {

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace kmpkit
