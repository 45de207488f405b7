#include "install/hardware_source.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "hardware/modalias.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::install {

std::vector<std::string> read_hardware(const std::string& source) {
  std::string path = source == kThisMachine ? "/sys/devices" : source;
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(ErrorKind::Input, fmt::format("no such hardware list or tree: {} (a modalias.tsv, a list of "
                                              "modaliases, a sysfs-like tree, or '{}')", source, kThisMachine));
  std::vector<std::string> devices;
  if (fs::is_directory(path, ec)) {
    devices = hardware::read_modaliases(path);
  } else {
    // read_modalias_tsv takes both "<sysfs path>\t<modalias>" lines and bare modaliases.
    for (auto& d : hardware::read_modalias_tsv(path)) devices.push_back(d.modalias);
  }
  if (devices.empty())
    throw Error(ErrorKind::Usage, fmt::format("{} names no device (no modalias in it)", source));
  return devices;
}

}  // namespace kmpkit::install
