#include "drivers/repo_packages.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "module/kernel_files.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::drivers {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The href of the primary metadata in repomd.xml.
std::string primary_href(const std::string& repomd, const std::string& path) {
  auto data = repomd.find("<data type=\"primary\"");
  auto href = data == std::string::npos ? data : repomd.find("href=\"", data);
  if (href == std::string::npos) throw Error(ErrorKind::Input, fmt::format("{} lists no primary metadata", path));
  href += 6;
  return repomd.substr(href, repomd.find('"', href) - href);
}

}  // namespace

std::set<std::string> repo_package_names(const std::string& dir) {
  const std::string repomd_path = dir + "/repodata/repomd.xml";
  std::error_code ec;
  if (!fs::exists(repomd_path, ec))
    throw Error(ErrorKind::Input, fmt::format("{} is no rpm-md repository (no repodata/repomd.xml)", dir));
  std::string href = primary_href(read_text(repomd_path), repomd_path);
  if (!href.ends_with(".gz"))
    throw Error(ErrorKind::Input, fmt::format("{}: primary metadata {} is not gzip (createrepo_c --general-compress-type=gz)", dir, href));
  auto primary_text = read_maybe_gzipped(dir + "/" + href);
  if (!primary_text) throw Error(ErrorKind::Input, fmt::format("{}: cannot read {} (missing or corrupt)", dir, href));
  const std::string& primary = *primary_text;
  // Each <package> has exactly one <name> element; dependency entries use name="" attributes.
  std::set<std::string> names;
  for (size_t pos = 0; (pos = primary.find("<name>", pos)) != std::string::npos;) {
    pos += 6;
    auto end = primary.find("</name>", pos);
    if (end == std::string::npos) break;
    names.insert(primary.substr(pos, end - pos));
    pos = end;
  }
  return names;
}

std::vector<std::string> configured_local_repos(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  const fs::path dir = fs::path(root) / "etc/zypp/repos.d";
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".repo") continue;
    std::ifstream in(it->path());
    bool enabled = true;
    std::string url;
    for (std::string l; std::getline(in, l);) {
      if (l.rfind("enabled=", 0) == 0) enabled = l.substr(8) != "0";
      if (l.rfind("baseurl=", 0) == 0) url = l.substr(8);
    }
    if (!enabled) continue;
    for (const char* scheme : {"dir://", "dir:", "file://", "file:"})
      if (url.rfind(scheme, 0) == 0) {
        url = url.substr(std::string_view(scheme).size());
        break;
      }
    if (url.empty() || url[0] != '/') continue;  // remote: not readable offline
    // zypper --root resolves a local URL on the host; inside the system it is the system's path.
    std::string inside = root == "/" ? url : (fs::path(root) / url.substr(1)).string();
    out.push_back(fs::exists(inside + "/repodata/repomd.xml", ec) ? inside : url);
  }
  return out;
}

}  // namespace kmpkit::drivers
