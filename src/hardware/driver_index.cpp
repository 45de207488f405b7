#include "hardware/driver_index.hpp"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "hardware/modalias.hpp"
#include "module/kernel_files.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::hardware {
namespace {

constexpr std::string_view kMagic = "kmpkit-driver-index";
constexpr std::string_view kFormatVersion = "1";

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    auto tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return out;
    start = tab + 1;
  }
}

std::string normalized_name(std::string_view name) {
  std::string n(name);
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

// The literal text of a pattern before its first wildcard: a device must start with it.
std::string_view literal_prefix(std::string_view pattern) {
  return pattern.substr(0, std::min(pattern.size(), pattern.find_first_of("*?[\\")));
}

}  // namespace

std::string driver_index_path(const std::string& kver) { return "/usr/lib/kmpkit/drivers/" + kver + ".index.gz"; }

DriverIndex DriverIndex::make(std::string kver, std::vector<IndexedModule> modules,
                              const std::vector<std::pair<std::string, std::string>>& pattern_module) {
  DriverIndex index;
  index.kver = std::move(kver);
  for (auto& m : modules) m.name = normalized_name(m.name);
  std::sort(modules.begin(), modules.end(), [](const auto& a, const auto& b) {
    return std::tie(a.name, a.path, a.package) < std::tie(b.name, b.path, b.package);
  });
  // One entry a name: a build has each module once (a duplicate would be the same module twice).
  modules.erase(std::unique(modules.begin(), modules.end(), [](const auto& a, const auto& b) { return a.name == b.name; }),
                modules.end());
  index.modules = std::move(modules);
  for (size_t i = 0; i < index.modules.size(); ++i) index.by_name_.emplace(index.modules[i].name, i);
  for (const auto& [pattern, module] : pattern_module) {
    auto it = index.by_name_.find(normalized_name(module));
    if (it == index.by_name_.end())
      throw Error(ErrorKind::Input, fmt::format("driver index: alias {} names module {}, which it does not list", pattern, module));
    index.aliases.push_back({pattern, it->second});
  }
  auto& al = index.aliases;
  std::sort(al.begin(), al.end(), [](const auto& a, const auto& b) { return std::tie(a.pattern, a.module) < std::tie(b.pattern, b.module); });
  al.erase(std::unique(al.begin(), al.end(), [](const auto& a, const auto& b) { return a.pattern == b.pattern && a.module == b.module; }),
           al.end());
  return index;
}

const IndexedModule* DriverIndex::find_module(std::string_view name) const {
  auto it = by_name_.find(normalized_name(name));
  return it == by_name_.end() ? nullptr : &modules[it->second];
}

std::vector<const IndexedModule*> DriverIndex::match(std::string_view modalias) const {
  std::set<size_t> hits;
  for (const auto& a : aliases) {
    auto prefix = literal_prefix(a.pattern);
    if (modalias.substr(0, prefix.size()) != prefix) continue;  // cheap refusal before fnmatch
    if (alias_matches(a.pattern, modalias)) hits.insert(a.module);
  }
  std::vector<const IndexedModule*> out;
  for (size_t i : hits) out.push_back(&modules[i]);
  return out;
}

std::vector<const IndexedModule*> DriverIndex::modules_of(std::string_view package) const {
  std::vector<const IndexedModule*> out;
  for (const auto& m : modules)
    if (m.package == package) out.push_back(&m);
  return out;
}

void write_driver_index(const DriverIndex& index, const std::string& path) {
  std::string text = fmt::format("{}\t{}\t{}\n", kMagic, kFormatVersion, index.kver);
  for (const auto& m : index.modules) text += fmt::format("module\t{}\t{}\t{}\n", m.name, m.path, m.package);
  for (const auto& a : index.aliases) text += fmt::format("alias\t{}\t{}\n", a.pattern, index.modules.at(a.module).name);

  const std::string tmp = path + ".tmp";
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  // zlib's gzopen writes no file name and no time into the header: the bytes are reproducible.
  gzFile f = ::gzopen(tmp.c_str(), "wb9");
  if (!f) throw Error(ErrorKind::Write, fmt::format("cannot write {}: {}", tmp, std::strerror(errno)));
  bool ok = ::gzwrite(f, text.data(), static_cast<unsigned>(text.size())) == static_cast<int>(text.size());
  int saved = errno;
  ok = (::gzclose(f) == Z_OK) && ok;
  if (!ok) {
    ::unlink(tmp.c_str());
    throw Error(ErrorKind::Write, fmt::format("cannot write {}: {}", tmp, std::strerror(saved ? saved : EIO)));
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    throw Error(ErrorKind::Write, fmt::format("cannot rename {} to {}: {}", tmp, path, ec.message()));
  }
}

DriverIndex read_driver_index(const std::string& path) {
  auto read = read_maybe_gzipped(path);
  if (!read)
    throw Error(ErrorKind::Input, fmt::format("cannot read the driver index {}: missing, unreadable or corrupt", path));
  return parse_driver_index(*read, path);
}

DriverIndex parse_driver_index(std::string_view text, const std::string& path) {
  std::string kver;
  std::vector<IndexedModule> modules;
  std::vector<std::pair<std::string, std::string>> aliases;
  size_t line_no = 0;
  auto bad = [&](std::string_view what) {
    return Error(ErrorKind::Input, fmt::format("{}:{}: not a kmpkit driver index: {}", path, line_no, what));
  };
  for (size_t start = 0; start < text.size();) {
    auto nl = text.find('\n', start);
    std::string_view line(text.data() + start, (nl == std::string_view::npos ? text.size() : nl) - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    auto f = split_tabs(line);
    if (line_no == 1) {
      if (f.size() != 3 || f[0] != kMagic) throw bad("no header line");
      if (f[1] != kFormatVersion) throw bad(fmt::format("format {} (this kmpkit reads {})", f[1], kFormatVersion));
      kver = std::string(f[2]);
    } else if (f[0] == "module" && f.size() == 4 && !f[1].empty()) {
      modules.push_back({std::string(f[1]), std::string(f[2]), std::string(f[3])});
    } else if (f[0] == "alias" && f.size() == 3 && !f[1].empty()) {
      aliases.emplace_back(f[1], f[2]);
    } else if (!line.empty()) {
      throw bad(fmt::format("unexpected line '{}'", line.substr(0, 80)));
    }
  }
  if (line_no == 0) throw bad("empty");
  try {
    return DriverIndex::make(std::move(kver), std::move(modules), aliases);
  } catch (const Error& e) {
    throw Error(ErrorKind::Input, fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace kmpkit::hardware
