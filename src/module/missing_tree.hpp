#pragma once
// The message for a kernel release that has no module directory: which releases there are instead
// (a new user's usual mistake is the release, not the tree).
#include <string>
#include <vector>

namespace kmpkit {

// The releases present next to `module_dir` (the directories of its parent, ROOT/lib/modules), sorted.
std::vector<std::string> releases_beside(const std::string& module_dir);

// "no module directory ROOT/lib/modules/KVER; ROOT/lib/modules has 6.1.0-57-amd64 (...)".
std::string no_module_directory_message(const std::string& module_dir);

}  // namespace kmpkit
