#pragma once
// kmpkit's exit codes (documented in docs/exit-codes.md; keep both in sync).
namespace kmpkit::exit_code {
inline constexpr int ok = 0;
inline constexpr int partial = 1;        // done, but some inputs could not be read (each named on stderr)
inline constexpr int usage = 2;          // bad command line or bad policy/config
inline constexpr int input_missing = 3;  // the tree, a file or a required tool is missing
inline constexpr int cycle = 4;          // module dependency cycle: nothing written
inline constexpr int tool_failed = 5;    // an external tool (rpmbuild, createrepo_c, zypper) failed
inline constexpr int inconsistent = 6;   // verify: the system is not consistent
inline constexpr int io_error = 7;       // writing output failed (disk full, permissions); old state kept
inline constexpr int excluded = 8;       // kmp build: the source excludes this kernel (BUILD_EXCLUSIVE_*)
}  // namespace kmpkit::exit_code

#include "util/error.hpp"

namespace kmpkit::exit_code {
// The exit code of a library error: the command line's one mapping.
inline int of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::Usage: return usage;
    case ErrorKind::Input: return input_missing;
    case ErrorKind::Tool: return tool_failed;
    case ErrorKind::Write: return io_error;
    case ErrorKind::Cycle: return cycle;
  }
  return tool_failed;
}
}  // namespace kmpkit::exit_code
