#pragma once
// dkms.conf, read as DKMS reads it: a bash script sourced with the kernel's variables set
// (kernelver, arch, kernel_source_dir, dkms_tree, source_tree), whose variables then say what to
// build. v4l2loopback's decides BUILD_EXCLUSIVE_KERNEL from the kernel's .config, so the file is
// run by bash, not parsed; what bash leaves in the variables is parsed here.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kmpkit::kmp {

// One BUILT_MODULE_NAME[i] with its other per-module arrays.
struct DkmsModule {
  std::string name;            // BUILT_MODULE_NAME[i]: the file NAME.ko the build makes
  std::string built_location;  // BUILT_MODULE_LOCATION[i]: where, relative to the build directory ("" = there)
  std::string dest_location;   // DEST_MODULE_LOCATION[i]: "/kernel/...", "/extra", "/updates"
  std::string dest_name;       // DEST_MODULE_NAME[i] (default: name)
  bool strip = true;           // STRIP[i]: DKMS strips debug symbols unless "no"
};

struct DkmsConf {
  std::string package_name, package_version;
  std::vector<DkmsModule> modules;
  std::string make_command;  // the MAKE[i] DKMS would run for this kernel ("" = DKMS's default kbuild call)
  std::string build_exclusive_kernel, build_exclusive_arch;  // regular expressions (bash =~)
  std::vector<std::string> build_exclusive_config;           // CONFIG_X or !CONFIG_X
  std::vector<std::string> patches;  // PATCH[i] (files in the source's patches/) whose PATCH_MATCH[i]
                                     // matches kernelver (or is empty), in index order: patch -p1
  std::string pre_build, post_build;  // PRE_BUILD, POST_BUILD: scripts (with arguments) relative to the
                                      // build directory, run there before and after MAKE
};

// The variables DKMS sets before sourcing dkms.conf.
struct DkmsContext {
  std::string kernelver;          // 6.1.0-57-amd64
  std::string arch;               // x86_64
  std::string kernel_source_dir;  // the kernel's build tree (headers)
  std::string dkms_tree;          // builds happen in DKMS_TREE/NAME/VERSION/build
  std::string source_tree;        // the directory holding NAME-VERSION/
};

// Variables as the evaluation prints them: "NAME[INDEX]" → value (a scalar is index 0).
using DkmsVariables = std::map<std::string, std::string>;

// Parses "NAME[INDEX]\0VALUE\0..." (the evaluation's output).
DkmsVariables parse_variable_dump(const std::string& dump);

// The configuration from the variables; the MAKE[i] chosen by MAKE_MATCH[i] against kernelver as
// DKMS does (the last match, else MAKE[0]); the PATCH[i] that apply to kernelver. Throws
// Error(Usage) when PACKAGE_NAME, PACKAGE_VERSION or BUILT_MODULE_NAME[0] is missing, a module
// array names an index BUILT_MODULE_NAME lacks, or a PATCH is no file name.
DkmsConf dkms_conf_from_variables(const DkmsVariables& vars, const std::string& kernelver, const std::string& file);

// Sources FILE with bash in its directory, as DKMS does. Throws Error(Usage) when bash fails on it
// (the message quotes bash), Error(Input) when FILE or bash is missing.
DkmsConf read_dkms_conf(const std::string& file, const DkmsContext& context);

// Why BUILD_EXCLUSIVE_* excludes this kernel ("BUILD_EXCLUSIVE_KERNEL=\"^5\" does not match
// 6.1.0-57-amd64"), or nothing when the kernel is included. `kernel_config` is the text of the
// kernel's .config (a CONFIG_X counts when it is =y or =m).
std::optional<std::string> exclusion_reason(const DkmsConf& conf, const std::string& kernelver,
                                            const std::string& arch, const std::string& kernel_config);

// DKMS's module destination under lib/modules/KVER/updates/: DEST_MODULE_LOCATION without its
// first component ("/kernel/drivers/media" → "updates/drivers/media", "/extra" → "updates").
std::string updates_directory(const std::string& dest_location);

}  // namespace kmpkit::kmp
