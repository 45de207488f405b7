#include "module/missing_tree.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fs = std::filesystem;

namespace kmpkit {

std::vector<std::string> releases_beside(const std::string& module_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(fs::path(module_dir).parent_path(), ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->is_directory(ec)) out.push_back(it->path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string no_module_directory_message(const std::string& module_dir) {
  const std::string parent = fs::path(module_dir).parent_path().string();
  auto releases = releases_beside(module_dir);
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    return fmt::format("no module directory {} ({} does not exist: is -b ROOT right?)", module_dir, parent);
  if (releases.empty()) return fmt::format("no module directory {} ({} is empty: is -b ROOT right?)", module_dir, parent);
  return fmt::format("no module directory {}; the kernel releases in {} are: {}", module_dir, parent,
                     fmt::join(releases, ", "));
}

}  // namespace kmpkit
