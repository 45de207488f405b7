#pragma once
// Small text helpers shared by the readers of outside files.
#include <cctype>
#include <string_view>

namespace kmpkit {

// `s` without leading and trailing white space (spaces, tabs, CR, LF).
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Calls f(line) for each line of `text`, without its '\n' (a last line without one counts too).
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    f(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

}  // namespace kmpkit
