#include "module/kernel_files.hpp"

#include <zlib.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string_view>

namespace kmpkit {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

std::optional<std::vector<std::string>> read_lines(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::nullopt;
  std::vector<std::string> lines;
  std::string_view rest = *text;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    lines.emplace_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return lines;
}

// A file's text, gunzipped when it is gzip-compressed (SUSE keeps /boot/symvers-KVER.gz): zlib reads
// plain files as they are. nullopt: unreadable, corrupt, truncated, or unpacking to more than
// kMaxGunzippedBytes (a real symvers is a few MB; a small crafted .gz must not take the memory).
std::optional<std::string> read_maybe_gzipped(const std::string& path) {
  gzFile f = ::gzopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  std::string text;
  char buf[65536];
  int n;
  while ((n = ::gzread(f, buf, sizeof buf)) > 0) {
    if (text.size() + static_cast<size_t>(n) > kMaxGunzippedBytes) {
      ::gzclose(f);
      return std::nullopt;
    }
    text.append(buf, static_cast<size_t>(n));
  }
  // A truncated stream ends like a complete one; zlib tells it apart only through gzerror.
  int err = Z_OK;
  ::gzerror(f, &err);
  bool ok = n == 0 && err == Z_OK;
  ::gzclose(f);
  if (!ok) return std::nullopt;
  return text;
}

std::optional<std::vector<SymversEntry>> read_symvers(const std::string& path, size_t* bad_lines) {
  auto text = read_maybe_gzipped(path);
  if (!text) return std::nullopt;
  return parse_symvers(*text, bad_lines);
}

std::vector<SymversEntry> parse_symvers(std::string_view text, size_t* bad_lines) {
  std::vector<std::string> lines_v;
  for (std::string_view rest = text; !rest.empty();) {
    auto nl = rest.find('\n');
    lines_v.emplace_back(rest.substr(0, nl));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  auto lines = &lines_v;
  std::vector<SymversEntry> out;
  out.reserve(lines->size());
  size_t bad = 0;
  for (const auto& line : *lines) {
    if (line.empty()) continue;
    std::vector<std::string_view> cols;
    std::string_view rest = line;
    while (true) {
      auto tab = rest.find('\t');
      cols.push_back(rest.substr(0, tab));
      if (tab == std::string_view::npos) break;
      rest.remove_prefix(tab + 1);
    }
    if (cols.size() < 3) { ++bad; continue; }
    std::string_view crc = cols[0];
    if (crc.starts_with("0x") || crc.starts_with("0X")) crc.remove_prefix(2);
    SymversEntry e;
    auto [p, ec] = std::from_chars(crc.data(), crc.data() + crc.size(), e.crc, 16);
    if (ec != std::errc() || p != crc.data() + crc.size()) { ++bad; continue; }
    e.symbol = cols[1];
    e.module = cols[2];
    if (cols.size() > 3) e.export_type = cols[3];
    if (cols.size() > 4) e.ns = cols[4];
    out.push_back(std::move(e));
  }
  if (bad_lines) *bad_lines = bad;
  return out;
}

std::optional<std::vector<BuiltinModinfo>> read_builtin_modinfo(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::nullopt;
  return parse_builtin_modinfo(*text);
}

std::vector<BuiltinModinfo> parse_builtin_modinfo(std::string_view text) {
  std::vector<BuiltinModinfo> out;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto nul = rest.find('\0');
    std::string_view rec = rest.substr(0, nul);
    rest.remove_prefix(nul == std::string_view::npos ? rest.size() : nul + 1);
    if (rec.empty()) continue;
    auto dot = rec.find('.');
    auto eq = rec.find('=');
    if (dot == std::string_view::npos || eq == std::string_view::npos || dot > eq) continue;
    out.push_back({std::string(rec.substr(0, dot)), std::string(rec.substr(dot + 1, eq - dot - 1)),
                   std::string(rec.substr(eq + 1))});
  }
  return out;
}

}  // namespace kmpkit
