#include "firmware/firmware_tree.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "firmware/debian_copyright.hpp"
#include "firmware/whence.hpp"
#include "module/firmware_path.hpp"
#include "module/kernel_files.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::firmware {
namespace {

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

bool is_regular(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// ROOT/usr/share/doc/PACKAGE of an unpacked Debian package: the one named firmware-* when several.
std::string debian_doc_dir(const fs::path& root) {
  fs::path doc = root / "usr/share/doc";
  if (!is_dir(doc)) return {};
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(doc, ec))
    if (e.is_directory(ec) && is_regular(e.path() / "copyright")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  for (const auto& n : names)
    if (n.starts_with("firmware-")) return (doc / n).string();
  return names.empty() ? std::string() : (doc / names.front()).string();
}

// "PACKAGE (VERSION) suite; urgency=..." on the first line of changelog.Debian.gz.
std::string debian_changelog_version(const std::string& doc_dir) {
  for (const char* name : {"changelog.Debian.gz", "changelog.gz", "changelog.Debian"}) {
    auto text = read_maybe_gzipped(doc_dir + "/" + name);
    if (!text) continue;
    auto open = text->find('('), close = text->find(')');
    auto nl = text->find('\n');
    if (open != std::string::npos && close != std::string::npos && open < close && close < nl)
      return text->substr(open + 1, close - open - 1);
  }
  return {};
}

// YYYYMMDD of a file's mtime: linux-firmware releases are named by date.
std::string date_version(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  std::tm tm{};
  gmtime_r(&st.st_mtime, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
  return buf;
}

// Characters rpm file lists and the %install lists cannot carry.
std::optional<std::string> unlistable(std::string_view path) {
  if (path.find_first_of("\n\"\\") != std::string_view::npos)
    return "its name has a newline, '\"' or '\\', which rpm file lists cannot carry";
  if (path.empty() || path.front() == '/' || path.find("/../") != std::string_view::npos || path.starts_with("../"))
    return "its path leaves the firmware directory";
  return std::nullopt;
}

// a/b/../c → a/c inside the firmware directory; nullopt when it leaves it.
std::optional<std::string> normalized_inside(const fs::path& p) {
  std::string s = p.lexically_normal().generic_string();
  if (s.empty() || s == "." || s.starts_with("../") || s == ".." || s.front() == '/') return std::nullopt;
  return s;
}

// A link's target as a path relative to the firmware directory (absolute targets into
// /lib/firmware or /usr/lib/firmware count as inside).
std::optional<std::string> link_destination(std::string_view link_path, std::string_view target) {
  if (target.starts_with("/")) {
    for (std::string_view prefix : {"/lib/firmware/", "/usr/lib/firmware/"})
      if (target.starts_with(prefix)) return normalized_inside(fs::path(target.substr(prefix.size())));
    return std::nullopt;
  }
  return normalized_inside(fs::path(link_path).parent_path() / target);
}

struct SourceReader {
  FirmwareTree& tree;
  std::map<std::string, size_t> by_path;  // path → entry index

  void add(FirmwareEntry e) {
    if (auto why = unlistable(e.path)) {
      tree.problems.push_back(fmt::format("{}: left out: {}", e.path, *why));
      return;
    }
    if (auto it = by_path.find(e.path); it != by_path.end()) {
      tree.problems.push_back(fmt::format("{}: in {} and {}: packaged from {}", e.path,
                                          tree.sources[tree.entries[it->second].source].root,
                                          tree.sources[e.source].root, tree.sources[tree.entries[it->second].source].root));
      return;
    }
    by_path.emplace(e.path, tree.entries.size());
    tree.entries.push_back(std::move(e));
  }

  // Every file and symbolic link below the firmware directory (links not followed).
  std::vector<std::pair<std::string, bool>> walk(const fs::path& dir) {
    std::vector<std::pair<std::string, bool>> out;  // (relative path, is a link)
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      std::string rel = it->path().lexically_relative(dir).generic_string();
      if (it->is_symlink(ec)) out.emplace_back(rel, true);
      else if (it->is_regular_file(ec)) out.emplace_back(rel, false);
    }
    if (ec) throw Error(ErrorKind::Input, fmt::format("cannot read {}: {}", dir.string(), ec.message()));
    std::sort(out.begin(), out.end());
    return out;
  }

  FirmwareEntry entry(size_t source, const fs::path& dir, const std::string& rel, bool link) {
    FirmwareEntry e;
    e.path = rel;
    e.name = requested_name(rel);
    e.source = source;
    e.link = link;
    std::error_code ec;
    if (link) e.link_target = fs::read_symlink(dir / rel, ec).string();
    else e.bytes = fs::file_size(dir / rel, ec);
    return e;
  }

  void read_plain(size_t s, const DebianCopyright* copyright) {
    FirmwareSource& src = tree.sources[s];
    for (const auto& [rel, link] : walk(src.firmware_dir)) {
      FirmwareEntry e = entry(s, src.firmware_dir, rel, link);
      if (copyright) {
        // DEP-5 patterns name the source's files: the installed name or the uncompressed one.
        auto l = licence_of(*copyright, e.path);
        if (!l) l = licence_of(*copyright, e.name);
        if (l) e.licence = *l;
        e.licence_files = {src.copyright_file};
      }
      (link ? src.links : src.files) += 1;
      add(std::move(e));
    }
  }

  void read_whence(size_t s, const Whence& w) {
    FirmwareSource& src = tree.sources[s];
    const fs::path dir = src.firmware_dir;
    std::set<std::string> listed;
    auto licence_of_file = [&](const WhenceFile& f, FirmwareEntry& e) {
      e.whence_driver = w.stanzas[f.stanza].driver;
      if (f.licence < 0) return;
      const auto& lic = w.stanzas[f.stanza].licences[static_cast<size_t>(f.licence)];
      e.licence = licence_tag(lic);
      for (const auto& c : licence_file_candidates(lic))
        if (is_regular(dir / c)) e.licence_files.push_back((dir / c).string());
    };
    std::map<std::string, const WhenceFile*> files;
    for (const auto& f : w.files) files.emplace(f.path, &f);
    for (const auto& [path, f] : files) {
      // The tree may hold it compressed (an installed tree with its WHENCE).
      std::string found;
      for (std::string_view suffix : {std::string_view(), kFirmwareCompressionSuffixes[0], kFirmwareCompressionSuffixes[1]}) {
        std::string candidate = path + std::string(suffix);
        std::error_code ec;
        if (fs::is_symlink(dir / candidate, ec) || is_regular(dir / candidate)) {
          found = candidate;
          break;
        }
      }
      if (found.empty()) {
        ++src.whence_missing;
        continue;
      }
      listed.insert(found);
      std::error_code ec;
      bool link = fs::is_symlink(dir / found, ec);
      FirmwareEntry e = entry(s, dir, found, link);
      licence_of_file(*f, e);
      (link ? src.links : src.files) += 1;
      add(std::move(e));
    }
    for (const auto& l : w.links) {
      const std::string& stanza_driver = w.stanzas[l.stanza].driver;
      std::error_code ec;
      if (fs::is_symlink(dir / l.link, ec)) {  // older trees keep the links in git
        listed.insert(l.link);
        FirmwareEntry e = entry(s, dir, l.link, true);
        e.whence_driver = stanza_driver;
        ++src.links;
        add(std::move(e));
        continue;
      }
      // copy-firmware.sh makes it; when the target is there compressed only, the link gets the
      // same suffix (NAME.zst → TARGET.zst), as the kernel then requests NAME.zst.
      std::string suffix;
      if (auto dest = link_destination(l.link, l.target)) {
        if (!by_path.count(*dest))
          for (std::string_view sfx : kFirmwareCompressionSuffixes)
            if (by_path.count(*dest + std::string(sfx))) suffix = std::string(sfx);
      }
      FirmwareEntry e;
      e.path = l.link + suffix;
      e.name = requested_name(e.path);
      e.source = s;
      e.link = e.whence_link = true;
      e.link_target = l.target + suffix;
      e.whence_driver = stanza_driver;
      ++src.links;
      add(std::move(e));
    }
    // What WHENCE does not list is not firmware (WHENCE itself, licence texts, scripts, sources).
    for (const auto& [rel, link] : walk(dir))
      if (!listed.count(rel) && !rel.starts_with(".git/")) src.not_in_whence.push_back(rel);
  }

  // Links: the regular entry each leads to; a link takes the licence of that file.
  void resolve_links() {
    for (auto& e : tree.entries) {
      if (!e.link) continue;
      std::string at = e.path, text = e.link_target;
      for (int hops = 0; hops < 40; ++hops) {
        auto dest = link_destination(at, text);
        if (!dest) break;
        auto it = by_path.find(*dest);
        if (it == by_path.end()) break;
        const FirmwareEntry& next = tree.entries[it->second];
        if (!next.link) {
          e.resolved = next.path;
          break;
        }
        at = next.path;
        text = next.link_target;
      }
      if (e.resolved.empty()) {
        tree.problems.push_back(fmt::format("{}: a link to {} that leads to no firmware file of the trees (packaged "
                                            "with the files no driver names)",
                                            e.path, e.link_target));
        continue;
      }
      const FirmwareEntry& target = tree.entries[by_path.at(e.resolved)];
      if (e.licence.empty()) e.licence = target.licence;
      if (e.licence_files.empty()) e.licence_files = target.licence_files;
    }
  }
};

FirmwareSource locate(const std::string& root) {
  FirmwareSource s;
  if (!is_dir(root)) throw Error(ErrorKind::Input, fmt::format("{}: no such directory", root));
  // Absolute: the spec's %install and the licence texts are read from elsewhere.
  fs::path r = fs::absolute(root).lexically_normal();
  if (!r.has_filename()) r = r.parent_path();  // "dir/"
  s.root = r.string();
  if (is_regular(r / "WHENCE")) {
    s.firmware_dir = r.string();
  } else {
    for (const char* sub : {"lib/firmware", "usr/lib/firmware"})
      if (is_dir(r / sub)) {
        s.firmware_dir = (r / sub).string();
        break;
      }
    if (s.firmware_dir.empty()) s.firmware_dir = r.string();  // a firmware directory itself
  }
  s.whence = is_regular(fs::path(s.firmware_dir) / "WHENCE");
  if (std::string doc = debian_doc_dir(r); !doc.empty()) {
    s.name = fs::path(doc).filename().string();
    s.copyright_file = doc + "/copyright";
    std::tie(s.version, s.release) = rpm_version_of_debian(debian_changelog_version(doc));
  } else if (s.whence) {
    s.name = "linux-firmware";
    s.version = date_version(fs::path(s.firmware_dir) / "WHENCE");
  } else {
    s.name = fs::path(s.firmware_dir).lexically_normal().filename().string();
  }
  return s;
}

}  // namespace

std::string requested_name(std::string_view path) {
  for (std::string_view suffix : kFirmwareCompressionSuffixes)
    if (path.size() > suffix.size() && path.ends_with(suffix)) return std::string(path.substr(0, path.size() - suffix.size()));
  return std::string(path);
}

std::pair<std::string, std::string> rpm_version_of_debian(std::string_view v) {
  if (auto colon = v.find(':'); colon != std::string_view::npos) v.remove_prefix(colon + 1);
  std::string upstream(v), revision;
  if (auto dash = v.rfind('-'); dash != std::string_view::npos) {
    upstream = std::string(v.substr(0, dash));
    revision = std::string(v.substr(dash + 1));
  }
  std::replace(upstream.begin(), upstream.end(), '-', '.');
  return {upstream, revision};
}

FirmwareTree read_firmware_tree(const std::vector<std::string>& roots) {
  FirmwareTree tree;
  SourceReader reader{tree, {}};
  for (const auto& root : roots) {
    tree.sources.push_back(locate(root));
    size_t s = tree.sources.size() - 1;
    const FirmwareSource& src = tree.sources[s];
    if (src.whence) {
      auto text = read_file(src.firmware_dir + "/WHENCE");
      if (!text) throw Error(ErrorKind::Input, fmt::format("cannot read {}/WHENCE", src.firmware_dir));
      reader.read_whence(s, parse_whence(*text));
    } else if (!src.copyright_file.empty()) {
      auto text = read_file(src.copyright_file);
      if (!text) throw Error(ErrorKind::Input, fmt::format("cannot read {}", src.copyright_file));
      DebianCopyright c = parse_debian_copyright(*text);
      reader.read_plain(s, &c);
    } else {
      reader.read_plain(s, nullptr);
    }
  }
  std::vector<size_t> order(tree.entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tree.entries[a].path < tree.entries[b].path; });
  std::vector<FirmwareEntry> sorted;
  sorted.reserve(order.size());
  for (size_t i : order) sorted.push_back(std::move(tree.entries[i]));
  tree.entries = std::move(sorted);
  reader.by_path.clear();
  for (size_t i = 0; i < tree.entries.size(); ++i) reader.by_path.emplace(tree.entries[i].path, i);
  reader.resolve_links();
  return tree;
}

}  // namespace kmpkit::firmware
