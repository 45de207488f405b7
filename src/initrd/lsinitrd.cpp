#include "initrd/lsinitrd.hpp"

#include <algorithm>

#include "initrd/initrd_record.hpp"
#include "util/text.hpp"

namespace kmpkit::initrd {

InitrdContents parse_lsinitrd(std::string_view text) {
  InitrdContents c;
  bool in_modules = false;
  for_each_line(text, [&](std::string_view line) {
    if (line == "dracut modules:") {
      in_modules = true;
      return;
    }
    if (in_modules) {
      if (line.empty() || line.starts_with("====")) in_modules = false;
      else c.dracut_modules.emplace_back(line);
      return;
    }
    // "-rw-r--r--   1 root root  23121 Nov 26 17:12 usr/lib/modules/KVER/kernel/.../x.ko"
    auto pos = line.rfind(' ');
    if (pos == std::string_view::npos) return;
    std::string_view path = line.substr(pos + 1);
    if (path.find("/modules/") == std::string_view::npos) return;
    std::string_view base = path.substr(path.rfind('/') + 1);
    if (base.ends_with(".ko") || base.ends_with(".ko.xz") || base.ends_with(".ko.zst") || base.ends_with(".ko.gz"))
      c.modules.push_back(module_name_of(std::string(path)));
  });
  std::sort(c.modules.begin(), c.modules.end());
  c.modules.erase(std::unique(c.modules.begin(), c.modules.end()), c.modules.end());
  return c;
}

}  // namespace kmpkit::initrd
