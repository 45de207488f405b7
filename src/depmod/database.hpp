#pragma once
// The module database (modules.dep, .alias, .symbols, ... and their .bin indexes) as depmod 30
// computes it: a pure function of what each module says and of modules.order / modules.builtin /
// modules.builtin.modinfo. Rules: docs/depmod-v30-rules.md, docs/depmod.md.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::depmod {

// What depmod needs from one module file. Views point into storage the caller keeps alive.
struct ModuleData {
  std::string_view name;
  std::string_view path;     // relative to lib/modules/KVER, or absolute for an external module
  bool external = false;     // outside lib/modules/KVER (path is absolute, not in modules.order)
  std::vector<std::string_view> aliases;             // modinfo "alias" values in order
  std::vector<std::string_view> softdeps;            // modinfo "softdep" values in order
  std::vector<std::string_view> exports;             // exported symbol names
  std::vector<std::string_view> dependency_symbols;  // undefined symbols (weak included), in order
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
