#pragma once
// kmpkit-host-base: a package that makes an empty install root able to run the kernel package's
// scriptlets: /bin/sh (the host's dash), the module-database tool of the file triggers, and the
// shared libraries they load (found with ldd), copied from the build host. For tests and demos
// (zypper/rpm --root into an empty directory); a real system has its own shell and kmod.
#include <string>
#include <vector>

namespace kmpkit::rpm {

inline constexpr const char* kHostBaseName = "kmpkit-host-base";

struct HostTool {
  std::string dest;    // path inside the root, e.g. /bin/sh
  std::string source;  // path on this host, e.g. /bin/dash
};

struct HostBaseOptions {
  std::string version = "1";
  std::string release = "1";
  std::vector<HostTool> tools;
};

// Shared libraries of a program as ldd lists them (absolute paths, the dynamic loader included).
std::vector<std::string> shared_libraries(const std::string& program);

// The spec text (throws std::runtime_error when a tool does not exist on this host).
std::string host_base_spec(const HostBaseOptions& options);

}  // namespace kmpkit::rpm
