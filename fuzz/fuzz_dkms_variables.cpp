// dkms.conf, the part kmpkit parses itself (src/kmp/dkms_conf.cpp). The file is a bash script
// that bash sources (as DKMS does: the fuzzer must not run bash); what kmpkit reads is the
// variable dump bash prints (NAME[INDEX] NUL VALUE NUL ...), turned into the configuration, the
// MAKE_MATCH and BUILD_EXCLUSIVE_* checks and the destination directories.
#include "fuzz_input.hpp"
#include "kmp/dkms_conf.hpp"
#include "util/error.hpp"

using namespace kmpkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto vars = kmp::parse_variable_dump(std::string(fuzz::as_text(data, size)));
  try {
    auto conf = kmp::dkms_conf_from_variables(vars, "6.1.0-57-amd64", "dkms.conf");
    kmp::exclusion_reason(conf, "6.1.0-57-amd64", "x86_64", "CONFIG_VIDEO_DEV=m\nCONFIG_USB=y\n# CONFIG_X is not set\n");
    for (const auto& m : conf.modules) kmp::updates_directory(m.dest_location);
  } catch (const Error&) {
  }
  return 0;
}
