#pragma once
// A kernel's build tree (Debian's linux-headers-KVER, a kernel-devel): where kbuild's `make -C`
// goes for out-of-tree modules, found for an installed kernel or one unpacked under a root, and
// checked to be the tree of that kernel.
#include <string>

namespace kmpkit::kmp {

struct KernelHeaders {
  std::string kver;
  std::string build_dir;    // the tree as found: ROOT/lib/modules/KVER/build, or ROOT/usr/src/linux-headers-KVER
  std::string make_dir;     // what `make -C` gets: build_dir, or a shadow of it (see find_kernel_headers)
  std::string config_file;  // build_dir/.config
  std::string symvers;      // build_dir/Module.symvers
  std::string sign_file;    // build_dir/scripts/sign-file ("" when the tree has none)
  std::string sig_hash;     // CONFIG_MODULE_SIG_HASH ("sha256"; "" when unset)
};

// The kernel release to build for when none is given: ROOT/KVER (an unpacked kernel of
// scripts/fetch-kernel.sh), else the only directory of ROOT/lib/modules; with no root the running
// kernel (uname -r). Throws Error(Input) when there is none or several, naming them.
std::string default_kernel_release(const std::string& root);

// Finds and checks KVER's build tree under ROOT ("" = this system). Debian's headers Makefile is
// "include /usr/src/linux-headers-KVER-common/Makefile", an absolute path that under an unpacked
// root names a file of the host: then a shadow of the tree in WORK_DIR (links to each entry, the
// Makefile's include pointed into ROOT) is make's directory. Throws Error(Input): no build tree
// (which package to install), a tree of another kernel (include/generated/utsrelease.h), no
// Module.symvers or .config.
KernelHeaders find_kernel_headers(const std::string& root, const std::string& kver, const std::string& work_dir);

}  // namespace kmpkit::kmp
