#include "drivers/zypp_text.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/text.hpp"

namespace kmpkit::drivers {
namespace {

// zypper writes its files with '\n'; one edited on another system may end its lines with "\r\n".
std::string_view without_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool leaves_the_directory(std::string_view path) {
  if (path.empty() || path.front() == '/') return true;
  for (const auto& part : std::filesystem::path(path))
    if (part == "..") return true;
  return false;
}

}  // namespace

std::string primary_href(std::string_view repomd, const std::string& origin) {
  auto data = repomd.find("<data type=\"primary\"");
  auto href = data == std::string_view::npos ? data : repomd.find("href=\"", data);
  if (href == std::string_view::npos) throw Error(ErrorKind::Input, fmt::format("{} lists no primary metadata", origin));
  href += 6;
  auto end = repomd.find('"', href);
  if (end == std::string_view::npos)
    throw Error(ErrorKind::Input, fmt::format("{}: the primary metadata's href is not closed", origin));
  std::string path(repomd.substr(href, end - href));
  if (leaves_the_directory(path))
    throw Error(ErrorKind::Input,
                fmt::format("{}: the primary metadata's href \"{}\" is not a path inside the repository", origin, path));
  return path;
}

std::set<std::string> primary_package_names(std::string_view primary) {
  std::set<std::string> names;
  for (size_t pos = 0; (pos = primary.find("<name>", pos)) != std::string_view::npos;) {
    pos += 6;
    auto end = primary.find("</name>", pos);
    if (end == std::string_view::npos) break;
    names.emplace(primary.substr(pos, end - pos));
    pos = end;
  }
  return names;
}

RepoFileEntry parse_repo_file(std::string_view text) {
  RepoFileEntry e;
  for_each_line(text, [&](std::string_view line) {
    auto l = without_cr(line);
    if (l.starts_with("enabled=")) e.enabled = l.substr(8) != "0";
    if (l.starts_with("baseurl=")) e.url = std::string(l.substr(8));
  });
  return e;
}

std::optional<std::string> local_path_of(const std::string& url) {
  std::string path = url;
  for (std::string_view scheme : {"dir://", "dir:", "file://", "file:"})
    if (path.starts_with(scheme)) {
      path = path.substr(scheme.size());
      break;
    }
  if (path.empty() || path[0] != '/') return std::nullopt;
  return path;
}

std::set<std::string> parse_auto_installed(std::string_view text) {
  std::set<std::string> out;
  for_each_line(text, [&](std::string_view line) {
    auto l = without_cr(line);
    if (!l.empty() && l[0] != '#') out.emplace(l);
  });
  return out;
}

}  // namespace kmpkit::drivers
