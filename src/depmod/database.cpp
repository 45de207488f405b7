#include "depmod/database.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "depmod/index_writer.hpp"
#include "depmod/kmod_hash.hpp"
#include "depmod/timing.hpp"

namespace kmpkit::depmod {
namespace {

constexpr size_t kPathMax = 4096;  // depmod reads its lists with fgets(line, PATH_MAX)

// fgets(buf, PATH_MAX) over a whole file: chunks ending at '\n' (included) or after PATH_MAX-1
// bytes. `len` is strlen() of the chunk (it stops at a NUL).
struct Chunk {
  std::string_view text;  // up to strlen
};
std::vector<Chunk> fgets_chunks(std::string_view content) {
  std::vector<Chunk> out;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t max = std::min(content.size() - pos, kPathMax - 1);
    std::string_view window = content.substr(pos, max);
    size_t nl = window.find('\n');
    size_t take = nl == std::string_view::npos ? max : nl + 1;
    std::string_view chunk = content.substr(pos, take);
    size_t nul = chunk.find('\0');
    out.push_back({nul == std::string_view::npos ? chunk : chunk.substr(0, nul)});
    pos += take;
  }
  return out;
}

// kmod's modname_normalize over path_to_modname's basename: up to the first '.', '-' → '_'.
std::string path_to_modname(std::string_view path) {
  auto slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string out;
  for (char c : base) {
    if (c == '.' ) break;
    out.push_back(c == '-' ? '_' : c);
  }
  return out;
}

// sscanf(s, "<prefix>%u-%u", &a, &b) == 2
bool scan_major_minor(std::string_view s, std::string_view prefix, unsigned& major, unsigned& minor) {
  if (s.substr(0, prefix.size()) != prefix) return false;
  size_t i = prefix.size();
  auto scan_u = [&](unsigned& out) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    bool neg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    unsigned long v = 0;
    bool overflow = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      unsigned d = static_cast<unsigned>(s[i++] - '0');
      if (v > (~0UL - d) / 10) overflow = true;
      else v = v * 10 + d;
    }
    if (overflow) v = ~0UL;
    if (neg) v = -v;
    out = static_cast<unsigned>(v);
    return true;
  };
  if (!scan_u(major)) return false;
  if (i >= s.size() || s[i] != '-') return false;
  ++i;
  return scan_u(minor);
}

// Symbol name → owning module (position), open addressing on kmod's own hash (which also gives
// modules.symbols its order).
class SymbolTable {
 public:
  struct Entry {
    std::string_view name;
    uint32_t hash;
    uint32_t owner;
  };
  explicit SymbolTable(size_t expected) {
    size_t cap = 64;
    while (cap < expected * 2) cap <<= 1;
    slots_.assign(cap, kEmpty);
    mask_ = cap - 1;
    entries_.reserve(expected);
  }
  void assign(std::string_view name, uint32_t owner) {
    uint32_t h = superfast_hash(name);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      uint32_t s = slots_[i];
      if (s == kEmpty) {
        slots_[i] = static_cast<uint32_t>(entries_.size());
        entries_.push_back({name, h, owner});
        if (entries_.size() * 2 > slots_.size()) grow();
        return;
      }
      if (entries_[s].hash == h && entries_[s].name == name) {
        entries_[s].owner = owner;
        return;
      }
    }
  }
  const Entry* find(std::string_view name) const {
    uint32_t h = superfast_hash(name);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      uint32_t s = slots_[i];
      if (s == kEmpty) return nullptr;
      if (entries_[s].hash == h && entries_[s].name == name) return &entries_[s];
    }
  }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  void grow() {
    slots_.assign(slots_.size() * 2, kEmpty);
    mask_ = slots_.size() - 1;
    for (uint32_t k = 0; k < entries_.size(); ++k) {
      size_t i = entries_[k].hash & mask_;
      while (slots_[i] != kEmpty) i = (i + 1) & mask_;
      slots_[i] = k;
    }
  }
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
  std::vector<Entry> entries_;
};

