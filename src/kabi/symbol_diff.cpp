#include "kabi/symbol_diff.hpp"

#include <map>
#include <string_view>

namespace kmpkit::kabi {

SymbolDiff diff_symvers(const std::vector<SymversEntry>& old_symvers, const std::vector<SymversEntry>& new_symvers) {
  std::map<std::string_view, const SymversEntry*> a, b;
  for (const auto& e : old_symvers) a[e.symbol] = &e;
  for (const auto& e : new_symvers) b[e.symbol] = &e;
  SymbolDiff d;
  d.old_count = a.size();
  d.new_count = b.size();
  auto ia = a.begin();
  auto ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
      d.removed.push_back(*ia->second);
      ++ia;
    } else if (ia == a.end() || ib->first < ia->first) {
      d.added.push_back(*ib->second);
      ++ib;
    } else {
      const SymversEntry& o = *ia->second;
      const SymversEntry& n = *ib->second;
      if (o.crc != n.crc) d.crc_changed.push_back({o, n});
      else {
        ++d.unchanged;
        if (o.module != n.module) d.moved.push_back({o, n});
      }
      if (o.export_type != n.export_type || o.ns != n.ns) d.type_changed.push_back({o, n});
      ++ia;
      ++ib;
    }
  }
  return d;
}

}  // namespace kmpkit::kabi
