#pragma once
// A path of the installed system, as seen from kmpkit: "/" is the running system (internal to src/drivers/).
#include <filesystem>
#include <string>

namespace kmpkit::drivers {

inline std::string under_root(const std::string& root, const std::string& path) {
  return root == "/" ? path : (std::filesystem::path(root) / std::filesystem::path(path).relative_path()).string();
}

}  // namespace kmpkit::drivers
