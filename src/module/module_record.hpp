#pragma once
// Plain value types for what a kernel module file says about itself.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit {

struct ModinfoField {
  std::string key;
  std::string value;
  bool operator==(const ModinfoField&) const = default;
};

// A symbol the module needs. `crc` is 0 when the module carries no version for it.
struct ImportedSymbol {
  std::string name;
  uint64_t crc = 0;
  bool weak = false;
  bool operator==(const ImportedSymbol&) const = default;
};

struct ExportedSymbol {
  std::string name;
  uint64_t crc = 0;
  bool operator==(const ExportedSymbol&) const = default;
};

struct ModuleRecord {
  std::string name;          // basename up to the first '.', '-' turned into '_' (as kmod does)
  std::string path;          // relative to lib/modules/KVER (absolute when outside the tree)
  std::string file;          // the path the record was read from, as given to the reader
  uint64_t size = 0;         // file size on disk
  int64_t mtime_ns = 0;      // file modification time, for caches
  uint64_t inode = 0;
  std::vector<ModinfoField> modinfo;          // .modinfo in file order (signature fields excluded)
  std::vector<ImportedSymbol> dependency_symbols;  // as depmod sees them: undefined symtab, then __versions rest
  std::vector<ImportedSymbol> versions;       // __versions table in order (modprobe --dump-modversions)
  std::vector<ExportedSymbol> exports;        // __crc_* symbols, or __ksymtab_strings when unversioned
  bool is_signed = false;
  std::string signer;
  std::string sig_key;
  std::string sig_hashalgo;

  // Every value of a modinfo key, in order.
  std::vector<std::string> values(std::string_view key) const;
  // The first value of a modinfo key, if any.
  std::optional<std::string> first(std::string_view key) const;
  std::vector<std::string> depends() const;   // "depends=" split on ','
  std::vector<std::string> aliases() const { return values("alias"); }
  std::vector<std::string> softdeps() const { return values("softdep"); }
  std::vector<std::string> firmware() const { return values("firmware"); }
  std::string vermagic() const { return first("vermagic").value_or(""); }
};

// kmod's module name for a file path: basename up to the first '.', '-' → '_'.
std::string module_name_from_path(std::string_view path);

// True for the file names kmod treats as modules: .ko, .ko.xz, .ko.zst (and .ko.gz, which this
// libkmod cannot read: reading one gives a clear ReadError).
bool is_module_file_name(std::string_view name);

// The kernel release named by a vermagic string ("6.1.0-56-amd64 SMP ..." → "6.1.0-56-amd64").
std::string release_from_vermagic(std::string_view vermagic);
// The flavor: text after the last '-' of the release ("6.1.0-56-amd64" → "amd64").
std::string flavor_from_release(std::string_view release);

}  // namespace kmpkit
