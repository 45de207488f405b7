#pragma once
// Which devices an install is for: the --hardware argument of `kmpkit install` read into the plain
// modalias list that zypper's ZYPP_MODALIAS_SYSFS accepts.
#include <string>
#include <vector>

#include "hardware/device_source.hpp"

namespace kmpkit::install {

// The name that means "the devices of the machine kmpkit runs on" (its /sys/devices).
using hardware::kThisMachine;

// The device modaliases of `source`: a hardware profile's modalias.tsv, a plain list (one modalias a
// line), a sysfs-like tree (every file named `modalias`), or kThisMachine. Throws Error(Input) when
// it cannot be read, Error(Usage) when it names no device.
std::vector<std::string> read_hardware(const std::string& source);

}  // namespace kmpkit::install
