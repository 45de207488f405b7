#pragma once
// linux-firmware's WHENCE: which files and links make up the tree, which driver each stanza is for,
// and the licence of each file. Stanzas are separated by lines of dashes; in a stanza, `Driver:`
// names the driver, `File:`/`RawFile:` a file, `Link: LINK -> TARGET` a link that copy-firmware.sh
// creates (TARGET relative to LINK's directory), and each `Licence:` (with its
// `SPDX-License-Identifier:`) covers the files listed since the previous licence of the stanza.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::firmware {

struct WhenceLicence {
  std::string text;  // the Licence: text, continuation lines joined with '\n'
  std::string spdx;  // SPDX-License-Identifier, "" when the stanza gives none
};

struct WhenceStanza {
  std::string driver;       // first word of `Driver:` ("ath9k_htc")
  std::string description;  // after " - "
  std::vector<WhenceLicence> licences;
};

struct WhenceFile {
  std::string path;
  size_t stanza = 0;
  int licence = -1;  // index into the stanza's licences, -1 when none covers it
};

struct WhenceLink {
  std::string link, target;
  size_t stanza = 0;
};

struct Whence {
  std::vector<WhenceStanza> stanzas;
  std::vector<WhenceFile> files;
  std::vector<WhenceLink> links;
};

Whence parse_whence(std::string_view text);

// The rpm License value of a licence: its SPDX identifier, else the first sentence of the text
// ("Redistributable. See LICENCE.x for details." → "Redistributable").
std::string licence_tag(const WhenceLicence& licence);

// Words of a licence text that may name a licence file of the tree ("See LICENCE.atheros_firmware
// for details" → LICENCE.atheros_firmware; also GPL-2 or LicenseRef-LICENCE.x's file): the caller
// keeps those that exist.
std::vector<std::string> licence_file_candidates(const WhenceLicence& licence);

}  // namespace kmpkit::firmware
