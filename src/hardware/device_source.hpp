#pragma once
// The devices a command is about, with where each sits: a hardware profile's modalias.tsv, a
// sysfs-like tree, a plain modalias list, or this machine's /sys/devices.
#include <string>
#include <vector>

#include "hardware/modalias.hpp"

namespace kmpkit::hardware {

// The name that means "the devices of the machine kmpkit runs on" (its /sys/devices).
inline constexpr const char* kThisMachine = "this-machine";

// Devices of `source`, in source order, each modalias once (the first path that has it; CPUs and
// bridges repeat theirs). A tree's paths are relative to it with a leading '/', as in sysfs; a plain
// list has empty paths. Throws Error(Input) when it cannot be read, Error(Usage) when it names none.
std::vector<Device> read_devices(const std::string& source);

}  // namespace kmpkit::hardware
