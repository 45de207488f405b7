// The firmware split's pieces on small trees made on disk: WHENCE and DEP-5 readers, the tree walk
// (compressed files, links, WHENCE links), the package plan (one package a driver set, unclaimed
// files kept, provides as the drivers request), and the spec it writes.
#include <gtest/gtest.h>

#include <map>

#include "firmware/debian_copyright.hpp"
#include "firmware/firmware_plan.hpp"
#include "firmware/firmware_spec.hpp"
#include "firmware/firmware_tree.hpp"
#include "firmware/whence.hpp"
#include "firmware_fixtures.hpp"

namespace kmpkit::firmware {
namespace {

using namespace testing;
using kmpkit::test::read_text;
using kmpkit::test::temp_dir;

using Strings = std::vector<std::string>;

TEST(Whence, StanzasFilesLinksAndLicences) {
  Whence w = parse_whence(kWhence);
  ASSERT_EQ(w.stanzas.size(), 2u);
  EXPECT_EQ(w.stanzas[0].driver, "drv_c");
  EXPECT_EQ(w.stanzas[0].description, "Vendor C adapter");
  EXPECT_EQ(w.stanzas[1].driver, "old_driver");
  ASSERT_EQ(w.files.size(), 4u);
  EXPECT_EQ(w.files[0].path, "vendor_c/c1.bin");
  EXPECT_EQ(w.files[1].path, "vendor_c/with space.bin");  // quotes protect spaces
  EXPECT_EQ(w.files[2].path, "vendor_c/c2.bin");          // RawFile
  EXPECT_EQ(w.files[3].path, "old/blob.bin");
  // Each licence covers the files listed since the stanza's previous one.
  ASSERT_EQ(w.stanzas[0].licences.size(), 2u);
  EXPECT_EQ(w.files[0].licence, 0);
  EXPECT_EQ(w.files[1].licence, 0);
  EXPECT_EQ(w.files[2].licence, 1);
  EXPECT_EQ(w.files[3].licence, 0);
  EXPECT_EQ(licence_tag(w.stanzas[0].licences[0]), "LicenseRef-LICENCE.vendor_c");
  EXPECT_EQ(licence_tag(w.stanzas[0].licences[1]), "Allegedly GPLv2+, but no source visible");
  EXPECT_NE(w.stanzas[0].licences[1].text.find("Copyright (C) 2004 Vendor C"), std::string::npos);
  EXPECT_EQ(licence_tag(w.stanzas[1].licences[0]), "Redistributable");
  auto candidates = licence_file_candidates(w.stanzas[0].licences[0]);
  EXPECT_NE(std::find(candidates.begin(), candidates.end(), "LICENCE.vendor_c"), candidates.end());
  ASSERT_EQ(w.links.size(), 1u);
  EXPECT_EQ(w.links[0].link, "vendor_c/c-latest.bin");
  EXPECT_EQ(w.links[0].target, "c1.bin");
}

TEST(Whence, StanzaWithTwoLicenceGroupsLikeAth9kHtc) {
  // linux-firmware's ath9k_htc stanza: the old files under one licence, the 1.4.0 files under another.
  Whence w = parse_whence(
      "----------\n\nDriver: ath9k_htc - Atheros HTC devices (USB)\n\nFile: ar9271.fw\nFile: htc_9271.fw\n"
      "Version: 1.3.1\n\nLicence: Redistributable. See LICENCE.atheros_firmware for details\n"
      "SPDX-License-Identifier: LicenseRef-LICENCE.atheros_firmware\n\nFile: ath9k_htc/htc_9271-1.4.0.fw\n"
      "Version: 1.4.0\n\nLicence: Free software. See LICENCE.open-ath9k-htc-firmware for details\n"
      "SPDX-License-Identifier: LicenseRef-LICENCE.open-ath9k-htc-firmware\n\n----------\n");
  ASSERT_EQ(w.files.size(), 3u);
  const auto& lic = w.stanzas[0].licences;
  ASSERT_EQ(lic.size(), 2u);
  EXPECT_EQ(lic[static_cast<size_t>(w.files[1].licence)].spdx, "LicenseRef-LICENCE.atheros_firmware");
  EXPECT_EQ(lic[static_cast<size_t>(w.files[2].licence)].spdx, "LicenseRef-LICENCE.open-ath9k-htc-firmware");
}

TEST(DebianCopyright, LastMatchingParagraphWins) {
  auto c = parse_debian_copyright(kDebianCopyright);
  EXPECT_TRUE(c.machine_readable);
  EXPECT_EQ(licence_of(c, "drv_a/one.bin").value_or(""), "BSD-3-Clause-Clear");
  EXPECT_EQ(licence_of(c, "shared.bin").value_or(""), "BSD-3-Clause-Clear");
  EXPECT_EQ(licence_of(c, "lonely.bin").value_or(""), "GPL-2+");
  EXPECT_EQ(licence_of(c, "deep/dir/x.bin").value_or(""), "GPL-2+");  // '*' matches '/' too
  auto partial = parse_debian_copyright("Format: x\n\nFiles: cis/src/* cis/A.cis\n License: GPL-2\nLicense: GPL-2\n");
  EXPECT_EQ(licence_of(partial, "cis/B.cis"), std::nullopt);
  EXPECT_EQ(licence_of(partial, "cis/A.cis").value_or(""), "GPL-2");
  EXPECT_EQ(licence_of(parse_debian_copyright("Files: *\nLicense: GPL-2\n"), "a"), std::nullopt);  // not DEP-5
}

TEST(FirmwareTree, NamesVersionsAndVersionsFromDebian) {
  EXPECT_EQ(requested_name("a/b.bin.zst"), "a/b.bin");
  EXPECT_EQ(requested_name("a/b.bin.xz"), "a/b.bin");
  EXPECT_EQ(requested_name("a/b.bin"), "a/b.bin");
  EXPECT_EQ(rpm_version_of_debian("1.4.0-108-gd856466+dfsg1-1.3+deb12u1"),
            (std::pair<std::string, std::string>{"1.4.0.108.gd856466+dfsg1", "1.3+deb12u1"}));
  EXPECT_EQ(rpm_version_of_debian("1:20240101-2"), (std::pair<std::string, std::string>{"20240101", "2"}));
  EXPECT_EQ(rpm_version_of_debian("7"), (std::pair<std::string, std::string>{"7", ""}));
}

TEST(FirmwareTree, ReadsADebianPackageAndAWhenceTree) {
  std::string deb = make_debian_tree(temp_dir("kmpkit-fw-deb"));
  std::string lf = make_whence_tree(temp_dir("kmpkit-fw-lf"));
  FirmwareTree t = read_firmware_tree({deb, lf});
  ASSERT_EQ(t.sources.size(), 2u);
  EXPECT_EQ(t.sources[0].name, "firmware-test");
  EXPECT_EQ(t.sources[0].version, "20240101");
  EXPECT_EQ(t.sources[0].release, "2");
  EXPECT_EQ(t.sources[0].files, 6u);
  EXPECT_EQ(t.sources[0].links, 2u);
  EXPECT_EQ(t.sources[1].name, "linux-firmware");
  EXPECT_TRUE(t.sources[1].whence);
  EXPECT_EQ(t.sources[1].not_in_whence, (Strings{"LICENCE.vendor_c", "WHENCE", "copy-firmware.sh"}));
  std::map<std::string, FirmwareEntry> by;
  for (const auto& e : t.entries) by[e.path] = e;
  EXPECT_EQ(by["drv_a/two.bin.xz"].name, "drv_a/two.bin");
  EXPECT_TRUE(by["drv_a/link.bin"].link);
  EXPECT_EQ(by["drv_a/link.bin"].resolved, "drv_a/one.bin");
  EXPECT_EQ(by["drv_a/link.bin"].licence, "BSD-3-Clause-Clear");
  EXPECT_EQ(by["broken.bin"].resolved, "");
  EXPECT_TRUE(by["vendor_c/c-latest.bin"].whence_link);
  EXPECT_EQ(by["vendor_c/c-latest.bin"].resolved, "vendor_c/c1.bin");
  EXPECT_EQ(by["vendor_c/c1.bin"].licence, "LicenseRef-LICENCE.vendor_c");
  EXPECT_EQ(by["vendor_c/c1.bin"].licence_files, (Strings{t.sources[1].root + "/LICENCE.vendor_c"}));
  EXPECT_EQ(by["drv_a/one.bin"].licence_files, (Strings{t.sources[0].copyright_file}));
  EXPECT_EQ(by["old/blob.bin"].whence_driver, "old_driver");
  EXPECT_EQ(t.problems.size(), 1u) << t.problems[0];  // the dangling link
}

TEST(FirmwarePlan, OnePackageADriverSetProvidesAsRequested) {
  std::string deb = make_debian_tree(temp_dir("kmpkit-fw-deb"));
  std::string lf = make_whence_tree(temp_dir("kmpkit-fw-lf"));
  FirmwareTree t = read_firmware_tree({deb, lf});
  FirmwarePlan plan = plan_firmware_packages(t, test_requests(), {"6.1.0-1-amd64", "", ""});
  std::map<std::string, FirmwarePackage> by;
  Strings names;
  for (const auto& p : plan.packages) {
    by[p.name] = p;
    names.push_back(p.name);
  }
  EXPECT_EQ(names, (Strings{"kernel-firmware-drv_a", "kernel-firmware-drv_a+drv_b", "kernel-firmware-drv_c",
                            "kernel-firmware-drv_g", "kernel-firmware-unclaimed", "kernel-firmware-unclaimed-old_driver"}));
  auto paths = [&](const FirmwarePackage& p) {
    Strings out;
    for (size_t i : p.entries) out.push_back(t.entries[i].path);
    return out;
  };
  // A compressed file provides the name the driver requests; a link goes with its target.
  EXPECT_EQ(paths(by["kernel-firmware-drv_a"]), (Strings{"drv_a/link.bin", "drv_a/one.bin", "drv_a/two.bin.xz"}));
  EXPECT_EQ(by["kernel-firmware-drv_a"].provides,
            (Strings{"firmware(drv_a/link.bin)", "firmware(drv_a/one.bin)", "firmware(drv_a/two.bin)"}));
  EXPECT_EQ(by["kernel-firmware-drv_a"].drivers, (Strings{"drv_a"}));
  EXPECT_EQ(by["kernel-firmware-drv_a"].licence, "BSD-3-Clause-Clear");
  EXPECT_EQ(by["kernel-firmware-drv_a"].version, "20240101");
  EXPECT_EQ(by["kernel-firmware-drv_a"].release, "2");
  // A file two drivers load: a package of its own, named after both.
  EXPECT_EQ(paths(by["kernel-firmware-drv_a+drv_b"]), (Strings{"shared.bin"}));
  EXPECT_EQ(by["kernel-firmware-drv_a+drv_b"].summary, "Firmware shared by the drv_a and drv_b drivers");
  // A file requested only through a WHENCE link's name belongs to that driver; a name with a
  // space is packaged but cannot be a firmware() provide.
  EXPECT_EQ(paths(by["kernel-firmware-drv_c"]),
            (Strings{"vendor_c/c-latest.bin", "vendor_c/c1.bin", "vendor_c/c2.bin", "vendor_c/with space.bin"}));
  EXPECT_EQ(by["kernel-firmware-drv_c"].provides,
            (Strings{"firmware(vendor_c/c-latest.bin)", "firmware(vendor_c/c1.bin)", "firmware(vendor_c/c2.bin)"}));
  EXPECT_EQ(by["kernel-firmware-drv_c"].licence, "(Allegedly GPLv2+, but no source visible) AND LicenseRef-LICENCE.vendor_c");
  EXPECT_EQ(by["kernel-firmware-drv_c"].version, t.sources[1].version);
  // A glob request claims what it matches and is provided as written.
  EXPECT_EQ(by["kernel-firmware-drv_g"].provides,
            (Strings{"firmware(glob/board-*.txt)", "firmware(glob/board-x.txt)", "firmware(glob/board-y.txt)"}));
  // Nothing dropped: files no driver names are packaged and listed.
  EXPECT_EQ(paths(by["kernel-firmware-unclaimed"]), (Strings{"broken.bin", "lonely.bin"}));
  EXPECT_EQ(by["kernel-firmware-unclaimed"].provides, (Strings{"firmware(lonely.bin)"}));
  EXPECT_TRUE(by["kernel-firmware-unclaimed"].unclaimed);
  EXPECT_EQ(paths(by["kernel-firmware-unclaimed-old_driver"]), (Strings{"old/blob.bin"}));
  EXPECT_EQ(plan.unclaimed.size(), 3u);
  // Every file once.
  std::set<std::string> seen;
  size_t total = 0;
  for (const auto& p : plan.packages)
    for (size_t i : p.entries) {
      EXPECT_TRUE(seen.insert(t.entries[i].path).second) << t.entries[i].path;
      ++total;
    }
  EXPECT_EQ(total, t.entries.size());
  EXPECT_EQ(plan.requested, 8u);
  EXPECT_EQ(plan.requested_present, 6u);
  EXPECT_EQ(plan.requested_absent, (Strings{"drv_a/absent.bin"}));
  EXPECT_EQ(plan.not_provided, (Strings{"broken.bin (a link that leads nowhere)", "vendor_c/with space.bin (whitespace in the name)"}));
}

TEST(FirmwarePlan, PackageNames) {
  EXPECT_EQ(firmware_package_name({"ath9k_htc"}), "kernel-firmware-ath9k_htc");
  EXPECT_EQ(firmware_package_name({"pcnet_cs", "serial_cs"}), "kernel-firmware-pcnet_cs+serial_cs");
  Strings echo = {"snd_echo3g", "snd_gina24", "snd_indigo", "snd_indigodj", "snd_indigodjx",
                  "snd_indigoio", "snd_indigoiox", "snd_layla24", "snd_mia", "snd_mona"};
  std::string n = firmware_package_name(echo);
  EXPECT_TRUE(n.starts_with("kernel-firmware-snd_echo3g+9-more-")) << n;
  echo.pop_back();
  EXPECT_NE(firmware_package_name(echo), n);  // another set, another name
}

TEST(FirmwareSpec, ListsEveryFileOnceWithItsDirectoriesAndLicences) {
  std::string deb = make_debian_tree(temp_dir("kmpkit-fw-deb"));
  std::string lf = make_whence_tree(temp_dir("kmpkit-fw-lf"));
  FirmwareTree t = read_firmware_tree({deb, lf});
  FirmwarePlan plan = plan_firmware_packages(t, test_requests(), {"6.1.0-1-amd64", "", ""});
  std::string out = temp_dir("kmpkit-fw-spec");
  auto m = write_firmware_spec(plan, t, {out, "w9.zstdio", 0});
  ASSERT_EQ(m.specs.size(), 1u);
  EXPECT_EQ(m.specs[0].packages.size(), plan.packages.size());
  std::string spec = read_text(out + "/firmware.spec");
  EXPECT_NE(spec.find("%kmpkit_keep_modules_intact"), std::string::npos);
  EXPECT_NE(spec.find("BuildArch: noarch"), std::string::npos);
  EXPECT_NE(spec.find("%package -n kernel-firmware-drv_a\nVersion: 20240101\nRelease: 2\n"), std::string::npos) << spec;
  EXPECT_NE(spec.find("Provides: firmware(drv_a/two.bin)\n"), std::string::npos);
  EXPECT_NE(spec.find("AutoReqProv: no"), std::string::npos);
  std::string list = read_text(out + "/lists/kernel-firmware-drv_a.files");
  EXPECT_EQ(list,
            "%dir \"/lib/firmware\"\n%dir \"/lib/firmware/drv_a\"\n\"/lib/firmware/drv_a/link.bin\"\n"
            "\"/lib/firmware/drv_a/one.bin\"\n\"/lib/firmware/drv_a/two.bin.xz\"\n"
            "%dir \"/usr/share/licenses/kernel-firmware-drv_a\"\n"
            "%license \"/usr/share/licenses/kernel-firmware-drv_a/copyright\"\n");
  EXPECT_EQ(read_text(out + "/lists/firmware-whence.links"), "c1.bin\nvendor_c/c-latest.bin\n");
  EXPECT_EQ(read_text(out + "/lists/firmware-tree-2.install"),
            "vendor_c/c1.bin\nvendor_c/c2.bin\nvendor_c/with space.bin\nold/blob.bin\n");
  auto manifest = spec::read_manifest(out);
  EXPECT_EQ(manifest.scheme, "firmware");
}

}  // namespace
}  // namespace kmpkit::firmware
