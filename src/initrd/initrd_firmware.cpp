#include "initrd/initrd_firmware.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <variant>

#include <fmt/format.h>

#include "module/firmware_path.hpp"
#include "module/module_reader.hpp"
#include "module/kernel_tree.hpp"

namespace kmpkit::initrd {

std::vector<FirmwareFile> initrd_firmware(const InitrdPaths& paths, const std::vector<std::string>& initrd_modules,
                                          const std::vector<ModuleFile>& installed) {
  std::vector<FirmwareFile> out;
  ModuleReader reader;
  const std::string module_dir = paths.in_root(paths.module_dir());
  for (const auto& m : installed) {
    if (!std::binary_search(initrd_modules.begin(), initrd_modules.end(), m.name)) continue;
    std::string file = m.path[0] == '/' ? paths.in_root(m.path) : module_dir + "/" + m.path;
    auto read = reader.read(file, module_dir, kReadModinfo);
    const auto* rec = std::get_if<ModuleRecord>(&read);
    if (!rec) continue;
    for (const auto& name : rec->firmware()) {
      FirmwareFile f{m.name, name, find_firmware(paths.root, paths.kver, name), 0, 0};
      struct stat st {};
      if (!f.path.empty() && ::stat(resolve_in_root(paths.root, f.path).c_str(), &st) == 0) {
        f.size = static_cast<uint64_t>(st.st_size);
        f.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
      }
      out.push_back(std::move(f));
    }
  }
  std::sort(out.begin(), out.end(), [](const FirmwareFile& a, const FirmwareFile& b) {
    return std::tie(a.module, a.name) < std::tie(b.module, b.name);
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> firmware_changes(const std::vector<FirmwareFile>& before, const std::vector<FirmwareFile>& now) {
  std::map<std::pair<std::string, std::string>, const FirmwareFile*> was;
  for (const auto& f : before) was[{f.module, f.name}] = &f;
  std::vector<std::string> out;
  for (const auto& f : now) {
    auto it = was.find({f.module, f.name});
    // A module new in the initrd is a module change already; here only its firmware.
    if (it == was.end()) continue;
    const FirmwareFile& b = *it->second;
    if (b == f) continue;
    const char* what = b.path.empty() ? "came" : f.path.empty() ? "went" : "changed";
    out.push_back(fmt::format("{}: firmware {} {}, the initrd holds the module", f.module, f.name, what));
  }
  return out;
}

}  // namespace kmpkit::initrd
