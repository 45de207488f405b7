#include "firmware/debian_copyright.hpp"

#include "util/text.hpp"

namespace kmpkit::firmware {
namespace {

// DEP-5 globbing: '*' any run of characters ('/' included), '?' one, '\' escapes the next one.
bool dep5_match(std::string_view pattern, std::string_view path) {
  size_t p = 0, s = 0, star_p = std::string_view::npos, star_s = 0;
  while (s < path.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = ++p;
      star_s = s;
      continue;
    }
    if (p < pattern.size()) {
      char c = pattern[p];
      size_t width = 1;
      if (c == '\\' && p + 1 < pattern.size()) {
        c = pattern[p + 1];
        width = 2;
      } else if (c == '?') {
        ++p;
        ++s;
        continue;
      }
      if (c == path[s]) {
        p += width;
        ++s;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    s = ++star_s;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

void split_words(std::string_view text, std::vector<std::string>& out) {
  while (!text.empty()) {
    auto start = text.find_first_not_of(" \t\r");
    if (start == std::string_view::npos) return;
    text.remove_prefix(start);
    auto end = text.find_first_of(" \t\r");
    out.emplace_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  }
}

}  // namespace

DebianCopyright parse_debian_copyright(std::string_view text) {
  DebianCopyright c;
  CopyrightParagraph current;
  bool has_files = false;
  std::string field;  // the field continuation lines belong to
  auto finish = [&] {
    if (has_files && !current.patterns.empty()) c.paragraphs.push_back(std::move(current));
    current = {};
    has_files = false;
    field.clear();
  };
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (trim(line).empty()) {
      finish();
      continue;
    }
    if (line.front() == '#') continue;
    if (line.front() == ' ' || line.front() == '\t') {  // continuation of the field above
      if (field == "Files") split_words(line, current.patterns);
      continue;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    field = std::string(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (field == "Format") c.machine_readable = true;
    else if (field == "Files") {
      has_files = true;
      split_words(value, current.patterns);
    } else if (field == "License") {
      current.licence = std::string(value);
    }
  }
  finish();
  return c;
}

std::optional<std::string> licence_of(const DebianCopyright& copyright, std::string_view path) {
  if (!copyright.machine_readable) return std::nullopt;
  for (auto it = copyright.paragraphs.rbegin(); it != copyright.paragraphs.rend(); ++it)
    for (const auto& p : it->patterns)
      if (dep5_match(p, path)) {
        if (it->licence.empty()) return std::nullopt;
        return it->licence;
      }
  return std::nullopt;
}

}  // namespace kmpkit::firmware
