#pragma once
// What the drivers of a kernel load: the `firmware:` lines of every module's modinfo (and of the
// built-in modules' modules.builtin.modinfo), the names the KMPs recommend as firmware(NAME).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "module/kernel_files.hpp"
#include "module/module_reader.hpp"

namespace kmpkit::firmware {

struct DriverRequests {
  // Requested name → the drivers (module names, sorted) naming it.
  std::map<std::string, std::vector<std::string>> names;
  // Names with glob characters (brcmfmac's "brcm/brcmfmac*-sdio.*.txt": it builds the board's
  // name at run time) → drivers. They claim the files they match.
  std::map<std::string, std::vector<std::string>> globs;
  std::vector<std::string> builtin_drivers;  // built-in modules with firmware lines (no KMP recommends them)
  size_t modules = 0;                        // modules read
  size_t drivers = 0;                        // modules and built-in modules with firmware lines
  size_t lines = 0;                          // firmware lines
  std::vector<ReadError> errors;             // unreadable modules
};

// From records already read (modinfo only is needed).
DriverRequests driver_requests_of(const std::vector<ModuleRecord>& modules, const std::vector<BuiltinModinfo>& builtin);

// Reads BASEDIR/lib/modules/KVER (modinfo only). Throws Error(Input) when the tree does not exist.
DriverRequests read_driver_requests(const std::string& basedir, const std::string& kver, unsigned threads = 0,
                                    const std::function<void(size_t, size_t)>& progress = {});

// True for a requested name with glob characters.
bool is_glob_request(const std::string& name);

}  // namespace kmpkit::firmware
