#pragma once
// What kmpkit remembers about a kernel's initrd: which modules it holds, which dracut modules made
// it, and the kernel's module files when it was made. Comparing that with the module tree now
// tells whether a transaction changed something the initrd holds or would take (docs/boot.md).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::initrd {

// A module file as depmod chose it for a name. Its identity is path, size and mtime (rpm installs
// files with their packaged mtime): not the inode, which a copy of the system (an image made with
// mkfs -d, a restore) changes for every file.
struct ModuleFile {
  std::string name;  // kmod name (underscores)
  std::string path;  // relative to lib/modules/KVER (absolute for external modules)
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const ModuleFile&) const = default;
};

// A firmware file a module of the initrd names, as the kernel finds it in the root (path "" when
// absent); dracut copies the present ones.
struct FirmwareFile {
  std::string module;  // kmod name
  std::string name;    // as the module names it (modinfo firmware)
  std::string path;    // where it was found, inside the root; "" when absent
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FirmwareFile&) const = default;
};

struct InitrdRecord {
  std::string image;            // /boot/initrd-KVER (inside the root)
  uint64_t image_size = 0;
  int64_t image_mtime_ns = 0;
  std::vector<std::string> modules;         // kernel modules in the initrd, sorted
  std::vector<std::string> dracut_modules;  // dracut modules it includes (lsinitrd), in its order
  std::vector<ModuleFile> installed;        // the kernel's modules when it was made, by name
  std::vector<FirmwareFile> firmware;       // the firmware its modules name, when it was made
  bool has_firmware = false;                // recorded (records before firmware packages lack it)
};

// Where things live inside a root ("" or "/" = the running system).
struct InitrdPaths {
  std::string root;
  std::string kver;
  std::string in_root(const std::string& path) const;  // root + path
  std::string image() const { return "/boot/initrd-" + kver; }                            // inside the root
  std::string record() const { return "/var/lib/kmpkit/initrd/" + kver + ".json"; }      // inside the root
  std::string pending() const { return "/var/lib/kmpkit/initrd/" + kver + ".pending"; }  // inside the root
  std::string erase_mark() const { return "/var/lib/kmpkit/initrd/erased"; }             // a KMP was erased
  std::string log() const { return "/var/log/kmpkit/initrd.log"; }                       // one line a dracut run
  std::string module_dir() const { return "/lib/modules/" + kver; }
  std::string kernel_image() const { return module_dir() + "/vmlinuz"; }
};

std::optional<InitrdRecord> read_record(const std::string& file);
// The record's text (JSON); nullopt when it is damaged (the initrd is then made again).
std::optional<InitrdRecord> parse_record(std::string_view text);
// Written to a temporary name and renamed; false on a write error.
bool write_record(const std::string& file, const InitrdRecord& record);

// The modules of a kernel as its module database lists them (modules.dep: depmod's choice among
// duplicates), with their identities; nullopt when there is no modules.dep.
std::optional<std::vector<ModuleFile>> installed_modules(const InitrdPaths& paths);

// Kernels with a kernel image in the root (ROOT/lib/modules/*/vmlinuz), sorted.
std::vector<std::string> installed_kernels(const std::string& root);

// "ext4-foo.ko.zst" → "ext4_foo": the kmod name of a module file path.
std::string module_name_of(const std::string& path);

}  // namespace kmpkit::initrd
