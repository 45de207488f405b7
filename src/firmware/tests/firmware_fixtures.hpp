#pragma once
// Small firmware trees for the tests, made on disk: an unpacked Debian firmware package (DEP-5
// copyright, changelog.Debian.gz), a linux-firmware checkout (WHENCE, LICENCE files), and the
// drivers that request their files.
#include <filesystem>
#include <string>
#include <vector>

#include "firmware/driver_requests.hpp"
#include "test_env.hpp"

namespace kmpkit::firmware::testing {

namespace fs = std::filesystem;
using kmpkit::test::run;
using kmpkit::test::shell_quote;
using kmpkit::test::write_text;

inline const char* kDebianCopyright = R"(Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: test-firmware
Files-Excluded:
 secret/*

Files: *
Copyright: 2020, Somebody
License: GPL-2+

Files: drv_a/* shared.bin
Copyright: 2021, Vendor A
License: BSD-3-Clause-Clear

Files: debian/*
Copyright: 2022, Debian
License: GPL-2+

License: GPL-2+
 This program is free software.
)";

inline const char* kWhence = R"(             **********
             * WHENCE *
             **********

Preamble: File: not-a-file.bin

--------------------------------------------------------------------------

Driver: drv_c - Vendor C adapter

File: vendor_c/c1.bin
File: "vendor_c/with space.bin"
Link: vendor_c/c-latest.bin -> c1.bin

Licence: Redistributable. See LICENCE.vendor_c for details.
SPDX-License-Identifier: LicenseRef-LICENCE.vendor_c

RawFile: vendor_c/c2.bin

Licence: Allegedly GPLv2+, but no source visible. Marked:
	 Copyright (C) 2004 Vendor C

--------------------------------------------------------------------------

Driver: old_driver - a driver this kernel does not have

File: old/blob.bin

Licence: Redistributable. See LICENCE.vendor_c for details.

--------------------------------------------------------------------------
)";

// ROOT/lib/firmware of a Debian package "firmware-test" 20240101-2:
//   drv_a/one.bin, drv_a/two.bin.xz (compressed), drv_a/link.bin -> one.bin, shared.bin,
//   lonely.bin (no driver), broken.bin -> nowhere.bin (dangling), glob/board-x.txt, glob/board-y.txt
inline std::string make_debian_tree(const std::string& root) {
  const std::string fw = root + "/lib/firmware";
  write_text(fw + "/drv_a/one.bin", "one\n");
  write_text(fw + "/drv_a/two.bin", "two two two two two\n");
  run("xz -f " + shell_quote(fw + "/drv_a/two.bin"));
  fs::create_symlink("one.bin", fw + "/drv_a/link.bin");
  write_text(fw + "/shared.bin", "shared\n");
  write_text(fw + "/lonely.bin", "lonely\n");
  fs::create_symlink("nowhere.bin", fw + "/broken.bin");
  write_text(fw + "/glob/board-x.txt", "x\n");
  write_text(fw + "/glob/board-y.txt", "y\n");
  const std::string doc = root + "/usr/share/doc/firmware-test";
  write_text(doc + "/copyright", kDebianCopyright);
  write_text(doc + "/changelog.Debian", "firmware-test (1:20240101-2) unstable; urgency=medium\n\n  * Test.\n");
  run("gzip -n -f " + shell_quote(doc + "/changelog.Debian"));
  return root;
}

// A linux-firmware checkout: WHENCE, LICENCE.vendor_c, the files it lists and one it does not.
inline std::string make_whence_tree(const std::string& root) {
  write_text(root + "/WHENCE", kWhence);
  write_text(root + "/LICENCE.vendor_c", "Vendor C licence text\n");
  write_text(root + "/vendor_c/c1.bin", "c1\n");
  write_text(root + "/vendor_c/with space.bin", "space\n");
  write_text(root + "/vendor_c/c2.bin", "c2\n");
  write_text(root + "/old/blob.bin", "old\n");
  write_text(root + "/copy-firmware.sh", "#!/bin/sh\n");
  return root;
}

inline ModuleRecord module_requesting(const std::string& name, const std::vector<std::string>& firmware) {
  ModuleRecord m;
  m.name = name;
  m.path = "kernel/drivers/test/" + name + ".ko";
  for (const auto& f : firmware) m.modinfo.push_back({"firmware", f});
  return m;
}

// drv_a: its files (one by a link's name), the shared file, one the trees lack; drv_b: the shared
// file; drv_c: WHENCE's files (c-latest through the link); drv_g: a glob; none: no firmware.
inline DriverRequests test_requests() {
  std::vector<ModuleRecord> mods = {
      module_requesting("drv_a", {"drv_a/one.bin", "drv_a/two.bin", "drv_a/link.bin", "shared.bin", "drv_a/absent.bin"}),
      module_requesting("drv_b", {"shared.bin"}),
      module_requesting("drv_c", {"vendor_c/c-latest.bin", "vendor_c/c2.bin", "vendor_c/with space.bin"}),
      module_requesting("drv_g", {"glob/board-*.txt"}),
      module_requesting("none", {}),
  };
  return driver_requests_of(mods, {});
}

}  // namespace kmpkit::firmware::testing
