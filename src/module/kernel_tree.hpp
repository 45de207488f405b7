#pragma once
// Where the parts of an installed (or unpacked) kernel live under a base directory.
#include <optional>
#include <string>

namespace kmpkit {

struct KernelTree {
  std::string basedir;     // "" for the running system
  std::string kver;        // kernel release, e.g. 6.1.0-56-amd64
  std::string module_dir;  // basedir/lib/modules/kver
  std::optional<std::string> symvers;          // Module.symvers, wherever this layout keeps it
  std::optional<std::string> builtin;          // modules.builtin
  std::optional<std::string> builtin_modinfo;  // modules.builtin.modinfo
  std::optional<std::string> order;            // modules.order
  std::optional<std::string> system_map;
  std::optional<std::string> image;            // vmlinuz
  std::optional<std::string> config;
};

// Locates the files. Module.symvers is searched in the module dir, build/ (a link that may be
// absolute: resolved inside basedir), basedir/usr/src/linux-headers-KVER and basedir/boot.
KernelTree locate_kernel_tree(const std::string& basedir, const std::string& kver);

// Resolves `path` (which may contain absolute symlinks) as if basedir were "/".
std::string resolve_in_root(const std::string& basedir, const std::string& path);

}  // namespace kmpkit
