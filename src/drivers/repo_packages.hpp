#pragma once
// Which packages a repository offers, read from its rpm-md metadata (no network, no solver): what
// `kmpkit drivers` calls "available".
#include <set>
#include <string>
#include <vector>

namespace kmpkit::drivers {

// Package names in the rpm-md repository at `dir` (repodata/repomd.xml → primary.xml.gz).
// Throws Error(Input) when it is not one.
std::set<std::string> repo_package_names(const std::string& dir);

// Local directories of the enabled repositories configured in ROOT/etc/zypp/repos.d (baseurl
// dir:/, file:/ or a plain path; remote ones cannot be read offline and are skipped).
std::vector<std::string> configured_local_repos(const std::string& root);

}  // namespace kmpkit::drivers
