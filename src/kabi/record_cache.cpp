#include "kabi/record_cache.hpp"

#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include <fmt/format.h>

#include "module/kernel_files.hpp"

namespace fs = std::filesystem;

namespace kmpkit::kabi {
namespace {

// Line format (text, one record after another):
//   kmpkit-kabi-records 1 MODULE_DIR
//   M SIZE MTIME_NS INODE PATH      a module; the lines below belong to it
//   N NAME
//   I KEY=VALUE                     modinfo, in order (no "alias": not needed here)
//   V CRC NAME                      __versions
//   E CRC NAME                      exports
//   D CRC W NAME                    dependency symbols (W: 1 weak, 0 not)
constexpr std::string_view kMagic = "kmpkit-kabi-records 1 ";
constexpr unsigned kParts = kReadVersions | kReadExports | kReadDependencySymbols;

template <typename T>
bool parse_number(std::string_view s, T& out, int base = 10) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out, base);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Splits off the first space-separated field.
std::string_view field(std::string_view& rest) {
  auto sp = rest.find(' ');
  auto f = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  return f;
}

struct Cached {
  FileIdentity id;
  ModuleRecord record;
};

// path → record; empty when the file is missing or not a cache of this directory.
std::unordered_map<std::string, Cached> load(const std::string& cache_file, const std::string& module_dir) {
  std::unordered_map<std::string, Cached> out;
  auto text = read_file(cache_file);
  if (!text || !text->starts_with(kMagic)) return out;
  std::string_view all = *text;
  auto nl = all.find('\n');
  if (nl == std::string_view::npos || all.substr(kMagic.size(), nl - kMagic.size()) != module_dir) return out;
  all.remove_prefix(nl + 1);
  Cached* cur = nullptr;
  while (!all.empty()) {
    nl = all.find('\n');
    if (nl == std::string_view::npos) return {};  // truncated: not trusted
    std::string_view line = all.substr(0, nl);
    all.remove_prefix(nl + 1);
    if (line.size() < 2 || line[1] != ' ') return {};
    std::string_view rest = line.substr(2);
    char kind = line[0];
    if (kind == 'M') {
      FileIdentity id;
      if (!parse_number(field(rest), id.size) || !parse_number(field(rest), id.mtime_ns) ||
          !parse_number(field(rest), id.inode) || rest.empty())
        return {};
      cur = &out[std::string(rest)];
      cur->id = id;
      cur->record.path = std::string(rest);
      continue;
    }
    if (!cur) return {};
    ModuleRecord& m = cur->record;
    if (kind == 'N') {
      m.name = std::string(rest);
    } else if (kind == 'I') {
      auto eq = rest.find('=');
      if (eq == std::string_view::npos) return {};
      m.modinfo.push_back({std::string(rest.substr(0, eq)), std::string(rest.substr(eq + 1))});
    } else if (kind == 'V' || kind == 'E' || kind == 'D') {
      uint64_t crc = 0;
      if (!parse_number(field(rest), crc, 16)) return {};
      bool weak = false;
      if (kind == 'D') {
        auto w = field(rest);
        if (w != "0" && w != "1") return {};
        weak = w == "1";
      }
      if (rest.empty()) return {};
      if (kind == 'V') m.versions.push_back({std::string(rest), crc, false});
      else if (kind == 'E') m.exports.push_back({std::string(rest), crc});
      else m.dependency_symbols.push_back({std::string(rest), crc, weak});
    } else {
      return {};
    }
  }
  return out;
}

void append_record(std::string& s, const FileIdentity& id, const ModuleRecord& m) {
  s += fmt::format("M {} {} {} {}\nN {}\n", id.size, id.mtime_ns, id.inode, m.path, m.name);
  for (const auto& f : m.modinfo)
    if (f.key != "alias" && f.value.find('\n') == std::string::npos) s += fmt::format("I {}={}\n", f.key, f.value);
  for (const auto& v : m.versions) s += fmt::format("V {:x} {}\n", v.crc, v.name);
  for (const auto& e : m.exports) s += fmt::format("E {:x} {}\n", e.crc, e.name);
  for (const auto& d : m.dependency_symbols) s += fmt::format("D {:x} {} {}\n", d.crc, d.weak ? 1 : 0, d.name);
}

void save(const std::string& cache_file, const std::string& text) {
  std::error_code ec;
  fs::create_directories(fs::path(cache_file).parent_path(), ec);
  std::string tmp = cache_file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return;
    out << text;
    out.flush();
    if (!out) {
      ::unlink(tmp.c_str());
      return;
    }
  }
  fs::rename(tmp, cache_file, ec);
  if (ec) ::unlink(tmp.c_str());
}


}  // namespace

std::string record_cache_path(const std::string& root, const std::string& kver) {
  return (root == "/" ? std::string() : root) + "/var/cache/kmpkit/weak-updates/" + kver;
}

CachedScan read_with_cache(const std::vector<WalkedFile>& files, const std::string& module_dir,
                           const std::string& cache_file, unsigned threads) {
  CachedScan out;
  auto cache = cache_file.empty() ? std::unordered_map<std::string, Cached>{} : load(cache_file, module_dir);
  std::vector<std::string> to_read;
  std::vector<std::optional<ModuleRecord>> slots(files.size());
  std::vector<size_t> read_slot;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    auto it = cache.find(relative_path(f.path, module_dir));
    if (it != cache.end() && it->second.id == f.identity()) {
      ModuleRecord m = std::move(it->second.record);
      m.file = f.path;
      m.size = f.size;
      m.mtime_ns = f.mtime_ns;
      m.inode = f.inode;
      slots[i] = std::move(m);
      out.reused++;
    } else {
      to_read.push_back(f.path);
      read_slot.push_back(i);
    }
  }
  if (!to_read.empty()) {
    TreeScan scan = read_modules(to_read, module_dir, threads, {}, kParts);
    out.read = to_read.size();
    out.errors = std::move(scan.errors);
    // read_modules keeps the order of the readable files: match them back by file name.
    size_t k = 0;
    for (auto& m : scan.modules) {
      while (k < to_read.size() && to_read[k] != m.file) ++k;
      if (k < to_read.size()) slots[read_slot[k++]] = std::move(m);
    }
  }
  bool rewrite = !cache_file.empty() && (out.read > 0 || cache.size() != out.reused);
  std::string text = rewrite ? fmt::format("{}{}\n", kMagic, module_dir) : std::string();
  for (size_t i = 0; i < files.size(); ++i)
    if (slots[i]) {
      if (rewrite) append_record(text, files[i].identity(), *slots[i]);
      out.modules.push_back(std::move(*slots[i]));
    }
  if (rewrite) save(cache_file, text);
  return out;
}

}  // namespace kmpkit::kabi
