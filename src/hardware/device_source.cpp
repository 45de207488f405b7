#include "hardware/device_source.hpp"

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::hardware {
namespace {

std::string first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string l;
  std::getline(in, l);
  return l;
}

// Every file named "modalias" below `dir` (symlinks not followed: sysfs is full of loops).
std::vector<Device> walk(const fs::path& dir, const std::string& prefix) {
  std::vector<Device> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code e2;
    if (it->is_symlink(e2)) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->path().filename() == "modalias" && it->is_regular_file(e2)) {
      std::string l = first_line(it->path());
      if (!l.empty()) out.push_back({prefix + "/" + it->path().parent_path().lexically_relative(dir).string(), l});
    }
  }
  return out;
}

}  // namespace

std::vector<Device> read_devices(const std::string& source) {
  std::vector<Device> all;
  std::error_code ec;
  if (source == kThisMachine) {
    all = walk("/sys/devices", "/devices");
  } else if (fs::is_directory(source, ec)) {
    all = walk(source, "");
  } else {
    std::ifstream in(source);
    if (!in) throw Error(ErrorKind::Input, fmt::format("cannot read the hardware list {}", source));
    for (std::string l; std::getline(in, l);) {
      if (l.empty() || l[0] == '#') continue;
      auto tab = l.find('\t');  // a profile's modalias.tsv: "<sysfs path>/modalias\t<modalias>"
      if (tab == std::string::npos) {
        all.push_back({"", l});
      } else {
        std::string path = l.substr(0, tab);
        if (path.size() > 9 && path.ends_with("/modalias")) path.resize(path.size() - 9);
        all.push_back({path, l.substr(tab + 1)});
      }
    }
  }
  std::vector<Device> out;
  std::set<std::string> seen;
  for (auto& d : all)
    if (seen.insert(d.modalias).second) out.push_back(std::move(d));
  if (out.empty()) throw Error(ErrorKind::Usage, fmt::format("{} names no device (no modalias in it)", source));
  return out;
}

}  // namespace kmpkit::hardware
