#pragma once
// Reading firmware trees: where a source keeps its firmware, what it holds (files, symbolic links,
// compressed files), the name a driver requests for each file, and each file's licence.
//
// A source root is one of:
// - an unpacked Debian firmware package (`dpkg-deb -x`): ROOT/lib/firmware (or usr/lib/firmware),
//   its name, version and licences from ROOT/usr/share/doc/PACKAGE/{copyright,changelog.Debian.gz};
// - the upstream linux-firmware tree: ROOT/WHENCE lists the files and links (links that are no
//   symbolic links in the tree are made in the package), the licences and the drivers;
// - any other firmware directory (ROOT/lib/firmware or ROOT itself): every file, licence unknown.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::firmware {

struct FirmwareSource {
  std::string root;            // absolute
  std::string firmware_dir;    // the directory that becomes /lib/firmware (absolute)
  std::string name;            // Debian package name, "linux-firmware" for a WHENCE tree, else the directory's name
  std::string version;         // rpm Version ("" when unknown)
  std::string release;         // rpm Release ("" when unknown)
  std::string copyright_file;  // the Debian copyright file, "" when none
  bool whence = false;         // WHENCE read
  size_t files = 0, links = 0;
  size_t whence_missing = 0;   // files WHENCE lists that the tree lacks (copy-firmware.sh skips them too)
  std::vector<std::string> not_in_whence;  // files of a WHENCE tree it does not list (scripts, licence texts)
};

struct FirmwareEntry {
  std::string path;          // as installed below /lib/firmware, e.g. "ath9k_htc/htc_9271-1.4.0.fw", "a.bin.zst"
  std::string name;          // what a driver requests: path without the .xz/.zst suffix
  size_t source = 0;
  bool link = false;
  bool whence_link = false;  // made from a WHENCE Link: line (no symbolic link in the tree)
  std::string link_target;   // the link's text
  std::string resolved;      // the regular entry a link leads to (through other links); "" when it leads nowhere
  uint64_t bytes = 0;        // size of a regular file
  std::string licence;       // rpm License value; "" when unknown
  std::vector<std::string> licence_files;  // licence texts to ship with it (absolute paths)
  std::string whence_driver; // the driver of its WHENCE stanza
};

struct FirmwareTree {
  std::vector<FirmwareSource> sources;
  std::vector<FirmwareEntry> entries;  // sorted by path, each path once
  std::vector<std::string> problems;   // entries left out or suspicious, each with the reason
};

// Reads every root in order (a path two roots hold is taken from the first; a problem names it).
// Throws Error(Input) when a root does not exist or holds no firmware directory.
FirmwareTree read_firmware_tree(const std::vector<std::string>& roots);

// The name a driver requests for an installed path: without .xz/.zst (the kernel tries NAME, then
// NAME.zst and NAME.xz, since 5.3 with CONFIG_FW_LOADER_COMPRESS).
std::string requested_name(std::string_view path);

// Debian version "[EPOCH:]UPSTREAM[-REVISION]" as rpm Version and Release ('-' in UPSTREAM → '.').
std::pair<std::string, std::string> rpm_version_of_debian(std::string_view debian_version);

}  // namespace kmpkit::firmware
