#pragma once
// `kmpkit drivers`: every device of a machine with the module that would drive it, the package that
// ships that module and its state (loaded, installed, built in, available in a repository, known
// only from the kernel package's offline index, or no driver at all); and for every installed KMP,
// why it is there.
#include <optional>
#include <string>
#include <vector>

#include "hardware/modalias.hpp"

namespace kmpkit::drivers {

// Best first: a device's state is the best of its candidates'.
enum class DriverState { Loaded, BuiltIn, Installed, Available, InIndex, None };
const char* state_name(DriverState s);  // "loaded", "built-in", "installed", "available", "in-index", "no-driver"

struct DriverCandidate {
  std::string module;
  std::string package;  // "" for built-in modules and unowned files
  DriverState state = DriverState::None;
};

struct DeviceDrivers {
  hardware::Device device;
  std::vector<DriverCandidate> drivers;  // best state first, then by module
  DriverState state = DriverState::None;
};

struct InstallReason {
  std::string kind;    // "device", "required-by", "pattern", "recommended-by", "supplements", "filesystem", "user", "none"
  std::string detail;  // the device, the package and the dependency, ...
};

struct InstalledKmp {
  std::string package;
  std::vector<std::string> modules;
  std::vector<InstallReason> reasons;
};

struct DriversRequest {
  std::string root = "/";
  std::string kernel;                     // "" = the running kernel (root /), else the newest with an index
  std::vector<hardware::Device> devices;  // read by hardware::read_devices
  std::vector<std::string> repos;         // rpm-md directories; the root's configured local ones are added
  bool explain = true;                    // the installed KMPs and why (needs the root's rpm database)
};

struct DriversReport {
  std::string root;
  std::string kernel;
  std::string index_path;  // "" when the kernel has no offline index
  std::vector<std::string> repos;
  std::vector<DeviceDrivers> devices;
  std::vector<InstalledKmp> kmps;
  std::vector<std::string> notes;  // what could not be looked at (no rpm database, unreadable repository)

  // Packages that would drive a device that has no driver installed: what `--install` installs.
  std::vector<std::string> missing_packages() const;
};

// Throws Error(Input) when the kernel's modules are not in the root.
DriversReport report_drivers(const DriversRequest& request);

// uname -r.
std::string running_kernel();

// The kernel releases of ROOT/lib/modules, newest first.
std::vector<std::string> installed_kernels(const std::string& root);

}  // namespace kmpkit::drivers
