#include "util/nearest_name.hpp"

#include <algorithm>

namespace kmpkit {

size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme: the swap looks two rows back.
  std::vector<size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], before[j - 2] + 1);
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

size_t typo_distance(std::string_view name) { return name.size() <= 3 ? 0 : name.size() <= 7 ? 1 : 2; }

std::optional<std::string> nearest_name(std::string_view name, const std::vector<std::string>& known) {
  const size_t limit = typo_distance(name);
  std::optional<std::string> best;
  size_t best_distance = limit + 1;
  for (const auto& k : known) {
    size_t gap = k.size() > name.size() ? k.size() - name.size() : name.size() - k.size();
    if (gap >= best_distance) continue;  // the distance is at least the difference in length
    size_t d = edit_distance(name, k);
    if (d == 0) return std::nullopt;
    if (d < best_distance) best = k, best_distance = d;
  }
  return best;
}

}  // namespace kmpkit
