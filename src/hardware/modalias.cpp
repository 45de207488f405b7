#include "hardware/modalias.hpp"
#include "util/error.hpp"

#include <fnmatch.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace kmpkit::hardware {

std::vector<Device> read_modalias_tsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::Input, fmt::format("cannot read {}", path));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_modalias_tsv(text);
}

std::vector<Device> parse_modalias_tsv(std::string_view text) {
  std::vector<Device> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line[0] == '#') continue;
    auto tab = line.find('\t');
    if (tab == std::string_view::npos) out.push_back({"", std::string(line)});
    else out.push_back({std::string(line.substr(0, tab)), std::string(line.substr(tab + 1))});
  }
  return out;
}

void write_fake_sysfs(const std::vector<Device>& devices, const std::string& dir) {
  size_t n = 0;
  for (const auto& d : devices) {
    // Devices without a sysfs path still need a distinct file named "modalias".
    std::string rel = d.sysfs_path.empty() ? fmt::format("/devices/list/{}/modalias", n) : d.sysfs_path;
    ++n;
    fs::path p = fs::path(dir) / fs::path(rel).relative_path();
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::trunc);
    out << d.modalias << "\n";
    if (!out) throw Error(ErrorKind::Write, fmt::format("cannot write {}", p.string()));
  }
}

std::vector<Device> read_sysfs_devices(const std::string& dir, const std::string& prefix) {
  std::vector<Device> out;
  std::error_code ec;
  auto first_line = [](const fs::path& p) {
    std::ifstream in(p);
    std::string l;
    std::getline(in, l);
    return l;
  };
  auto opts = fs::directory_options::skip_permission_denied;
  for (auto it = fs::recursive_directory_iterator(dir, opts, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink(ec)) {  // sysfs is full of loops
      it.disable_recursion_pending();
      continue;
    }
    if (name == "modalias" && it->is_regular_file(ec)) {
      std::string l = first_line(it->path());
      if (!l.empty()) out.push_back({prefix + "/" + it->path().lexically_relative(dir).string(), l});
    }
  }
  return out;
}

std::vector<std::string> read_modaliases(const std::string& source) {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_directory(source, ec)) {
    for (auto& d : read_sysfs_devices(source)) out.push_back(std::move(d.modalias));
    return out;
  }
  std::ifstream in(source);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

std::string decode_percent(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int a = hex(s[i + 1]), b = hex(s[i + 2]);
      if (a >= 0 && b >= 0) {
        out += static_cast<char>(a * 16 + b);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

bool supplement_matches(std::string_view encoded_pattern, std::string_view device) {
  std::string p = decode_percent(encoded_pattern), d(device);
  return ::fnmatch(p.c_str(), d.c_str(), 0) == 0;
}

bool alias_matches(std::string_view alias, std::string_view device) {
  std::string a(alias), d(device);
  return ::fnmatch(a.c_str(), d.c_str(), 0) == 0;
}

std::string bus_of(std::string_view modalias) {
  auto c = modalias.find(':');
  return std::string(c == std::string_view::npos ? modalias : modalias.substr(0, c));
}

}  // namespace kmpkit::hardware
