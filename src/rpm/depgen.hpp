#pragma once
// The rpm dependency generator: which Provides / Requires / Supplements / Recommends the files of
// one package carry (formats: docs/dependency-formats.md, after SUSE's kernel packaging).
#include <string>
#include <vector>

#include "module/kernel_files.hpp"
#include "module/module_reader.hpp"

namespace kmpkit {

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
};

struct FileDependencies {
  std::string file;
  std::vector<std::string> deps;
};

// Classifies and reads the files given to the generator (other files are ignored).
PackageFiles read_package_files(const std::vector<std::string>& files, const DepgenOptions& options,
                                unsigned parts = kReadAll);
// What generating one kind of dependency needs to read from each module.
unsigned read_parts_for(DepKind kind);

// The dependencies of one kind, attributed to the file that causes them. Package-wide rules
// (requires minus own provides, supplements sorted and merged over all modules) are applied.
std::vector<FileDependencies> generate_dependencies(const PackageFiles& package, DepKind kind,
                                                    const DepgenOptions& options);

// Single dependency strings, shared with the packaging code.
std::string kmod_dependency(std::string_view module_file_or_name, DepStyle style);
std::string ksym_dependency(std::string_view flavor, std::string_view symbol, uint64_t crc, DepStyle style,
                            bool kernel_symbol = false);
std::string module_flavor(const ModuleRecord& module, const DepgenOptions& options);
// kmod names of a softdep value ("pre: a b post: c" → a, b, c).
std::vector<std::string> softdep_modules(std::string_view softdep);

}  // namespace kmpkit
