#include "module/firmware_path.hpp"

#include <filesystem>

#include "module/kernel_tree.hpp"

namespace kmpkit {

std::vector<std::string> firmware_candidates(const std::string& kver, const std::string& name) {
  const std::string dirs[] = {"/lib/firmware/updates/" + kver, "/lib/firmware/updates", "/lib/firmware/" + kver,
                              "/lib/firmware"};
  std::vector<std::string> out;
  for (std::string_view suffix : {std::string_view(), kFirmwareCompressionSuffixes[0], kFirmwareCompressionSuffixes[1]})
    for (const auto& d : dirs) out.push_back(d + "/" + name + std::string(suffix));
  return out;
}

std::string find_firmware(const std::string& root, const std::string& kver, const std::string& name) {
  std::error_code ec;
  for (const auto& p : firmware_candidates(kver, name)) {
    // Inside an image or chroot an absolute link (merged /usr: /lib -> usr/lib) means its own file.
    std::string file = root.empty() || root == "/" ? p : resolve_in_root(root, p);
    if (std::filesystem::is_regular_file(file, ec)) return p;
  }
  return {};
}

}  // namespace kmpkit
