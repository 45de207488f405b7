#pragma once
// Making a kernel's initrd with dracut, inside the root, from the modules installed there, and
// recording what it holds (initrd_record.hpp). When it runs during package transactions:
// docs/boot.md ("The initrd follows the KMPs").
#include <string>
#include <vector>

#include "initrd/initrd_check.hpp"
#include "initrd/initrd_record.hpp"
#include "initrd/lsinitrd.hpp"

namespace kmpkit::initrd {

struct UpdateOptions {
  bool force = false;    // make it even when it still fits
  bool dry_run = false;  // say what would be done
};

struct UpdateOutcome {
  enum class State { UpToDate, Made, WouldMake, NoKernel, NoDracut, Failed };
  State state = State::UpToDate;
  std::string kver;
  std::vector<std::string> reasons;  // why it was (or would be) made
  std::string message;               // for Failed / NoDracut: what happened and what to do
  double seconds = 0;
  uint64_t bytes = 0;
  size_t modules = 0;
};

// Checks KVER's initrd and makes it again when needed (or forced). Never throws for a tool's
// failure: the outcome says it.
UpdateOutcome update_initrd(const InitrdPaths& paths, const UpdateOptions& options = {});

// The kernel modules and dracut modules of an initrd image (lsinitrd, run inside the root).
InitrdContents list_initrd(const std::string& root, const std::string& image);

// The mark a KMP's %postun leaves when it is erased (not upgraded), so that the removal's trigger
// makes the initrd at once (no %posttrans follows an erase).
void set_mark(const std::string& root, const std::string& name);
bool take_mark(const std::string& root, const std::string& name);  // true when it was set; removes it
inline constexpr const char* kErasedMark = "erased";

}  // namespace kmpkit::initrd
