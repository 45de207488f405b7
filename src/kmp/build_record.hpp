#pragma once
// What built an external KMP, shipped in the KMP itself (/usr/lib/kmpkit/kmp/PACKAGE.build): the
// driver, the kernel it was built for, its modules and how to build it again. When a later kernel
// cannot use the build (its KABI changed), kmpkit names the exact `kmpkit kmp build` command for
// that kernel (kmp_coverage), on a system that has no other trace of where the driver came from.
#include <string>
#include <vector>

namespace kmpkit::kmp {

// Inside a root; one file per KMP package (its name carries the KABI id, so the builds of one
// driver for several kernels never share a path).
inline constexpr const char* kBuildRecordDir = "/usr/lib/kmpkit/kmp";

struct BuildRecord {
  std::string package;    // vpoll-kmp-amd64-ca52c1d7
  std::string base_name;  // vpoll-kmp-amd64
  std::string driver;     // vpoll
  std::string version;    // the package's version (the driver's)
  std::string release;
  std::string kver;       // the kernel it was built for
  std::vector<std::string> modules;  // relative to lib/modules/KVER: updates/vpoll.ko
  std::string source_dir;            // absolute, as on the build machine
  std::string repo_dir;              // where it was published
  std::vector<std::string> options;  // the naming and signing options to repeat: --name N, --sign-key K ...
};

// The record's path inside a root.
std::string build_record_path(const std::string& package);

// key=value lines (module=, option= repeat). Parse throws Error(Input) naming `origin` and the line.
std::string format_build_record(const BuildRecord& record);
BuildRecord parse_build_record(const std::string& text, const std::string& origin);

// Every record installed in ROOT ("" = /), sorted by package name; unreadable or bad files are
// returned in `problems` ("FILE: why"), not thrown.
std::vector<BuildRecord> installed_build_records(const std::string& root, std::vector<std::string>* problems = nullptr);

// The command that builds the same driver for KVER into the same repository, quoted for a shell.
std::string rebuild_command(const BuildRecord& record, const std::string& kver);

}  // namespace kmpkit::kmp
