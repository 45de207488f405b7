#include "policy/glob.hpp"

#include <fnmatch.h>

#include <string>

namespace kmpkit::policy {
namespace {

// Matches a class at p[0] == '['; sets `len` to the class length. Returns nullopt-like -1 when the
// class is malformed (then '[' is matched literally).
int match_class(std::string_view p, char c, size_t& len) {
  size_t i = 1;
  bool negate = false;
  if (i < p.size() && (p[i] == '!' || p[i] == '^')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  while (i < p.size() && (first || p[i] != ']')) {
    first = false;
    char lo = p[i];
    if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
      char hi = p[i + 2];
      if (lo <= c && c <= hi) matched = true;
      i += 3;
    } else {
      if (lo == c) matched = true;
      ++i;
    }
  }
  if (i >= p.size()) return -1;
  len = i + 1;
  return matched != negate ? 1 : 0;
}

bool match_path(std::string_view p, std::string_view s) {
  while (!p.empty()) {
    if (p.substr(0, 2) == "**") {
      std::string_view rest = p.substr(2);
      // "**/" may also match nothing (a/**/b matches a/b).
      if (!rest.empty() && rest[0] == '/' && match_path(rest.substr(1), s)) return true;
      for (size_t i = 0; i <= s.size(); ++i)
        if (match_path(rest, s.substr(i))) return true;
      return false;
    }
    char pc = p[0];
    if (pc == '*') {
      std::string_view rest = p.substr(1);
      for (size_t i = 0; i <= s.size(); ++i) {
        if (match_path(rest, s.substr(i))) return true;
        if (i < s.size() && s[i] == '/') break;
      }
      return false;
    }
    if (s.empty()) return false;
    if (pc == '?') {
      if (s[0] == '/') return false;
      p.remove_prefix(1);
      s.remove_prefix(1);
      continue;
    }
    if (pc == '[') {
      size_t len = 0;
      int r = s[0] == '/' ? 0 : match_class(p, s[0], len);
      if (r == 0) return false;
      if (r == 1) {
        p.remove_prefix(len);
        s.remove_prefix(1);
        continue;
      }
      // malformed class: literal '['
    }
    if (pc == '\\' && p.size() > 1) {
      p.remove_prefix(1);
      pc = p[0];
    }
    if (pc != s[0]) return false;
    p.remove_prefix(1);
    s.remove_prefix(1);
  }
  return s.empty();
}

}  // namespace

std::string_view strip_compression(std::string_view path) {
  for (std::string_view ext : {".xz", ".zst", ".gz"}) {
    if (path.size() > ext.size() && path.substr(path.size() - ext.size()) == ext)
      return path.substr(0, path.size() - ext.size());
  }
  return path;
}

bool path_glob_match(std::string_view pattern, std::string_view path) {
  if (match_path(pattern, path)) return true;
  auto stripped = strip_compression(path);
  return stripped.size() != path.size() && match_path(pattern, stripped);
}

bool name_glob_match(std::string_view pattern, std::string_view module_name) {
  std::string p(pattern);
  for (auto& c : p)
    if (c == '-') c = '_';
  std::string n(module_name);
  return ::fnmatch(p.c_str(), n.c_str(), 0) == 0;
}

bool has_glob_chars(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

}  // namespace kmpkit::policy
