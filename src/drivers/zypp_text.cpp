#include "drivers/zypp_text.hpp"

#include <fmt/format.h>

#include "util/error.hpp"

namespace kmpkit::drivers {
namespace {

// Lines without their '\n' (and a '\r' before it).
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    f(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

bool leaves_the_directory(std::string_view path) {
  if (path.empty() || path.front() == '/') return true;
  for (size_t start = 0; start <= path.size();) {
    auto slash = path.find('/', start);
    auto part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") return true;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
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
  for_each_line(text, [&](std::string_view l) {
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
  for_each_line(text, [&](std::string_view l) {
    if (!l.empty() && l[0] != '#') out.emplace(l);
  });
  return out;
}

}  // namespace kmpkit::drivers
