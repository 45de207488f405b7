#pragma once
// `kmpkit firmware split`: firmware trees + a kernel's module tree → firmware packages (specs and
// lists that `kmpkit build DIR` turns into a repository). One library call; docs/firmware.md.
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "firmware/driver_requests.hpp"
#include "firmware/firmware_plan.hpp"
#include "firmware/firmware_tree.hpp"
#include "spec/manifest.hpp"

namespace kmpkit::firmware {

struct FirmwareSplitRequest {
  std::vector<std::string> firmware_roots;
  std::string kernel_root;  // BASEDIR of lib/modules/KVER ("" = the running system)
  std::string kver;
  std::string out_dir;      // "" = plan only (nothing written)
  std::string version, release;  // override the sources' versions
  unsigned threads = 0;
  std::function<void(size_t, size_t)> progress;  // module reading
};

struct FirmwareSplitResult {
  FirmwareTree tree;
  DriverRequests requests;
  FirmwarePlan plan;
  spec::SplitManifest manifest;  // empty when nothing was written
  double seconds = 0;
};

// Throws Error: Input (a tree missing), Write.
FirmwareSplitResult run_firmware_split(const FirmwareSplitRequest& request);

// The report (`--json`, and DIR/kmpkit-firmware.json): sources, packages with their files and
// provides, the files no driver names, the check of requested names against the provides.
nlohmann::ordered_json firmware_report_json(const FirmwareSplitResult& result);

inline constexpr const char* kFirmwareReport = "kmpkit-firmware.json";

}  // namespace kmpkit::firmware
