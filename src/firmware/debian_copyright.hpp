#pragma once
// A Debian package's copyright file in the machine-readable format (DEP-5): which licence each
// file has. `Files:` paragraphs list patterns relative to the source tree (`*` matches any
// characters, '/' too; `?` one character); the last paragraph that matches a file wins.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::firmware {

struct CopyrightParagraph {
  std::vector<std::string> patterns;
  std::string licence;  // the short name on the License: line ("GPL-2+", "GPL-2 or MPL-1.1")
};

struct DebianCopyright {
  bool machine_readable = false;  // a Format: line names the copyright-format
  std::vector<CopyrightParagraph> paragraphs;
};

DebianCopyright parse_debian_copyright(std::string_view text);

// The licence of a file (path relative to the firmware directory), nullopt when no paragraph
// matches or the file is not machine readable.
std::optional<std::string> licence_of(const DebianCopyright& copyright, std::string_view path);

}  // namespace kmpkit::firmware
