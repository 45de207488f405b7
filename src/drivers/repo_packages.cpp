#include "drivers/repo_packages.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "drivers/zypp_text.hpp"
#include "module/kernel_files.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::drivers {

std::set<std::string> repo_package_names(const std::string& dir) {
  const std::string repomd_path = dir + "/repodata/repomd.xml";
  std::error_code ec;
  if (!fs::exists(repomd_path, ec))
    throw Error(ErrorKind::Input, fmt::format("{} is no rpm-md repository (no repodata/repomd.xml)", dir));
  std::string href = primary_href(read_file(repomd_path).value_or(""), repomd_path);
  if (!href.ends_with(".gz"))
    throw Error(ErrorKind::Input, fmt::format("{}: primary metadata {} is not gzip (createrepo_c --general-compress-type=gz)", dir, href));
  auto primary_text = read_maybe_gzipped(dir + "/" + href);
  if (!primary_text) throw Error(ErrorKind::Input, fmt::format("{}: cannot read {} (missing or corrupt)", dir, href));
  return primary_package_names(*primary_text);
}

std::vector<std::string> configured_local_repos(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  const fs::path dir = fs::path(root) / "etc/zypp/repos.d";
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".repo") continue;
    auto entry = parse_repo_file(read_file(it->path().string()).value_or(""));
    if (!entry.enabled) continue;
    auto url = local_path_of(entry.url);
    if (!url) continue;  // remote: not readable offline
    // zypper --root resolves a local URL on the host; inside the system it is the system's path.
    std::string inside = root == "/" ? *url : (fs::path(root) / url->substr(1)).string();
    out.push_back(fs::exists(inside + "/repodata/repomd.xml", ec) ? inside : *url);
  }
  return out;
}

}  // namespace kmpkit::drivers
