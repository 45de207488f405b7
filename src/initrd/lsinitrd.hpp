#pragma once
// lsinitrd's listing of an initrd image, parsed: which kernel modules and dracut modules it holds.
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::initrd {

struct InitrdContents {
  std::vector<std::string> modules;         // kmod names, sorted
  std::vector<std::string> dracut_modules;  // in lsinitrd's order
  std::string error;                        // lsinitrd failed
};

// Parses lsinitrd's output (its "dracut modules:" section and the file listing).
InitrdContents parse_lsinitrd(std::string_view text);

}  // namespace kmpkit::initrd
