#pragma once
// The spec of an external KMP: the modules a source build made (staged under
// STAGE/lib/modules/KVER/updates/), byte for byte, with the same generator, macros and scripts as
// the KMPs `kmpkit split` writes (src/spec/), so rpm gives it the same kmod()/ksym()/modalias()/
// firmware dependencies.
#include <string>
#include <vector>

#include "module/inventory.hpp"
#include "spec/split.hpp"

namespace kmpkit::kmp {

struct ExternalKmp {
  std::string name;        // vpoll-kmp-amd64-1a2b3c4d (the kabi naming scheme)
  std::string base_name;   // vpoll-kmp-amd64: every build of the driver provides it
  std::string version;     // the driver's (PACKAGE_VERSION)
  std::string release;
  std::string kver, flavor, kabi;
  std::string summary, description, license, url;
  std::vector<std::string> requires_;  // the signing certificate's package
  std::string build_record;  // the record file to ship as build_record_path(name) ("" = none)
};

// The KMP's name parts: "NAME-kmp-FLAVOR" and that with "-KABI".
std::string external_base_name(const std::string& driver, const std::string& flavor);

// An rpm Version from a driver version: '-' (rpm's separator) and characters rpm refuses become '_'.
std::string rpm_version(const std::string& driver_version);

// The spec text. `staged` holds the staged modules (paths relative to lib/modules/KVER, all under
// updates/); `module_root` is STAGE/lib/modules/KVER.
std::string external_kmp_spec(const ExternalKmp& kmp, const KernelInventory& staged, const std::string& module_root,
                              const spec::SplitOptions& options);

}  // namespace kmpkit::kmp
