#include "depmod/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <system_error>

#include "module/kernel_files.hpp"

namespace kmpkit::depmod {
namespace {

constexpr const char* kCommitName = "COMMIT";
constexpr const char* kCommitTmpName = "COMMIT.tmp";
constexpr const char* kCommitHeader = "kmpkit-depmod-commit 1";

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

class FaultInjector {
 public:
  FaultInjector() {
    if (const char* v = std::getenv("KMPKIT_FAULT_AFTER_WRITES"); v && *v) {
      enabled_ = true;
      limit_ = std::strtol(v, nullptr, 10);
    }
    check();
  }
  void step() {
    ++done_;
    check();
  }

 private:
  void check() const {
    if (enabled_ && done_ >= limit_) ::raise(SIGKILL);
  }
  bool enabled_ = false;
  long limit_ = 0;
  long done_ = 0;
};

void write_all(int fd, const std::string& content, const std::string& what) {
  size_t off = 0;
  while (off < content.size()) {
    ssize_t w = ::write(fd, content.data() + off, content.size() - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("cannot write " + what);
    }
    off += static_cast<size_t>(w);
  }
}

void write_new_file(const std::string& path, const std::string& content, bool durable) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create " + path);
  try {
    write_all(fd, content, path);
    if (durable && ::fsync(fd) != 0) fail("cannot sync " + path);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) fail("cannot write " + path);
}

void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open " + dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail("cannot sync " + dir);
}

// Removes the staging directory and everything in it (it holds plain files only).
void remove_staging(const std::string& staging) {
  if (DIR* d = ::opendir(staging.c_str())) {
    while (dirent* de = ::readdir(d)) {
      std::string name = de->d_name;
      if (name == "." || name == "..") continue;
      if (::unlink((staging + "/" + name).c_str()) != 0 && errno != ENOENT) {
        ::closedir(d);
        fail("cannot remove " + staging + "/" + name);
      }
    }
    ::closedir(d);
  }
  if (::rmdir(staging.c_str()) != 0 && errno != ENOENT) fail("cannot remove " + staging);
}

std::optional<std::vector<std::string>> read_commit(const std::string& path) {
  auto text = read_file(path);
  if (!text) return std::nullopt;
  std::vector<std::string> names;
  size_t pos = 0;
  bool header = true;
  while (pos < text->size()) {
    auto nl = text->find('\n', pos);
    if (nl == std::string::npos) return std::nullopt;  // a COMMIT is always complete
    std::string line = text->substr(pos, nl - pos);
    pos = nl + 1;
    if (header) {
      if (line != kCommitHeader) return std::nullopt;
      header = false;
      continue;
    }
    if (line.empty() || line.find('/') != std::string::npos) return std::nullopt;
    names.push_back(std::move(line));
  }
  if (header) return std::nullopt;
  return names;
}

}  // namespace

DirectoryLock::DirectoryLock(const std::string& dir) {
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) fail("cannot open " + dir);
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int e = errno;
    ::close(fd_);
    errno = e;
    fail("cannot lock " + dir);
  }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);
}

Recovery recover(const std::string& module_dir) {
  const std::string staging = module_dir + "/" + kStagingDirName;
  struct stat st {};
  if (::lstat(staging.c_str(), &st) != 0) {
    if (errno == ENOENT) return Recovery::none;
    fail("cannot inspect " + staging);
  }
  auto names = read_commit(staging + "/" + kCommitName);
  if (!names) {
    remove_staging(staging);
    return Recovery::discarded;
  }
  for (const auto& name : *names) {
    std::string from = staging + "/" + name;
    if (::rename(from.c_str(), (module_dir + "/" + name).c_str()) != 0 && errno != ENOENT)
      fail("cannot rename " + from);
  }
  remove_staging(staging);
  return Recovery::rolled_forward;
}

void commit(const std::string& module_dir, const std::vector<StagedFile>& files, bool durable) {
  FaultInjector fault;
  const std::string staging = module_dir + "/" + kStagingDirName;
  remove_staging(staging);  // normally absent: recover() ran first
  if (::mkdir(staging.c_str(), 0755) != 0) fail("cannot create " + staging);
  try {
    for (const auto& f : files) {
      write_new_file(staging + "/" + f.name, f.content, durable);
      fault.step();
    }
    std::string list = std::string(kCommitHeader) + "\n";
    for (const auto& f : files) list += f.name + "\n";
    write_new_file(staging + "/" + kCommitTmpName, list, durable);
    if (durable) sync_dir(staging);
    fault.step();
  } catch (...) {
    int e = errno;
    try {
      remove_staging(staging);
    } catch (...) {
    }
    errno = e;
    throw;
  }
  // The commit point.
  if (::rename((staging + "/" + kCommitTmpName).c_str(), (staging + "/" + kCommitName).c_str()) != 0)
    fail("cannot commit in " + staging);
  if (durable) sync_dir(staging);
  fault.step();
  for (const auto& f : files) {
    std::string from = staging + "/" + f.name;
    if (::rename(from.c_str(), (module_dir + "/" + f.name).c_str()) != 0)
      fail("cannot rename " + from + " (the next kmpkit depmod completes the update)");
    fault.step();
  }
  if (durable) sync_dir(module_dir);
  remove_staging(staging);
  fault.step();
}

}  // namespace kmpkit::depmod
