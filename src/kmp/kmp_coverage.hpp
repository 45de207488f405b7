#pragma once
// Which installed kernels each installed external KMP serves (issue 11, across kernel updates):
// its own build for the kernel, a build for another kernel that weak-updates linked (its KABI
// fits), or none — then the kernel boots without the driver, and the user must build it for that
// kernel before rebooting. The links are what `kmpkit weak-updates` decided (the one check of
// fit); this only reads them, as modprobe would find the modules.
#include <string>
#include <vector>

#include "kmp/build_record.hpp"

namespace kmpkit::kmp {

enum class Service {
  OwnBuild,     // a build for this kernel is installed
  WeakUpdates,  // another kernel's build, linked under weak-updates/ (its KABI fits)
  InBoxModule,  // not linked: the kernel has its own module of that name (weak-updates never replaces one)
  NotServed,    // no build fits: the kernel has no such module
};
const char* service_name(Service s);  // own-build, weak-updates, in-box-module, not-served

struct KmpService {
  std::string base_name;  // the driver's KMPs: vpoll-kmp-amd64
  std::string kver;       // the kernel
  Service how = Service::NotServed;
  BuildRecord build;      // the build that serves it; else the newest build (what to build again)
  std::string detail;     // in-box-module: the kernel's own module path (relative to lib/modules/KVER)
};

// For each kernel (in the order given) and each driver (base name) with a record: how the kernel
// gets its modules. Paths are read inside ROOT ("" = /).
std::vector<KmpService> kmp_services(const std::string& root, const std::vector<std::string>& kernels,
                                     const std::vector<BuildRecord>& records);

// The message for a kernel the driver does not serve (NotServed or InBoxModule): what happens at
// the next boot and the command that builds the driver for that kernel. "" for the others.
std::string coverage_message(const KmpService& service);

}  // namespace kmpkit::kmp
