// Files of the installed system that kmpkit reads as text: repomd.xml's primary href (a path
// kmpkit then opens: it must stay inside the repository), primary.xml's package names, a
// repos.d/*.repo file, zypper's AutoInstalled (src/drivers/zypp_text.cpp), lsinitrd's listing
// (src/initrd/lsinitrd.cpp) and kmpkit's own initrd record (src/initrd/initrd_record.cpp).
#include <cstdlib>

#include "drivers/zypp_text.hpp"
#include "fuzz_input.hpp"
#include "initrd/initrd_record.hpp"
#include "initrd/lsinitrd.hpp"
#include "util/error.hpp"

using namespace kmpkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::as_text(data, size);
  try {
    auto href = drivers::primary_href(in, "repomd.xml");
    // What the caller then opens: never absolute, never above the repository.
    if (href.empty() || href.front() == '/' || href == ".." || href.starts_with("../") ||
        href.find("/../") != std::string::npos || href.ends_with("/.."))
      std::abort();
  } catch (const Error&) {
  }
  drivers::primary_package_names(in);
  auto entry = drivers::parse_repo_file(in);
  drivers::local_path_of(entry.url);
  drivers::parse_auto_installed(in);
  initrd::parse_lsinitrd(in);
  initrd::parse_record(in);
  return 0;
}
