#include "depgen/modalias_patterns.hpp"

#include <optional>

namespace kmpkit::depgen {

bool is_device_alias(std::string_view alias) {
  if (alias.size() < 3) return false;
  auto colon = alias.find(':', 1);
  return colon != std::string_view::npos && colon + 1 < alias.size();
}

std::string encode_modalias(std::string_view alias) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(alias.size());
  for (unsigned char c : alias) {
    bool keep = c == '*' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9');
    if (keep) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {

// Positions inside a %XX escape (the two hex digits), which must never become a class.
bool in_escape(std::string_view s, size_t pos) {
  return (pos >= 1 && s[pos - 1] == '%') || (pos >= 2 && s[pos - 2] == '%') || s[pos] == '%';
}

// The single position where a and b differ, if exactly one and mergeable.
std::optional<size_t> single_difference(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return std::nullopt;
  std::optional<size_t> diff;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    if (diff) return std::nullopt;
    diff = i;
  }
  if (!diff || a[*diff] == '*' || b[*diff] == '*' || in_escape(a, *diff) || in_escape(b, *diff))
    return std::nullopt;
  return diff;
}

}  // namespace

std::vector<std::string> merge_patterns(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < lines.size()) {
    const std::string& first = lines[i];
    std::optional<size_t> pos;
    std::string members(1, first.empty() ? '\0' : ' ');
    members.clear();
    size_t j = i + 1;
    for (; j < lines.size(); ++j) {
      auto d = single_difference(first, lines[j]);
      if (!d || (pos && *d != *pos)) break;
      if (!pos) {
        pos = d;
        members += first[*pos];
      }
      if (members.find(lines[j][*pos]) == std::string::npos) members += lines[j][*pos];
    }
    if (!pos) {
      out.push_back(first);
    } else {
      out.push_back(first.substr(0, *pos) + "[" + members + "]" + first.substr(*pos + 1));
    }
    i = j;
  }
  return out;
}

}  // namespace kmpkit::depgen
