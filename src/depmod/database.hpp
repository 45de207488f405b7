#pragma once
// The module database (modules.dep, .alias, .symbols, ... and their .bin indexes) as depmod 30
// computes it: a pure function of what each module says and of modules.order / modules.builtin /
// modules.builtin.modinfo. Rules: docs/depmod-v30-rules.md, docs/depmod.md.
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::depmod {

// A list of strings, either a vector of views or packed: `count` records of a u32 little-endian
// length and that many bytes, as the cache stores them (a cached module's lists are read in
// place, with no allocation). Forward iteration only.
class StrList {
 public:
  StrList() = default;
  StrList(std::vector<std::string_view> v) : vec_(std::move(v)) {}  // NOLINT: implicit on purpose
  StrList& operator=(std::vector<std::string_view> v) {
    vec_ = std::move(v);
    packed_ = {};
    count_ = 0;
    return *this;
  }
  // `blob` must hold exactly `count` well-formed records (the cache checks them when it loads).
  static StrList packed(std::string_view blob, uint32_t count) {
    StrList l;
    l.packed_ = blob;
    l.count_ = count;
    return l;
  }
  void push_back(std::string_view s) { vec_.push_back(s); }
  void reserve(size_t n) { vec_.reserve(n); }
  size_t size() const { return packed_.data() ? count_ : vec_.size(); }
  bool empty() const { return size() == 0; }

  class iterator {
   public:
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using reference = std::string_view;
    using iterator_category = std::forward_iterator_tag;
    iterator() = default;
    iterator(const char* p, const std::string_view* v) : p_(p), v_(v) {}
    std::string_view operator*() const { return v_ ? *v_ : std::string_view(p_ + 4, len()); }
    iterator& operator++() {
      if (v_) ++v_;
      else p_ += 4 + len();
      return *this;
    }
    iterator operator++(int) {
      iterator t = *this;
      ++*this;
      return t;
    }
    bool operator==(const iterator& o) const { return p_ == o.p_ && v_ == o.v_; }

   private:
    size_t len() const {
      const auto* b = reinterpret_cast<const unsigned char*>(p_);
      return static_cast<size_t>(b[0]) | static_cast<size_t>(b[1]) << 8 | static_cast<size_t>(b[2]) << 16 |
             static_cast<size_t>(b[3]) << 24;
    }
    const char* p_ = nullptr;
    const std::string_view* v_ = nullptr;
  };
  iterator begin() const {
    return packed_.data() ? iterator(packed_.data(), nullptr) : iterator(nullptr, vec_.data());
  }
  iterator end() const {
    return packed_.data() ? iterator(packed_.data() + packed_.size(), nullptr)
                          : iterator(nullptr, vec_.data() + vec_.size());
  }

 private:
  std::vector<std::string_view> vec_;
  std::string_view packed_;
  uint32_t count_ = 0;
};

// What depmod needs from one module file. Views point into storage the caller keeps alive.
struct ModuleData {
  std::string_view name;
  std::string_view path;     // relative to lib/modules/KVER, or absolute for an external module
  bool external = false;     // outside lib/modules/KVER (path is absolute, not in modules.order)
  StrList aliases;             // modinfo "alias" values in order
  StrList softdeps;            // modinfo "softdep" values in order
  StrList exports;             // exported symbol names
  StrList dependency_symbols;  // undefined symbols (weak included), in order
};

// The kernel's own lists, as file contents (nullopt: the file does not exist).
struct KernelLists {
  std::optional<std::string> order;            // modules.order
  std::optional<std::string> builtin;          // modules.builtin
  std::optional<std::string> builtin_modinfo;  // modules.builtin.modinfo
};

inline constexpr size_t kDatabaseFileCount = 10;
// The outputs, named as in kmod's depmod table (depmod_files[]), in the order depmod writes (and
// kmpkit renames) them; the text ones are what depmod -n prints.
enum DatabaseOutput : size_t {
  kDep, kDepBin, kAlias, kAliasBin, kSoftdep, kSymbols, kSymbolsBin, kBuiltinBin, kBuiltinAliasBin, kDevname,
};
struct DatabaseOutputInfo {
  const char* name;
  bool text;
};
inline constexpr std::array<DatabaseOutputInfo, kDatabaseFileCount> kDatabaseOutputs = {{
    {"modules.dep", true},         {"modules.dep.bin", false},     {"modules.alias", true},
    {"modules.alias.bin", false},  {"modules.softdep", true},      {"modules.symbols", true},
    {"modules.symbols.bin", false}, {"modules.builtin.bin", false}, {"modules.builtin.alias.bin", false},
    {"modules.devname", true},
}};
inline constexpr std::array<const char*, kDatabaseFileCount> kDatabaseFiles = {
    kDatabaseOutputs[0].name, kDatabaseOutputs[1].name, kDatabaseOutputs[2].name, kDatabaseOutputs[3].name,
    kDatabaseOutputs[4].name, kDatabaseOutputs[5].name, kDatabaseOutputs[6].name, kDatabaseOutputs[7].name,
    kDatabaseOutputs[8].name, kDatabaseOutputs[9].name};

struct Cycle {
  std::vector<std::string> path;  // module names: a, b, ..., a (a shortest cycle through `a`)
  size_t group_size = 0;          // modules in the strongly connected group holding it
  size_t first = 0;               // position of `a` in depmod's module order
};

struct BuildResult {
  std::optional<std::array<std::string, kDatabaseFileCount>> files;  // nullopt on a cycle
  std::vector<Cycle> cycles;          // one per strongly connected group, in module order
  std::vector<std::string> warnings;  // what depmod would print (bad lines, devname w/o numbers)
  std::vector<std::pair<std::string, double>> phases;  // milliseconds per step (profiling)
};

struct BuildOptions {
  char symbol_prefix = 0;  // depmod -P
};

BuildResult build_database(const std::vector<const ModuleData*>& modules, const KernelLists& lists,
                           const BuildOptions& options = {});
// The same over values.
BuildResult build_database(const std::vector<ModuleData>& modules, const KernelLists& lists,
                           const BuildOptions& options = {});

// modinfo alias → key of modules.alias.bin: '-' → '_' outside [...]; nullopt on an unmatched
// bracket (depmod skips such an alias).
std::optional<std::string> normalize_alias(std::string_view alias);

}  // namespace kmpkit::depmod
