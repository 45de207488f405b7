#pragma once
// The offline driver index a kernel package carries: every module of its kernel build, the package
// that ships it and the device aliases it drives. A system without network or repository reads it to
// tell which package would drive a device (`kmpkit drivers`), and modprobe's hints read it.
//
// File (gzip; lines of TAB-separated fields, sorted, so the same build gives the same bytes):
//   kmpkit-driver-index<TAB>1<TAB>KVER
//   module<TAB>NAME<TAB>PATH (relative to /lib/modules/KVER, as built)<TAB>PACKAGE
//   alias<TAB>PATTERN (as in .modinfo: modprobe's fnmatch)<TAB>NAME
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace kmpkit::hardware {

struct IndexedModule {
  std::string name;     // kmod's name: '-' as '_'
  std::string path;     // kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko
  std::string package;  // the package of this kernel build that ships it
};

struct IndexedAlias {
  std::string pattern;
  size_t module = 0;  // index into DriverIndex::modules
};

class DriverIndex {
 public:
  std::string kver;
  std::vector<IndexedModule> modules;  // sorted by name
  std::vector<IndexedAlias> aliases;   // sorted by pattern, then module

  // An index of these modules and (pattern, module name) aliases: sorted, duplicates dropped, so the
  // same build gives the same bytes. Throws Error(Input) for an alias naming no module.
  static DriverIndex make(std::string kver, std::vector<IndexedModule> modules,
                          const std::vector<std::pair<std::string, std::string>>& pattern_module);
  // The module called `name` ('-' and '_' alike), or nullptr.
  const IndexedModule* find_module(std::string_view name) const;
  // Modules whose alias patterns match `modalias` (modprobe's match), each once, by name.
  std::vector<const IndexedModule*> match(std::string_view modalias) const;
  // The modules a package ships.
  std::vector<const IndexedModule*> modules_of(std::string_view package) const;

 private:
  std::unordered_map<std::string, size_t> by_name_;
};

// Where a kernel package installs its index, inside a root.
std::string driver_index_path(const std::string& kver);  // /usr/lib/kmpkit/drivers/KVER.index.gz

// Writes `index` to `path` (a temporary name, then renamed). Throws Error(Write).
void write_driver_index(const DriverIndex& index, const std::string& path);
// Reads one. Throws Error(Input) naming the file and line when it is not an index.
DriverIndex read_driver_index(const std::string& path);
// The same from the index's text (gunzipped); `path` names it in messages.
DriverIndex parse_driver_index(std::string_view text, const std::string& path);

}  // namespace kmpkit::hardware
