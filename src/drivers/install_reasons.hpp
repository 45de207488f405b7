#pragma once
// Why each installed KMP is installed (internal to src/drivers/): a device it supplements, a package
// that requires or recommends it, a pattern, or the user's own request (zypper's AutoInstalled list).
#include <string>
#include <vector>

#include "drivers/driver_report.hpp"
#include "hardware/driver_index.hpp"
#include "rpmdb/package_db.hpp"

namespace kmpkit::drivers {

// KMPs are the installed packages that provide kmod(...) or that the index names. `index` may be null.
std::vector<InstalledKmp> explain_installed_kmps(const rpmdb::PackageDb& db, const std::string& root,
                                                 const hardware::DriverIndex* index,
                                                 const std::vector<hardware::Device>& devices);

}  // namespace kmpkit::drivers
