#pragma once
// Walking lib/modules/KVER the way depmod does: depth-first, raw readdir order (not sorted),
// following symlinks, skipping ".", "..", "build", "source" and any excluded name at any depth.
#include <cstdint>
#include <string>
#include <vector>

namespace kmpkit {

struct WalkOptions {
  std::vector<std::string> excluded_names;  // depmod.d "exclude" entries (plus build, source)
  bool include_gz = true;                   // list .ko.gz too (the reader reports them)
  // walk_module_files: directories read (and their files stat'ed) on this many threads; the result
  // is the same list in the same order as the serial walk's.
  unsigned threads = 1;
};

// Absolute (or as-given-prefixed) paths of module files, in depmod's scan order.
std::vector<std::string> list_module_files(const std::string& module_dir, const WalkOptions& options = {});

// What caches key a module file on: it changed when any of these did.
struct FileIdentity {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

struct WalkedFile {
  std::string path;  // as list_module_files gives it
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  FileIdentity identity() const { return {size, mtime_ns, inode}; }
};

// list_module_files with each file's stat (taken relative to its open directory, which is
// cheaper than a stat of the whole path): for caches keyed on size, mtime and inode.
std::vector<WalkedFile> walk_module_files(const std::string& module_dir, const WalkOptions& options = {});

// Every entry of a tree, for checks of an installed system (kmpkit verify): module files and other
// files, symbolic links with their targets, dangling links. The same walk as depmod's (order,
// skipped names, links followed), with absolute link targets resolved inside `root` (a link in an
// image or chroot means the file inside it, not the host's).
struct TreeEntry {
  std::string rel;     // relative to the walked directory
  std::string file;    // the file to read (the link's target for a link)
  bool module = false; // a module file name (.ko, .ko.xz, .ko.zst, .ko.gz)
  bool link = false;   // the entry itself is a symbolic link
  bool dangling = false;
  std::string target;  // a link's target, as a path inside the root
};
struct TreeWalkOptions {
  std::vector<std::string> excluded_names;
  std::string root;      // "" = the running system
  std::string root_rel;  // the walked directory as a path inside the root, e.g. /lib/modules/KVER
};
std::vector<TreeEntry> walk_tree(const std::string& dir, const TreeWalkOptions& options);

// lib/modules/KVER under a base directory ("" or "/" means the running system's root).
std::string module_dir_for(const std::string& basedir, const std::string& kver);

}  // namespace kmpkit
