#pragma once
// weak-updates: the modules of other installed kernels that fit a kernel serve it through
// symlinks in lib/modules/KVER/weak-updates/ (as SUSE's weak-modules2 does, but decided by
// kmpkit's own KABI check, kabi/reuse.hpp, instead of trial depmod runs). One call brings one
// kernel's links up to date with what is installed now: it adds links for modules that fit and
// that the kernel lacks, and removes links that no longer fit, point nowhere, or are shadowed
// by a module of the kernel's own. A kernel that is no longer installed loses all its links.
// docs/kabi.md, "Reuse across kernels".
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "module/module_reader.hpp"

namespace kmpkit::kabi {

inline constexpr const char* kWeakUpdatesDir = "weak-updates";

struct WeakUpdatesOptions {
  std::string root;  // "" or "/" = the running system
  std::string kver;
  bool dry_run = false;  // decide and report, change nothing
  bool clear = false;    // remove all of the kernel's links (it is about to be removed)
  bool use_cache = true; // keep what was read in ROOT/var/cache/kmpkit/weak-updates/ (record_cache.hpp)
  unsigned threads = 0;
};

struct WeakLink {
  std::string rel;          // under weak-updates/, e.g. kernel/fs/ext4/ext4.ko
  std::string target_kver;  // the kernel whose tree holds the module
  std::string target;       // the link's (relative) target
};

struct RejectedCandidate {
  std::string module;
  std::string kver;    // the kernel whose tree holds it
  std::string path;    // relative to that kernel's module directory
  std::string reason;  // "crc-mismatch: module_layout ...", "breaks kernel/...: sym"
};

struct WeakUpdatesResult {
  std::string kver;
  bool kernel_installed = false;
  std::string vermagic;  // the kernel's, as used for the check ("" unknown: not checked)
  size_t own_modules = 0;
  size_t candidates = 0;                 // module names the kernel lacks that other kernels have
  std::vector<WeakLink> links;           // the links after the run (wanted), sorted
  std::vector<std::string> added;        // rel paths
  std::vector<std::string> removed;      // rel paths
  std::vector<RejectedCandidate> rejected;
  std::vector<ReadError> errors;         // unreadable module files (skipped)
  size_t files_read = 0;                 // module files read (the others came from the cache)
  bool changed() const { return !added.empty() || !removed.empty(); }
};

// Throws std::runtime_error when links cannot be written (message for people).
WeakUpdatesResult update_weak_updates(const WeakUpdatesOptions& options);

nlohmann::ordered_json weak_updates_json(const WeakUpdatesResult& r);
std::string weak_updates_text(const WeakUpdatesResult& r, bool details);

}  // namespace kmpkit::kabi
