// linux-firmware's WHENCE and a Debian package's DEP-5 copyright file (src/firmware): parsed, the
// licence tags and licence file candidates of each stanza, each file's licence.
#include "firmware/debian_copyright.hpp"
#include "firmware/whence.hpp"
#include "fuzz_input.hpp"

using namespace kmpkit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::as_text(data, size);
  auto whence = firmware::parse_whence(in);
  for (const auto& stanza : whence.stanzas)
    for (const auto& licence : stanza.licences) {
      firmware::licence_tag(licence);
      firmware::licence_file_candidates(licence);
    }
  auto copyright = firmware::parse_debian_copyright(in);
  for (const auto& f : whence.files) firmware::licence_of(copyright, f.path);
  firmware::licence_of(copyright, "ath9k_htc/htc_9271-1.4.0.fw");
  return 0;
}
