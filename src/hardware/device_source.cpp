#include "hardware/device_source.hpp"

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::hardware {

std::vector<Device> read_devices(const std::string& source) {
  std::vector<Device> all;
  std::error_code ec;
  if (source == kThisMachine) all = read_sysfs_devices("/sys/devices", "/devices");
  else if (fs::is_directory(source, ec)) all = read_sysfs_devices(source);
  else all = read_modalias_tsv(source);  // profile lines and bare modaliases alike
  std::vector<Device> out;
  std::set<std::string> seen;
  for (auto& d : all) {
    if (!seen.insert(d.modalias).second) continue;
    // The device is the folder that holds the modalias file.
    if (d.sysfs_path.ends_with("/modalias")) d.sysfs_path.resize(d.sysfs_path.size() - 9);
    out.push_back(std::move(d));
  }
  if (out.empty()) throw Error(ErrorKind::Usage, fmt::format("{} names no device (no modalias in it)", source));
  return out;
}

}  // namespace kmpkit::hardware
