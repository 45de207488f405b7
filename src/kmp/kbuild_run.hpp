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

// The .ko files under DIR (relative paths, sorted): what a plain Kbuild build made.
std::vector<std::string> built_module_files(const std::string& dir);

}  // namespace kmpkit::kmp
