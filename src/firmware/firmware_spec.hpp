#pragma once
// The firmware packages as one rpm spec (DIR/firmware.spec), its file lists (DIR/lists/) and the
// manifest `kmpkit build DIR` reads: the firmware files reach the packages byte for byte (the KMPs'
// %kmpkit_keep_modules_intact: no strip, no brp step), symbolic links as links, noarch, with no
// generated dependencies; each package's Provides are written out (the plan's firmware(NAME)); its
// scripts ask kmpkit for a refresh, so that an initrd holding the driver follows its firmware.
#include <string>

#include "firmware/firmware_plan.hpp"
#include "firmware/firmware_tree.hpp"
#include "spec/manifest.hpp"

namespace kmpkit::firmware {

struct FirmwareSpecOptions {
  std::string out_dir;
  std::string payload = "w9.zstdio";
  unsigned jobs = 0;
};

inline constexpr const char* kFirmwareSpec = "firmware.spec";

// Writes DIR/firmware.spec, DIR/lists/* and DIR/kmpkit-split.json (earlier specs and lists in DIR are
// replaced). Throws Error(Write).
spec::SplitManifest write_firmware_spec(const FirmwarePlan& plan, const FirmwareTree& tree, const FirmwareSpecOptions& options);

}  // namespace kmpkit::firmware
