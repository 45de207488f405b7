#pragma once
// The firmware of the modules an initrd holds: dracut copies each file a module names (modinfo
// firmware lines) that is present when it makes the initrd, so a firmware package installed,
// updated or removed afterwards leaves the initrd out of date for that driver. The record keeps
// what was there; the check compares it with the root now.
#include <cstdint>
#include <string>
#include <vector>

#include "initrd/initrd_record.hpp"

namespace kmpkit::initrd {

// The firmware files the initrd's modules name, each as the kernel would find it in the root now
// (path "" when absent), sorted by module and name.
std::vector<FirmwareFile> initrd_firmware(const InitrdPaths& paths, const std::vector<std::string>& initrd_modules,
                                          const std::vector<ModuleFile>& installed);

// Why the initrd no longer fits the firmware ("ath9k_htc: firmware ath9k_htc/htc_9271-1.4.0.fw
// came"), empty when nothing changed.
std::vector<std::string> firmware_changes(const std::vector<FirmwareFile>& before, const std::vector<FirmwareFile>& now);

}  // namespace kmpkit::initrd
