#pragma once
// The text formats of zypper's and createrepo_c's files that `kmpkit drivers` reads offline, as
// pure functions of the text (fuzzed: fuzz/fuzz_system_files.cpp): repomd.xml's primary href,
// primary.xml's package names, a repos.d/*.repo file, and /var/lib/zypp/AutoInstalled.
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace kmpkit::drivers {

// The href of the primary metadata in repomd.xml: a relative path inside the repository.
// Throws Error(Input) naming `origin` when there is none, or when it leaves the repository (an
// absolute path, a ".." component): the caller then reads nothing outside it.
std::string primary_href(std::string_view repomd, const std::string& origin);

// The package names of primary.xml (each <package> has exactly one <name> element; dependency
// entries use name="" attributes).
std::set<std::string> primary_package_names(std::string_view primary);

// What a repos.d/*.repo file says about its repository; the last baseurl= and enabled= win.
struct RepoFileEntry {
  bool enabled = true;
  std::string url;  // as written
};
RepoFileEntry parse_repo_file(std::string_view text);

// A local repository URL (dir:/, file:/ or a plain absolute path) as a path; nullopt for a
// remote one (not readable offline).
std::optional<std::string> local_path_of(const std::string& url);

// The names in zypper's AutoInstalled (one per line, '#' comments).
std::set<std::string> parse_auto_installed(std::string_view text);

}  // namespace kmpkit::drivers