struct Arena {
  std::string text;
  std::vector<std::pair<size_t, size_t>> spans;
  size_t add(std::string_view a, std::string_view b = {}) {
    size_t start = text.size();
    text.append(a);
    text.append(b);
    spans.emplace_back(start, text.size() - start);
    return spans.size() - 1;
  }
  std::string_view view(size_t i) const { return std::string_view(text).substr(spans[i].first, spans[i].second); }
  // normalize_alias(a) appended without a temporary; SIZE_MAX (nothing kept) on a bad bracket.
  size_t add_alias(std::string_view a) {
    size_t start = text.size();
    for (size_t i = 0; i < a.size(); ++i) {
      char c = a[i];
      if (c == '-') {
        text.push_back('_');
      } else if (c == ']') {
        text.resize(start);
        return SIZE_MAX;
      } else if (c == '[') {
        auto close = a.find(']', i);
        if (close == std::string_view::npos) {
          text.resize(start);
          return SIZE_MAX;
        }
        text.append(a.substr(i, close - i + 1));
        i = close;
      } else {
        text.push_back(c);
      }
    }
    spans.emplace_back(start, text.size() - start);
    return spans.size() - 1;
  }
};

// Strongly connected groups of the modules left in a cycle, each with one shortest cycle.
std::vector<Cycle> find_cycles(const std::vector<const ModuleData*>& mods, const std::vector<uint32_t>& order,
                               const std::vector<std::vector<uint32_t>>& deps,
                               const std::vector<uint32_t>& users_left) {
  const uint32_t n = static_cast<uint32_t>(order.size());
  // Iterative Tarjan over positions with users_left > 0.
  std::vector<int> index(n, -1), low(n, 0), comp(n, -1);
  std::vector<bool> on_stack(n, false);
  std::vector<uint32_t> stack;
  std::vector<std::vector<uint32_t>> groups;
  int counter = 0;
  struct Frame {
    uint32_t v;
    size_t next;
  };
  for (uint32_t s = 0; s < n; ++s) {
    if (users_left[s] == 0 || index[s] >= 0) continue;
    std::vector<Frame> frames{{s, 0}};
    index[s] = low[s] = counter++;
    stack.push_back(s);
    on_stack[s] = true;
    while (!frames.empty()) {
      Frame& f = frames.back();
      if (f.next < deps[f.v].size()) {
        uint32_t w = deps[f.v][f.next++];
        if (users_left[w] == 0) continue;
        if (index[w] < 0) {
          index[w] = low[w] = counter++;
          stack.push_back(w);
          on_stack[w] = true;
          frames.push_back({w, 0});
        } else if (on_stack[w]) {
          low[f.v] = std::min(low[f.v], index[w]);
        }
        continue;
      }
      uint32_t v = f.v;
      frames.pop_back();
      if (!frames.empty()) low[frames.back().v] = std::min(low[frames.back().v], low[v]);
      if (low[v] == index[v]) {
        std::vector<uint32_t> g;
        uint32_t w;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          comp[w] = static_cast<int>(groups.size());
          g.push_back(w);
        } while (w != v);
        groups.push_back(std::move(g));
      }
    }
  }
  std::vector<Cycle> cycles;
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    auto& g = groups[gi];
    uint32_t start = *std::min_element(g.begin(), g.end());
    bool self = std::find(deps[start].begin(), deps[start].end(), start) != deps[start].end();
    if (g.size() == 1 && !self) continue;
    Cycle c;
    c.group_size = g.size();
    c.first = start;
    if (self) {
      c.path = {std::string(mods[order[start]]->name), std::string(mods[order[start]]->name)};
    } else {
      // Breadth-first from start inside the group, back to start.
      std::unordered_map<uint32_t, uint32_t> parent;
      std::vector<uint32_t> queue{start};
      bool found = false;
      uint32_t last = start;
      for (size_t qi = 0; qi < queue.size() && !found; ++qi) {
        uint32_t v = queue[qi];
        for (uint32_t w : deps[v]) {
          if (comp[w] != static_cast<int>(gi)) continue;
          if (w == start) {
            last = v;
            found = true;
            break;
          }
          if (parent.emplace(w, v).second) queue.push_back(w);
        }
      }
      std::vector<uint32_t> rev{start};
      for (uint32_t v = last; v != start; v = parent[v]) rev.push_back(v);
      rev.push_back(start);
      std::reverse(rev.begin(), rev.end());
      for (uint32_t v : rev) c.path.emplace_back(mods[order[v]]->name);
    }
    cycles.push_back(std::move(c));
  }
  // Groups come out of Tarjan's algorithm in reverse topological order; report in module order.
  std::sort(cycles.begin(), cycles.end(), [](const Cycle& a, const Cycle& b) { return a.first < b.first; });
  return cycles;
}

