#pragma once
// Which package to reinstall when a file is broken: messages about an unreadable module name the
// package that owns it, when the root has an rpm database.
#include <map>
#include <string>
#include <vector>

namespace kmpkit::rpmdb {

// Each of `files` (paths as the host sees them, under `root`; "" or "/" = the running system) →
// the names of the packages owning it, ", "-joined; files nobody owns, and every file when the root
// has no rpm database, are left out.
std::map<std::string, std::string> file_owners(const std::string& root, const std::vector<std::string>& files);

// " (package NAME: reinstall it, e.g. zypper in -f NAME)" for a file `owners` knows, else "".
std::string reinstall_hint(const std::map<std::string, std::string>& owners, const std::string& file);

}  // namespace kmpkit::rpmdb
