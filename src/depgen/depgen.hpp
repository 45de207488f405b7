#pragma once
// The rpm dependency generator: which Provides / Requires / Supplements / Recommends the files of
// one package carry (formats: docs/dependency-formats.md, after SUSE's kernel packaging).
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "module/kernel_files.hpp"
#include "module/module_reader.hpp"

namespace kmpkit::depgen {

enum class DepStyle { Suse, Rhel };
enum class DepKind { Provides, Requires, Supplements, Recommends };

// A kernel image of the package (vmlinuz / System.map with a Module.symvers beside it).
struct KernelImageFile {
  std::string file;
  std::string release;                        // kernel-uname-r
  std::vector<SymversEntry> symvers;          // all of Module.symvers (vmlinux's entries are provided)
  std::vector<std::string> builtin_modules;   // modules.builtin lines
};

struct PackageFiles {
  std::vector<ModuleRecord> modules;
  std::vector<KernelImageFile> kernels;
  std::vector<ReadError> errors;
};

struct DepgenOptions {
  DepStyle style = DepStyle::Suse;
  std::string flavor;          // overrides the flavor from vermagic / release when not empty
  std::string symvers;         // explicit Module.symvers: marks image files as kernel images (rhel: kernel() requires)
  std::string release;         // explicit kernel release for image files
  unsigned threads = 0;
  // When set (--provides-only-imported FILE): ksym()/kernel() provides only for these symbol names
  // (sorted, C locale), e.g. the symbols some module of the kernel imports. kmod() and the kernel
  // image's other provides are unaffected.
  std::optional<std::vector<std::string>> provided_symbols;
  // When set (--modalias-prefix-map FILE): module name → the capability its modalias() supplements
  // are conditioned on instead of kernel-FLAVOR (kabi scheme: "kmp-for(NAME)", which only the
  // kernels that declare the build provide; libsolv ANDs the part before the first ':').
  std::optional<std::unordered_map<std::string, std::string>> modalias_prefixes;
  // When set (--softdep-map FILE): softdep names that are aliases, not module names ("crc32c"),
  // → the modules they resolve to in this kernel (crc32c_intel, crc32c_generic); a name absent
  // from the map is a module name. Without it every softdep name is taken as a module name.
  std::optional<std::unordered_map<std::string, std::vector<std::string>>> softdep_targets;
};

struct FileDependencies {
  std::string file;
  std::vector<std::string> deps;
};

// How module files are read: libkmod (read_modules) or the lean reader of kmpkit-depgen.
using ModuleFilesReader = std::function<TreeScan(const std::vector<std::string>& files, unsigned threads,
                                                 unsigned parts)>;
// libkmod's reading (module/module_reader.hpp); the default.
TreeScan read_with_libkmod(const std::vector<std::string>& files, unsigned threads, unsigned parts);

// Classifies and reads the files given to the generator (other files are ignored).
PackageFiles read_package_files(const std::vector<std::string>& files, const DepgenOptions& options,
                                unsigned parts = kReadAll, const ModuleFilesReader& reader = read_with_libkmod);
// What generating one kind of dependency needs to read from each module.
unsigned read_parts_for(DepKind kind);

// The dependencies of one kind, attributed to the file that causes them. Package-wide rules
// (requires minus own provides, supplements sorted and merged over all modules) are applied.
std::vector<FileDependencies> generate_dependencies(const PackageFiles& package, DepKind kind,
                                                    const DepgenOptions& options);

// The symbol names some module imports (its __versions table and undefined symbols), sorted and
// unique: what `[kmp] provides = "imported"` keeps ksym() provides for.
std::vector<std::string> imported_symbol_names(const std::vector<ModuleRecord>& modules);
// A symbol list file: one name a line. read_symbol_list sorts and deduplicates (nullopt when the
// file cannot be read); write_symbol_list returns false on a write error.
std::optional<std::vector<std::string>> read_symbol_list(const std::string& path);
bool write_symbol_list(const std::string& path, const std::vector<std::string>& names);
// The file name `kmpkit split` writes the list to (inside DIR), and the depgen option naming it.
inline constexpr const char* kImportedSymbolsFile = "imported-symbols";
inline constexpr const char* kProvidesOnlyImportedOption = "--provides-only-imported";
// The kabi scheme's map (module name, space, prefix: one a line), its file in DIR and the option.
// read_prefix_map gives the entries of `names` (nullopt when the file cannot be read).
std::optional<std::unordered_map<std::string, std::string>> read_prefix_map(const std::string& path,
                                                                            const std::vector<std::string>& names);
inline constexpr const char* kModaliasPrefixFile = "modalias-prefixes";
inline constexpr const char* kModaliasPrefixOption = "--modalias-prefix-map";
// Softdep targets: "NAME MODULE..." a line (NAME alone: it resolves to no module of the kernel).
// `kmpkit split` writes every softdep name of the tree that is not a module name, resolved through
// the modules' and built-in modules' aliases as modprobe resolves it.
std::optional<std::unordered_map<std::string, std::vector<std::string>>> read_softdep_map(const std::string& path);
std::string format_softdep_map(const std::unordered_map<std::string, std::vector<std::string>>& map);
inline constexpr const char* kSoftdepMapFile = "softdep-targets";
inline constexpr const char* kSoftdepMapOption = "--softdep-map";
// The file systems a module implements: NAME of each "fs-NAME" alias (what mount requests).
std::vector<std::string> filesystem_names(const ModuleRecord& module);

// Single dependency strings, shared with the packaging code.
std::string kmod_dependency(std::string_view module_file_or_name, DepStyle style);
std::string ksym_dependency(std::string_view flavor, std::string_view symbol, uint64_t crc, DepStyle style,
                            bool kernel_symbol = false);
std::string module_flavor(const ModuleRecord& module, const DepgenOptions& options);
// firmware(NAME): what a KMP recommends for each modinfo firmware line, exactly as the driver names the
// file (never with the .xz/.zst suffix the kernel also tries), and what a firmware package provides.
std::string firmware_dependency(std::string_view requested_name);
// kmod names of a softdep value ("pre: a b post: c" → a, b, c).
std::vector<std::string> softdep_modules(std::string_view softdep);

}  // namespace kmpkit::depgen
