#include "policy/glob.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <bitset>
#include <string>
#include <utility>
#include <vector>

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

// A path glob compiled to a sequence of steps, matched by following every possible position in
// the pattern at once (a set of states, one pass over the path): time |pattern| x |path| whatever
// the pattern. Backtracking over '*' and '**' took exponential time: a policy with
// "**a**a**a**a**b" made `kmpkit split` hang (found writing fuzz/fuzz_policy_glob.cpp).
struct Step {
  enum Kind { literal, one, klass, star, double_star };
  explicit Step(Kind k, char ch = 0) : kind(k), c(ch) {}
  Kind kind;
  char c = 0;                    // literal
  std::bitset<256> members;      // klass: the characters it matches ('/' never)
  bool may_skip_slash = false;   // double_star followed by '/': "a/**/b" also matches "a/b"
};

std::vector<Step> compile_path_glob(std::string_view p) {
  std::vector<Step> steps;
  while (!p.empty()) {
    if (p.substr(0, 2) == "**") {
      Step st(Step::double_star);
      st.may_skip_slash = p.size() > 2 && p[2] == '/';
      steps.push_back(st);
      p.remove_prefix(2);
      continue;
    }
    char pc = p[0];
    if (pc == '*' || pc == '?') {
      steps.push_back(Step(pc == '*' ? Step::star : Step::one));
      p.remove_prefix(1);
      continue;
    }
    if (pc == '[') {
      Step st(Step::klass);
      size_t len = 0;
      bool well_formed = true;
      for (int c = 0; c < 256 && well_formed; ++c) {
        int r = match_class(p, static_cast<char>(c), len);
        if (r < 0) well_formed = false;
        else st.members[c] = r == 1 && c != '/';
      }
      if (well_formed) {
        steps.push_back(st);
        p.remove_prefix(len);
        continue;
      }
      // malformed class: literal '['
    }
    if (pc == '\\' && p.size() > 1) {
      p.remove_prefix(1);
      pc = p[0];
    }
    steps.push_back(Step(Step::literal, pc));
    p.remove_prefix(1);
  }
  return steps;
}

// Adds state `start` and every state reachable from it without reading a character (a star
// matching nothing). "**/" may match nothing only where "**" is entered (`fresh`), not after it
// read characters. `todo` is scratch space (no recursion: any pattern).
void add_state(const std::vector<Step>& steps, std::vector<char>& states, size_t start, bool fresh,
               std::vector<std::pair<size_t, bool>>& todo) {
  todo.assign(1, {start, fresh});
  while (!todo.empty()) {
    auto [i, entered] = todo.back();
    todo.pop_back();
    if (i > steps.size()) continue;
    if (i < steps.size() && entered && steps[i].kind == Step::double_star && steps[i].may_skip_slash)
      todo.push_back({i + 2, true});
    if (states[i]) continue;
    states[i] = 1;
    if (i == steps.size()) continue;
    if (steps[i].kind == Step::star || steps[i].kind == Step::double_star) todo.push_back({i + 1, true});
  }
}

bool match_path(std::string_view p, std::string_view s) {
  const std::vector<Step> steps = compile_path_glob(p);
  std::vector<char> states(steps.size() + 1, 0), next(steps.size() + 1, 0);
  std::vector<std::pair<size_t, bool>> todo;
  add_state(steps, states, 0, true, todo);
  for (char c : s) {
    std::fill(next.begin(), next.end(), 0);
    bool any = false;
    for (size_t i = 0; i < steps.size(); ++i) {
      if (!states[i]) continue;
      const Step& st = steps[i];
      switch (st.kind) {
        case Step::literal: if (c == st.c) add_state(steps, next, i + 1, true, todo); break;
        case Step::one: if (c != '/') add_state(steps, next, i + 1, true, todo); break;
        case Step::klass: if (st.members[static_cast<unsigned char>(c)]) add_state(steps, next, i + 1, true, todo); break;
        case Step::star: if (c != '/') add_state(steps, next, i, false, todo); break;
        case Step::double_star: add_state(steps, next, i, false, todo); break;
      }
    }
    states.swap(next);
    for (char st : states) any = any || st;
    if (!any) return false;
  }
  return states[steps.size()];
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
