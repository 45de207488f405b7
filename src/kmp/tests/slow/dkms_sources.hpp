#pragma once
// The real DKMS sources of the slow kmp tests: Debian's *-dkms packages and linux-source-6.1's
// drivers/net/dummy.c, fetched and unpacked once by scripts/fetch-dkms-sources.sh.
#include <filesystem>
#include <string>

#include "test_env.hpp"

namespace kmpkit::test {

// The unpacked sources' directory ("" when fetching failed).
inline std::string dkms_sources() {
  static std::string dir = [] {
    auto r = run("bash " + shell_quote(source_dir() + "/scripts/fetch-dkms-sources.sh") + " 2>&1");
    auto lines = split_lines(r.out);
    if (r.exit_code != 0 || lines.empty()) return std::string();
    return lines.back();
  }();
  return dir;
}

// PACKAGE/usr/src/NAME-VERSION of an unpacked DKMS package.
inline std::string dkms_source(const std::string& package) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dkms_sources() + "/" + package + "/usr/src", ec))
    if (std::filesystem::exists(e.path() / "dkms.conf")) return e.path().string();
  return {};
}

}  // namespace kmpkit::test
