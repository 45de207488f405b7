#pragma once
// Writing the database as one generation: either the complete old set of files or the complete
// new one, whatever moment the process is killed at. Design (docs/depmod.md, "Atomicity"):
//
//   1. every new file is written into the staging directory MODDIR/.kmpkit-depmod.staging/;
//   2. the commit point: COMMIT.tmp (the list of files, in rename order) is renamed to COMMIT;
//   3. each staged file is renamed over its target, in a fixed order (depmod's, cache last);
//   4. COMMIT and the staging directory are removed.
//
// recover() (run first by every kmpkit depmod, under the same lock) finishes what a killed run
// left: with COMMIT it renames the remaining staged files (roll forward: the new generation);
// without it, it deletes the staging directory (the old generation was never touched).
#include <string>
#include <vector>

namespace kmpkit::depmod {

inline constexpr const char* kStagingDirName = ".kmpkit-depmod.staging";

struct StagedFile {
  std::string name;     // file name inside the module directory
  std::string content;  // bytes
};

enum class Recovery { none, rolled_forward, discarded };

// An exclusive lock on the module directory (flock), held while the object lives.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir);  // throws std::system_error
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// Completes or discards an interrupted commit. Throws std::system_error on I/O failure.
Recovery recover(const std::string& module_dir);

// Writes `files` as the new generation. `durable` adds fsync of every file and of both
// directories (power-loss safety; a killed process needs none). Throws std::system_error; a
// failure before the commit point leaves the old generation untouched and no staging directory.
//
// Fault injection for tests: KMPKIT_FAULT_AFTER_WRITES=N kills the process with SIGKILL right
// after its N-th write step (a staged file, COMMIT.tmp, the COMMIT rename, each final rename,
// the clean-up); N=0 kills it before the first.
void commit(const std::string& module_dir, const std::vector<StagedFile>& files, bool durable);

// Number of write steps commit() takes for `n_files` files (for fault-injection tests).
inline size_t commit_steps(size_t n_files) { return n_files + 2 + n_files + 1; }

}  // namespace kmpkit::depmod