std::string builtin_bin(const std::optional<std::string>& builtin, std::vector<std::string>& warnings) {
  if (!builtin) return {};
  std::vector<std::string> names;
  for (const auto& c : fgets_chunks(*builtin)) {
    if (c.text.empty() || !std::isalpha(static_cast<unsigned char>(c.text[0]))) {
      warnings.push_back(fmt::format("Invalid modules.builtin line: {}", c.text));
      continue;
    }
    names.push_back(path_to_modname(c.text));
  }
  IndexBuilder idx;
  for (const auto& n : names) idx.insert(n, "", 0);
  return idx.write();
}

// modules.builtin.alias.bin from modules.builtin.modinfo, as libkmod's builtin iterator reads it:
// records are NUL-terminated "module.key=value" strings grouped in runs of one module; a record
// without '.' ends the file; a module's info is the first run carrying its name.
std::string builtin_alias_bin(const std::optional<std::string>& modinfo, std::vector<std::string>& warnings) {
  if (!modinfo) return {};
  struct Run {
    std::string_view raw_name;
    std::vector<std::string_view> strings;  // after "module."
  };
  std::vector<Run> runs;
  std::string_view rest = *modinfo;
  bool failed = false;
  while (!rest.empty()) {
    auto nul = rest.find('\0');
    std::string_view rec = rest.substr(0, nul);
    rest.remove_prefix(nul == std::string_view::npos ? rest.size() : nul + 1);
    auto dot = rec.find('.');
    if (dot == std::string_view::npos) {
      // libkmod stops at a record without '.': the open run is kept; as the very first record
      // it cannot name a module and the whole list fails (depmod writes no index then).
      failed = runs.empty();
      break;
    }
    std::string_view name = rec.substr(0, dot);
    if (runs.empty() || runs.back().raw_name != name) runs.push_back({name, {}});
    runs.back().strings.push_back(rec.substr(dot + 1));
  }
  if (failed) return {};
  IndexBuilder idx;
  std::vector<std::string> storage_names;
  std::vector<std::string> storage_aliases;
  storage_names.reserve(runs.size());
  std::vector<std::tuple<size_t, size_t>> inserts;  // (alias index, name index)
  size_t count = 0;
  for (const auto& run : runs) {
    std::string name = path_to_modname(run.raw_name);
    storage_names.push_back(name);
    const Run* info = nullptr;
    for (const auto& r : runs)
      if (r.raw_name == name) {
        info = &r;
        break;
      }
    if (info) {
      for (auto s : info->strings) {
        auto eq = s.find('=');
        if (eq == std::string_view::npos) continue;
        if (s.substr(0, eq) != "alias") continue;
        auto norm = normalize_alias(s.substr(eq + 1));
        if (!norm) {
          warnings.push_back(fmt::format("Unmatched bracket in {}", s.substr(eq + 1)));
          continue;
        }
        storage_aliases.push_back(std::move(*norm));
        inserts.emplace_back(storage_aliases.size() - 1, storage_names.size() - 1);
      }
    }
    ++count;
  }
  if (count == 0) return {};
  for (auto [a, n] : inserts) idx.insert(storage_aliases[a], storage_names[n], 0);
  return idx.write();
}

}  // namespace

