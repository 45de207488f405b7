#pragma once
// `kmpkit kmp build`: a module source (a DKMS source with dkms.conf, or a plain Kbuild directory)
// compiled against one kernel's build tree into a KMP named by its KABI, published into an rpm-md
// repository. Every step that can fail comes before anything is published: a source that does
// not compile, headers that are missing or of another kernel, a BUILD_EXCLUSIVE_* that excludes
// the kernel, a module dkms.conf names that the build did not make.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"

namespace kmpkit::kmp {

// The source declines the kernel (dkms.conf's BUILD_EXCLUSIVE_*): not a failure of the build, a
// decision of the source, which the command line reports with its own exit code.
class KernelExcluded : public Error {
 public:
  explicit KernelExcluded(const std::string& message) : Error(ErrorKind::Usage, message) {}
};

struct KmpBuildOptions {
  std::string source_dir;   // DKMS source (dkms.conf) or Kbuild directory
  std::string root;         // "" = this system; else an unpacked kernel (ROOT/lib/modules/KVER, ROOT/usr/src/...)
  std::string kver;         // "" = default_kernel_release(root)
  std::string repo_dir;     // the rpm-md repository the rpms are added to (created when missing)
  std::string sign_key, sign_cert;  // both or neither
  std::string gpg_key;      // sign the rpms and the repository metadata with this GNUPGHOME key ("" = not)
  std::string name;         // plain Kbuild: the driver's name (default: the directory's name before "-VERSION")
  std::string version;      // plain Kbuild: the driver's version (default: the modules' modinfo version, else "0")
  std::string release = "1";
  std::string work_dir;     // "" = a new directory under $TMPDIR (removed after success)
  bool keep_work = false;
  unsigned jobs = 0;        // make -j
  std::string kmpkit_binary;  // pinned as the specs' generator
};

struct KmpModule {
  std::string path;          // in the package: /lib/modules/KVER/updates/NAME.ko
  std::string name;
  std::string version;       // modinfo version
  std::string signer;        // "" = unsigned
  uint64_t bytes = 0;
};

struct KmpBuildResult {
  std::string source_kind;   // "dkms" or "kbuild"
  std::string driver, version, release, kver, flavor, kabi;
  std::string package, base_name;
  std::string cert_package;  // "" = unsigned
  std::vector<KmpModule> modules;
  std::vector<std::string> rpms;  // paths under the repository
  std::string repo_dir;
  double compile_seconds = 0, package_seconds = 0, total_seconds = 0;
  std::string work_dir;      // kept (--keep-work), else ""
  std::vector<std::string> notes;  // what the build did beyond compiling, or skipped as DKMS does
};

// Throws Error: Usage (bad options, an unreadable dkms.conf, neither dkms.conf nor Kbuild/Makefile),
// Input (source, build tree, sign-file or a tool missing; headers of another kernel; a module
// built for another release), KernelExcluded (BUILD_EXCLUSIVE_*), Tool (the source does not compile, the
// build did not make a module dkms.conf names, signing, rpmbuild or createrepo_c failed), Write.
// A failure after compiling started keeps the work directory (the message names it and the log).
KmpBuildResult build_kmp(const KmpBuildOptions& options);

std::string kmp_build_text(const KmpBuildResult& result);
nlohmann::ordered_json kmp_build_json(const KmpBuildResult& result);

}  // namespace kmpkit::kmp
