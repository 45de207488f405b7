#pragma once
// `kmpkit build DIR`: runs rpmbuild on the specs `kmpkit split` wrote (several at once), then
// createrepo_c, then modifyrepo_c --mdtype=patterns for patterns.xml. The result is DIR/repo, an
// rpm-md repository.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace kmpkit::build {

struct BuildProgress {
  std::string stage;          // "rpmbuild", "createrepo", "patterns"
  size_t steps_done = 0;      // rpmbuild: two steps a package (files processed, rpm written)
  size_t steps_total = 0;
};

struct BuildOptions {
  std::string dir;            // the split directory
  unsigned jobs = 0;          // parallel rpmbuilds; 0 = the manifest's, else CPUs
  bool keep_work = false;     // keep DIR/rpmbuild/* (build roots) after success
  std::string gpg_key;        // sign the rpms and repomd.xml with this key of GNUPGHOME ("" = unsigned)
  std::function<void(const BuildProgress&)> progress;  // called from the calling thread
};

struct SpecBuild {
  std::string spec;
  int status = 0;             // rpmbuild's exit status
  double seconds = 0;
  size_t packages = 0;        // rpms it wrote
  std::string log;            // DIR/logs/<spec>.log
};

struct BuildResult {
  std::vector<SpecBuild> specs;
  double rpmbuild_seconds = 0, createrepo_seconds = 0, total_seconds = 0;
  size_t rpms = 0;
  uint64_t rpm_bytes = 0;     // sum of the rpm files
  uint64_t repo_bytes = 0;    // the whole repository (rpms + repodata)
  std::string repo_dir;
};

// Throws Error: Input (no split in DIR, a tool missing, rpm without kmpkit's fileattrs), Tool
// (rpmbuild, createrepo_c or modifyrepo_c failed: the message quotes the end of its log), Write.
BuildResult build_repository(const BuildOptions& options);

// Bytes of all regular files under a directory.
uint64_t directory_bytes(const std::string& dir);

}  // namespace kmpkit::build
