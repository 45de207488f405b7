#pragma once
// Compiling a module source against a kernel's build tree: DKMS's MAKE[i] or kbuild's
// `make -C BUILD_TREE M=SOURCE modules`, in a copy of the source, output to a log.
#include <string>
#include <vector>

namespace kmpkit::kmp {

struct CompileRequest {
  std::string source_dir;    // the copy being built (make runs there)
  std::string command;       // a DKMS MAKE line ("" = kbuild's modules target for source_dir)
  std::string kver;
  std::string make_dir;      // the kernel's build tree as make -C gets it
  std::string log_file;
  unsigned jobs = 0;         // make -j (0 = CPUs)
};

// The shell command run: DKMS's, its leading `make` given -jN and KERNELRELEASE=KVER as DKMS
// does, or kbuild's default.
std::string compile_command(const CompileRequest& request);

// Runs it. Throws Error(Tool) naming the first compiler error and quoting the end of the log
// when it fails; Error(Input) when make or bash is missing.
void compile_modules(const CompileRequest& request);

// DKMS's PATCH[]: each patch of BUILD_DIR/patches/ applied with `patch -p1` in BUILD_DIR, in order,
// output to LOG_FILE (per patch: the failing one's stays). Throws Error(Input) for a missing patch, Error(Tool) when one does not
// apply (the end of patch's output quoted).
void apply_patches(const std::string& build_dir, const std::vector<std::string>& patches, const std::string& log_file);

// DKMS's PRE_BUILD / POST_BUILD: SCRIPT (a path relative to BUILD_DIR, then its arguments) run in
// BUILD_DIR with kernelver, arch and kernel_source_dir in its environment. Returns false, running
// nothing, when the script is not executable (DKMS says so and goes on); throws Error(Input) when
// it does not exist, Error(Tool) when it fails.
bool run_build_script(const std::string& build_dir, const std::string& what, const std::string& script,
                      const std::vector<std::string>& env, const std::string& log_file);

// The .ko files under DIR (relative paths, sorted): what a plain Kbuild build made.
std::vector<std::string> built_module_files(const std::string& dir);

}  // namespace kmpkit::kmp
