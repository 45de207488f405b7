#include "util/ere.hpp"

#include <regex.h>

#include <cctype>

namespace kmpkit {
namespace {

constexpr size_t kMaxLength = 1024;
constexpr int kMaxDepth = 32;
constexpr unsigned long kMaxRepetition = 1000;

}  // namespace

bool ere_within_limits(const std::string& p) {
  if (p.size() > kMaxLength) return false;
  int depth = 0;
  unsigned long repetition = 1;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      ++i;  // an escaped character is a literal
    } else if (c == '(') {
      if (++depth > kMaxDepth) return false;
    } else if (c == ')') {
      if (depth > 0) --depth;
    } else if (c == '{') {
      // {m}, {m,} or {m,n}: the larger count multiplies (counted even inside brackets: stricter).
      unsigned long m = 0, n = 0;
      size_t j = i + 1;
      while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j])) && m <= kMaxRepetition) m = m * 10 + (p[j++] - '0');
      if (j < p.size() && p[j] == ',') {
        ++j;
        while (j < p.size() && std::isdigit(static_cast<unsigned char>(p[j])) && n <= kMaxRepetition) n = n * 10 + (p[j++] - '0');
      }
      unsigned long count = m > n ? m : n;
      if (count > 1) repetition *= count;
      if (repetition > kMaxRepetition) return false;
    }
  }
  return true;
}

bool ere_search(const std::string& pattern, const std::string& text) {
  if (!ere_within_limits(pattern)) return false;
  regex_t re;
  if (regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return false;
  int status = regexec(&re, text.c_str(), 0, nullptr, 0);
  regfree(&re);
  return status == 0;
}

}  // namespace kmpkit
