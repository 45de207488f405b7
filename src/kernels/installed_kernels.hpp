#pragma once
// The kernels installed in a system (their packages in the rpm database) and which of them a purge
// keeps: SUSE's keep spec (zypp.conf multiversion.kernels), "latest,latest-1,running" by default.
#include <optional>
#include <string>
#include <vector>

namespace kmpkit::kernels {

struct InstalledKernel {
  std::string kver;     // 6.1.0-57-amd64 (kernel-uname-r)
  std::string package;  // kernel-amd64
  std::string version;  // 6.1.0
  std::string release;  // 57
};

// Every installed package providing kernel-uname-r, oldest first (rpm version order).
struct KernelList {
  std::vector<InstalledKernel> kernels;
  std::string error;  // rpm could not be queried
};
KernelList installed_kernel_packages(const std::string& root);

struct KeepDecision {
  std::vector<InstalledKernel> keep, remove;
  std::vector<std::string> why;  // one line per kernel
};

// Applies a keep spec ("latest", "latest-N", "oldest", "oldest+N", "running", a version-release)
// per package name (flavor). `running` is the running kernel's release ("" = none known).
KeepDecision decide_keep(const std::vector<InstalledKernel>& kernels, const std::string& spec, const std::string& running);

// -1, 0, 1 as rpm orders two version-release strings.
int compare_versions(const std::string& a, const std::string& b);

}  // namespace kmpkit::kernels
