#pragma once
// kmpkit-host-base: a package that makes an empty install root able to run the kernel package's
// scriptlets: /bin/sh (the host's dash), the module-database tools of the file triggers (kmpkit and
// Debian's depmod), and the shared libraries they load (found with ldd), copied from the build host. For tests and demos
// (zypper/rpm --root into an empty directory); a real system has its own shell and kmod.
#include <string>
#include <utility>
#include <vector>

namespace kmpkit::spec {

inline constexpr const char* kHostBaseName = "kmpkit-host-base";
// Where the host base puts kmpkit (the default policy's trigger runs /usr/bin/kmpkit depmod) and
// Debian's depmod: both engines are in the root, so a policy can choose either.
inline constexpr const char* kHostKmpkitPath = "/usr/bin/kmpkit";
inline constexpr const char* kHostDepmodPath = "/sbin/depmod";

struct HostTool {
  HostTool(std::string d, std::string s, bool st = false, std::string ss = {})
      : dest(std::move(d)), source(std::move(s)), strip(st), spec_source(std::move(ss)) {}
  std::string dest;    // path inside the root, e.g. /bin/sh
  std::string source;  // path on this host, e.g. /bin/dash
  bool strip = false;  // strip debug information in the package (kmpkit: ~47 MB with it)
  std::string spec_source;  // how the spec names `source` ("" = its quoted path), e.g. %{_sourcedir}/bin/kmpkit
};

struct HostBaseOptions {
  std::string version = "1";
  std::string release = "1";
  std::vector<HostTool> tools;
  std::vector<std::string> libraries_of;  // programs (packaged elsewhere) whose libraries it carries
};

// The `kmpkit` package: the kmpkit that wrote the specs (DIR/bin/kmpkit, debug information
// stripped) as /usr/bin/kmpkit, which the kernel package's and the KMPs' scripts run. Its shared
// libraries come from the system (Debian: libkmod2, librpm9, libfmt9...; the host base carries
// them for empty roots).
inline constexpr const char* kToolPackageName = "kmpkit";
std::string tool_package_spec(const std::string& version, const std::string& release);

// Shared libraries of a program as ldd lists them (absolute paths, the dynamic loader included).
std::vector<std::string> shared_libraries(const std::string& program);

// The spec text (throws Error(Input) when a tool does not exist on this host).
std::string host_base_spec(const HostBaseOptions& options);

}  // namespace kmpkit::spec
