#pragma once
// Where the kernel's firmware loader looks for a file a driver requests (6.1,
// drivers/base/firmware_loader/main.c): NAME, then NAME.zst, then NAME.xz (CONFIG_FW_LOADER_COMPRESS,
// since 5.3), each in /lib/firmware/updates/KVER, /lib/firmware/updates, /lib/firmware/KVER and
// /lib/firmware. Shared by kmpkit verify, the initrd check and the firmware packages.
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit {

// The suffixes of compressed firmware files, in the order the kernel tries them.
inline constexpr std::string_view kFirmwareCompressionSuffixes[] = {".zst", ".xz"};

// The paths (inside a root) the kernel tries for NAME, in its order.
std::vector<std::string> firmware_candidates(const std::string& kver, const std::string& name);

// The first candidate that is a regular file in ROOT ("" = the running system), "" when none is.
std::string find_firmware(const std::string& root, const std::string& kver, const std::string& name);

}  // namespace kmpkit
