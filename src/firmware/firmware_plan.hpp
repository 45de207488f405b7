#pragma once
// Which firmware package each file of the trees goes to, so that a driver's KMP pulls in exactly
// the firmware it loads (docs/firmware.md):
// - a file goes to the package of the set of drivers that request it (by its name, a link's name,
//   or a glob): one driver → kernel-firmware-DRIVER; several → one package for that set, so no file
//   is packaged twice and no driver gets another driver's files;
// - a symbolic link goes with the file it leads to;
// - files no driver names go to kernel-firmware-unclaimed (by WHENCE stanza when the tree has
//   WHENCE: kernel-firmware-unclaimed-DRIVER), reported;
// - each package provides firmware(NAME) for every file and link, NAME as drivers request it
//   (without .xz/.zst): the exact string of the KMPs' Recommends.
#include <cstdint>
#include <string>
#include <vector>

#include "firmware/driver_requests.hpp"
#include "firmware/firmware_tree.hpp"

namespace kmpkit::firmware {

struct FirmwarePackage {
  std::string name;
  std::string version, release;
  std::string summary, description;
  std::string licence;                     // rpm License
  std::vector<std::string> drivers;        // the drivers whose firmware it is; empty when unclaimed
  std::vector<size_t> entries;             // indices into FirmwareTree::entries (files and links)
  std::vector<std::string> provides;       // firmware(NAME), sorted
  std::vector<std::string> licence_files;  // absolute paths of licence texts it ships
  uint64_t bytes = 0;                      // its regular files
  bool unclaimed = false;
};

struct FirmwarePlanOptions {
  std::string kver;
  std::string version;  // overrides every package's version when not empty
  std::string release;  // overrides every package's release when not empty
};

struct FirmwarePlan {
  std::string kver;
  std::vector<FirmwarePackage> packages;      // drivers' packages (by name), then the unclaimed ones
  std::vector<size_t> unclaimed;              // entries no driver names (files and their links)
  size_t requested = 0;                       // distinct names the drivers request (globs not counted)
  size_t requested_present = 0;               // of them, provided by a package of this plan
  std::vector<std::string> requested_absent;  // requested names none of the trees holds (or only as a dangling link)
  std::vector<std::string> not_provided;      // names no firmware() can carry (whitespace): packaged, not provided
  std::vector<std::string> problems;          // entries left out, and why
};

FirmwarePlan plan_firmware_packages(const FirmwareTree& tree, const DriverRequests& requests,
                                    const FirmwarePlanOptions& options);

// kernel-firmware-DRIVER, kernel-firmware-A+B for a shared set (long sets: the first driver, the
// count and a hash of the set).
std::string firmware_package_name(const std::vector<std::string>& drivers);

}  // namespace kmpkit::firmware