std::optional<std::string> normalize_alias(std::string_view alias) {
  std::string out;
  out.reserve(alias.size());
  for (size_t i = 0; i < alias.size(); ++i) {
    char c = alias[i];
    if (c == '-') {
      out.push_back('_');
    } else if (c == ']') {
      return std::nullopt;
    } else if (c == '[') {
      auto close = alias.find(']', i);
      if (close == std::string_view::npos) return std::nullopt;
      out.append(alias.substr(i, close - i + 1));
      i = close;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

BuildResult build_database(const std::vector<ModuleData>& modules, const KernelLists& lists,
                           const BuildOptions& options) {
  std::vector<const ModuleData*> ptrs;
  ptrs.reserve(modules.size());
  for (const auto& m : modules) ptrs.push_back(&m);
  return build_database(ptrs, lists, options);
}

namespace {

// The modules in depmod's order: the name hash table (512 buckets), then modules.order.
struct Ordered {
  const std::vector<const ModuleData*>& mods;
  std::vector<uint32_t> order;
  const ModuleData& operator()(uint32_t pos) const { return *mods[order[pos]]; }
  uint32_t size() const { return static_cast<uint32_t>(order.size()); }
};

std::vector<uint32_t> module_order(const std::vector<const ModuleData*>& mods, const KernelLists& lists) {
  const uint32_t n = static_cast<uint32_t>(mods.size());
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  {
    std::vector<HashOrderKey> keys(n);
    for (uint32_t i = 0; i < n; ++i) keys[i] = hash_order_key(mods[i]->name, 512);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
  }
  if (lists.order) {
    auto chunks = fgets_chunks(*lists.order);
    bool corrupted = false;
    for (const auto& c : chunks)
      if (!c.text.empty() && c.text.back() != '\n') {
        corrupted = true;
        break;
      }
    if (!corrupted) {
      // modules.order names uncompressed paths: the module's path cut after its name + ".ko".
      std::unordered_map<std::string_view, uint32_t> by_path;
      by_path.reserve(n * 2);
      for (uint32_t i = 0; i < n; ++i) {
        if (mods[i]->external) continue;
        std::string_view p = mods[i]->path;
        auto slash = p.rfind('/');
        size_t start = slash == std::string_view::npos ? 0 : slash + 1;
        by_path.emplace(p.substr(0, std::min(p.size(), start + mods[i]->name.size() + 3)), i);
      }
      std::vector<int64_t> key(n, 1);
      const int64_t total = static_cast<int64_t>(chunks.size()) + 1;
      int64_t idx = 0;
      for (const auto& c : chunks) {
        ++idx;
        if (c.text.empty()) continue;
        auto it = by_path.find(c.text.substr(0, c.text.size() - 1));
        if (it != by_path.end()) key[it->second] = idx - total;
      }
      std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return key[a] < key[b]; });
    }
  }
  return order;
}

// modules.alias and modules.alias.bin
void write_aliases(const Ordered& M, std::array<std::string, kDatabaseFileCount>& files, std::vector<std::string>& warnings) {
  const auto& mods = M.mods;
  const uint32_t n = M.size();
    std::string& text = files[kAlias];
    text = "# Aliases extracted from modules themselves.\n";
    Arena keys;
    size_t alias_bytes = 0, alias_count = 0;
    for (const auto* m : mods) {
      alias_count += m->aliases.size();
      for (auto a : m->aliases) alias_bytes += a.size();
    }
    keys.text.reserve(alias_bytes);
    keys.spans.reserve(alias_count);
    text.reserve(text.size() + alias_bytes + alias_count * 40);
    std::vector<std::pair<size_t, uint32_t>> inserts;
    inserts.reserve(alias_count);
    for (uint32_t p = 0; p < n; ++p) {
      for (auto a : M(p).aliases) {
        text.append("alias ");
        text.append(a);
        text.push_back(' ');
        text.append(M(p).name);
        text.push_back('\n');
        size_t k = keys.add_alias(a);
        if (k == SIZE_MAX) {
          warnings.push_back(fmt::format("Unmatched bracket in {}", a));
          continue;
        }
        inserts.emplace_back(k, p);
      }
    }
    IndexBuilder idx;
    idx.reserve(inserts.size());
    for (auto [k, p] : inserts) idx.insert(keys.view(k), M(p).name, p);
    files[kAliasBin] = idx.write();
}

// modules.softdep
void write_softdeps(const Ordered& M, std::array<std::string, kDatabaseFileCount>& files) {
  const uint32_t n = M.size();
    std::string& text = files[kSoftdep];
    text = "# Soft dependencies extracted from modules themselves.\n";
    for (uint32_t p = 0; p < n; ++p)
      for (auto s : M(p).softdeps) {
        text.append("softdep ");
        text.append(M(p).name);
        text.push_back(' ');
        text.append(s);
        text.push_back('\n');
      }
}

// modules.devname
void write_devnames(const Ordered& M, std::array<std::string, kDatabaseFileCount>& files, std::vector<std::string>& warnings) {
  const uint32_t n = M.size();
    std::string& text = files[kDevname];
    for (uint32_t p = 0; p < n; ++p) {
      std::string_view devname;
      bool have_devname = false;
      char type = 0;
      unsigned major = 0, minor = 0;
      for (auto a : M(p).aliases) {
        unsigned maj, min;
        if (a.substr(0, 8) == "devname:") {
          devname = a.substr(8);
          have_devname = true;
        } else if (scan_major_minor(a, "char-major-", maj, min)) {
          type = 'c';
          major = maj;
          minor = min;
        } else if (scan_major_minor(a, "block-major-", maj, min)) {
          type = 'b';
          major = maj;
          minor = min;
        }
        if (type && have_devname) break;
      }
      if (!have_devname) continue;
      if (!type) {
        warnings.push_back(fmt::format(
            "Module '{}' has devname ({}) but lacks major and minor information. Ignoring.", M(p).name, devname));
        continue;
      }
      if (text.empty()) text = "# Device nodes to trigger on-demand module loading.\n";
      text.append(fmt::format("{} {} {}{}:{}\n", M(p).name, devname, type, major, minor));
    }
}

// Each module's dependencies: each
// owner once, in symbol order.
struct Resolved {
  std::vector<std::vector<uint32_t>> deps;
  std::vector<uint32_t> users;
};

std::string_view strip_symbol_prefix(std::string_view s, const BuildOptions& options) {
  if (options.symbol_prefix && !s.empty() && s[0] == options.symbol_prefix) s.remove_prefix(1);
  return s;
}

// Who exports each symbol: a later exporter (in module order) takes it over.
SymbolTable symbol_owners(const Ordered& M, const BuildOptions& options) {
  const uint32_t n = M.size();
  size_t n_exports = 0;
  for (const auto* m : M.mods) n_exports += m->exports.size();
  SymbolTable owner(n_exports);
  for (uint32_t p = 0; p < n; ++p)
    for (auto e : M(p).exports) owner.assign(strip_symbol_prefix(e, options), p);
  return owner;
}

Resolved resolve_dependencies(const Ordered& M, const SymbolTable& owner, const BuildOptions& options) {
  const uint32_t n = M.size();
  auto strip_prefix = [&](std::string_view s) { return strip_symbol_prefix(s, options); };
  Resolved r{std::vector<std::vector<uint32_t>>(n), std::vector<uint32_t>(n, 0)};
  auto& deps = r.deps;
  auto& users = r.users;
  for (uint32_t p = 0; p < n; ++p) {
    for (auto s : M(p).dependency_symbols) {
      if (!s.empty() && s[0] == '.') s.remove_prefix(1);
      s = strip_prefix(s);
      const auto* sym = owner.find(s);
      if (!sym) continue;
      uint32_t q = sym->owner;
      auto& d = deps[p];
      if (std::find(d.begin(), d.end(), q) != d.end()) continue;
      d.push_back(q);
      ++users[q];
    }
  }

  return r;
}

// Kahn's algorithm with a stack, modules without users first: each module's sort index, or
// nullopt on a cycle (`left` then holds the unsorted users).
std::optional<std::vector<uint32_t>> sort_topologically(const Resolved& r, std::vector<uint32_t>& left) {
  const uint32_t n = static_cast<uint32_t>(r.deps.size());
  const auto& deps = r.deps;
  const auto& users = r.users;
  std::vector<uint32_t> sort_idx(n, UINT32_MAX), stack;
  left = users;
  stack.reserve(n);
  for (uint32_t p = 0; p < n; ++p)
    if (users[p] == 0) stack.push_back(p);
  uint32_t sorted = 0;
  while (!stack.empty()) {
    uint32_t p = stack.back();
    stack.pop_back();
    sort_idx[p] = sorted++;
    for (uint32_t q : deps[p])
      if (--left[q] == 0) stack.push_back(q);
  }
  if (sorted < n) return std::nullopt;
  return sort_idx;

}

// modules.dep and modules.dep.bin: each module's closure in sort order.
void write_deps(const Ordered& M, const Resolved& r, const std::vector<uint32_t>& sort_idx,
                std::array<std::string, kDatabaseFileCount>& files) {
  const auto& mods = M.mods;
  const uint32_t n = M.size();
  const auto& deps = r.deps;
  std::string& dep = files[kDep];
  size_t estimate = 0;
  for (const auto* m : mods) estimate += m->path.size() * 3 + 4;
  dep.reserve(estimate);
  std::vector<std::pair<size_t, size_t>> lines(n);
  std::vector<uint32_t> stamp(n, UINT32_MAX), closure, todo;
  for (uint32_t p = 0; p < n; ++p) {
    size_t start = dep.size();
    dep.append(M(p).path);
    dep.push_back(':');
    if (!deps[p].empty()) {
      closure.clear();
      todo.assign(deps[p].rbegin(), deps[p].rend());
      while (!todo.empty()) {
        uint32_t q = todo.back();
        todo.pop_back();
        if (stamp[q] == p) continue;
        stamp[q] = p;
        closure.push_back(q);
        for (auto it = deps[q].rbegin(); it != deps[q].rend(); ++it)
          if (stamp[*it] != p) todo.push_back(*it);
      }
      std::sort(closure.begin(), closure.end(), [&](uint32_t a, uint32_t b) { return sort_idx[a] < sort_idx[b]; });
      for (uint32_t q : closure) {
        dep.push_back(' ');
        dep.append(M(q).path);
      }
    }
    lines[p] = {start, dep.size() - start};
    dep.push_back('\n');
  }
  IndexBuilder idx;
  idx.reserve(n);
  std::string_view all = dep;
  for (uint32_t p = 0; p < n; ++p) idx.insert(M(p).name, all.substr(lines[p].first, lines[p].second), p);
  files[kDepBin] = idx.write();
}

// modules.symbols and modules.symbols.bin: the symbol table (2048 buckets) in hash order.
void write_symbols(const Ordered& M, const SymbolTable& owner, std::array<std::string, kDatabaseFileCount>& files) {
  std::vector<std::pair<HashOrderKey, uint32_t>> syms;
  syms.reserve(owner.entries().size());
  for (const auto& e : owner.entries()) syms.push_back({{e.hash & 2047u, e.name}, e.owner});
  std::sort(syms.begin(), syms.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string& text = files[kSymbols];
  text = "# Aliases for symbols, used by symbol_request().\n";
  Arena keys;
  keys.text.reserve(owner.entries().size() * 40);
  IndexBuilder idx;
  idx.reserve(syms.size());
  for (const auto& [k, p] : syms) {
    text.append("alias symbol:");
    text.append(k.name);
    text.push_back(' ');
    text.append(M(p).name);
    text.push_back('\n');
    keys.add("symbol:", k.name);
  }
  for (size_t i = 0; i < syms.size(); ++i) idx.insert(keys.view(i), M(syms[i].second).name, syms[i].second);
  files[kSymbolsBin] = idx.write();
}

struct Joiner {
  std::thread& t;
  ~Joiner() {
    if (t.joinable()) t.join();
  }
};

}  // namespace

BuildResult build_database(const std::vector<const ModuleData*>& mods, const KernelLists& lists,
                           const BuildOptions& options) {
  BuildResult result;
  PhaseTimer phase(result.phases);
  Ordered M{mods, module_order(mods, lists)};
  phase("b:order");
  // The files that need only the module order are made on a second thread while the symbols and
  // dependencies are resolved.
  std::array<std::string, kDatabaseFileCount> files;
  std::vector<std::string> side_warnings;
  std::thread side([&] {
    write_aliases(M, files, side_warnings);
    write_softdeps(M, files);
    files[kBuiltinBin] = builtin_bin(lists.builtin, side_warnings);
    files[kBuiltinAliasBin] = builtin_alias_bin(lists.builtin_modinfo, side_warnings);
    write_devnames(M, files, side_warnings);
  });
  Joiner joiner{side};
  // The symbol owners, then modules.symbols(.bin) from them on a third thread while the
  // dependencies are resolved and modules.dep(.bin) written (two cores: the three threads of work
  // even out).
  SymbolTable owners = symbol_owners(M, options);
  phase("b:owners");
  std::thread symbols([&] { write_symbols(M, owners, files); });
  Joiner symbols_joiner{symbols};
  Resolved resolved = resolve_dependencies(M, owners, options);
  phase("b:deps");
  std::vector<uint32_t> left;
  auto sort_idx = sort_topologically(resolved, left);
  if (!sort_idx) {
    result.cycles = find_cycles(mods, M.order, resolved.deps, left);
    return result;
  }
  write_deps(M, resolved, *sort_idx, files);
  phase("b:dep");
  symbols.join();
  phase("b:symbols");
  side.join();
  phase("b:join");
  for (auto& w : side_warnings) result.warnings.push_back(std::move(w));
  result.files = std::move(files);
  return result;
}

}  // namespace kmpkit::depmod
