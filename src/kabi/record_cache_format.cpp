#include "kabi/record_cache_format.hpp"

#include <charconv>

#include <fmt/format.h>

namespace kmpkit::kabi {
namespace {

constexpr std::string_view kMagic = "kmpkit-kabi-records 1 ";

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

}  // namespace

std::string record_cache_header(const std::string& module_dir) { return fmt::format("{}{}\n", kMagic, module_dir); }

std::unordered_map<std::string, CachedRecord> parse_record_cache(std::string_view all, const std::string& module_dir) {
  std::unordered_map<std::string, CachedRecord> out;
  if (!all.starts_with(kMagic)) return out;
  auto nl = all.find('\n');
  if (nl == std::string_view::npos || all.substr(kMagic.size(), nl - kMagic.size()) != module_dir) return out;
  all.remove_prefix(nl + 1);
  CachedRecord* cur = nullptr;
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

}  // namespace kmpkit::kabi
