#pragma once
// The scripts of the kernel package, the KMPs and the firmware packages (src/spec/, src/firmware/):
// when the module database, the weak-updates links and the initrd are made (docs/boot.md, "When the
// database and the initrd are made"), the zypp multiversion setting and the purge mark.
#include <string>
#include <vector>

#include "package/plan.hpp"
#include "spec/split.hpp"

namespace kmpkit::spec {

// Where the kernel package's and the KMPs' scripts find kmpkit (the `kmpkit` package).
inline constexpr const char* kKmpkitTool = "/usr/bin/kmpkit";
// Every kernel package ships this zypp setting (the same file and content): kernels install side
// by side (libzypp reads it from the system it installs into).
inline constexpr const char* kMultiversionConf = "/etc/zypp/multiversion.d/kmpkit-kernels.conf";

// The programs the kernel package's scripts run, each once (the kernel Requires them).
std::vector<std::string> script_programs(const SplitOptions& o, bool kabi_scheme);

// The kernel package's refresh script: its path, and the %install lines writing it (weak-updates
// in the kabi scheme, the depmod command, kmpkit initrd).
std::string refresh_script_path(const std::string& kver);
std::string refresh_script_install(const package::PackagePlan& plan, const SplitOptions& o);

// The kernel package's scripts: the transaction file triggers, %preun (kabi), %post, %posttrans.
std::string kernel_scripts(const package::PackagePlan& plan);
// The scripts of one KMP: %post, %postun, %posttrans.
std::string kmp_scripts(const std::string& name);
// The scripts of one firmware package: %post and %postun mark a refresh, %posttrans runs it (an
// initrd whose modules name a file that came, changed or went is made again: docs/firmware.md).
std::string firmware_scripts(const std::string& name);

}  // namespace kmpkit::spec
