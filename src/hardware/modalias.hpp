#pragma once
// Device modaliases: where they come from (a captured profile's modalias.tsv, a sysfs tree, a plain
// list) and how they are matched, the way libzypp does for `Supplements: modalias(...)` and the
// way modprobe does for module aliases.
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::hardware {

struct Device {
  std::string sysfs_path;  // e.g. /devices/pci0000:00/0000:00:02.0/modalias ("" for plain lists)
  std::string modalias;    // the first line of that file
};

// modalias.tsv of a hardware profile: "<sysfs path>\t<modalias>" a line. Throws on an unreadable file.
std::vector<Device> read_modalias_tsv(const std::string& path);
// The same from the file's text.
std::vector<Device> parse_modalias_tsv(std::string_view text);

// Writes each device's modalias into `<dir><sysfs path>`: a fake sysfs tree for ZYPP_MODALIAS_SYSFS.
void write_fake_sysfs(const std::vector<Device>& devices, const std::string& dir);

// Every file named "modalias" below `dir` (symlinks and dot-names skipped) as a device whose path is
// `prefix` + its path below `dir` ("/devices/.../modalias" for /sys/devices with prefix "/devices").
std::vector<Device> read_sysfs_devices(const std::string& dir, const std::string& prefix = "");

// What libzypp reads from ZYPP_MODALIAS_SYSFS: a directory walked recursively (the first line of every
// file named "modalias"; symlinks and dot-names skipped), or a plain file with one modalias a line.
std::vector<std::string> read_modaliases(const std::string& sysfs_or_list);

// libzypp's match of a Supplements pattern (the part after "kernel-FLAVOR:"): %XX decoded, then
// fnmatch(pattern, device, 0).
bool supplement_matches(std::string_view encoded_pattern, std::string_view device);
std::string decode_percent(std::string_view s);

// modprobe's match of a module alias (as written in .modinfo) against a device modalias.
bool alias_matches(std::string_view alias, std::string_view device);

// The bus of a modalias: the text before the first ':' ("pci", "usb", "virtio", ...).
std::string bus_of(std::string_view modalias);

}  // namespace kmpkit::hardware
