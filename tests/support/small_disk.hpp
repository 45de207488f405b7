#pragma once
// A small file system for write-failure tests: a tmpfs of a given size (root only; `mounted` is
// false where mounting is not allowed, and the test skips), and a way to fill it to the last block
// and inode.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "test_env.hpp"

namespace kmpkit::test {

struct SmallDisk {
  std::string dir;
  bool mounted = false;
  explicit SmallDisk(const std::string& options) : SmallDisk(options, temp_dir("kmpkit-small-disk")) {}
  // Mounted on an existing directory (a root's lib/modules/KVER, say).
  SmallDisk(const std::string& options, const std::string& at) : dir(at) {
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
  }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  // Every free block, then every free inode (a symbolic link of tmpfs takes an inode, not a block):
  // mount with a small nr_inodes, or this makes millions of files.
  void fill() const {
    run("mkdir -p " + shell_quote(dir + "/filler") + " && dd if=/dev/zero of=" + shell_quote(dir + "/filler/blocks") +
        " bs=4k 2>/dev/null; dd if=/dev/zero of=" + shell_quote(dir + "/filler/tail") + " bs=512 2>/dev/null");
    for (int i = 0;; ++i) {
      int fd = ::open((dir + "/filler/i" + std::to_string(i)).c_str(), O_CREAT | O_WRONLY, 0644);
      if (fd < 0) break;
      ::close(fd);
    }
  }
  void free_space() const { run("rm -rf " + shell_quote(dir + "/filler")); }

  // tmpfs options for a disk that holds `extra_mb` and a split's copy of kmpkit (bin/kmpkit, the
  // binary without its debug sections): sized by the binary under test, so that a sanitizer
  // build (three times larger) fits as well as a release build.
  static std::string size_with_kmpkit(uintmax_t extra_mb) {
    std::error_code ec;
    uintmax_t binary = std::filesystem::file_size(kmpkit_binary(), ec);
    return "size=" + std::to_string(extra_mb + (ec ? 0 : binary >> 20)) + "m";
  }
};

}  // namespace kmpkit::test
