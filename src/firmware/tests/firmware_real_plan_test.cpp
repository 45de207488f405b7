// The firmware split of the real inputs, without rpmbuild: Debian's firmware-linux-free and
// firmware-ath9k-htc against the real kernel's 4023 modules (207 of them name 2030 firmware files).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "test_env.hpp"

namespace kmpkit::test {
namespace {

using Strings = std::set<std::string>;

const nlohmann::json& real_report() {
  static nlohmann::json j = [] {
    std::string cmd = shell_quote(kmpkit_binary()) + " firmware split";
    for (const auto& r : debian_firmware_roots()) cmd += " " + shell_quote(r);
    cmd += " --kernel-root " + shell_quote(kernel_root()) + " " + shell_quote(kernel_release()) + " --plan --json";
    auto res = run(cmd);
    if (res.exit_code != 0) throw std::runtime_error("kmpkit firmware split failed: " + res.out + res.err);
    return nlohmann::json::parse(res.out);
  }();
  return j;
}

std::map<std::string, nlohmann::json> packages_by_name() {
  std::map<std::string, nlohmann::json> out;
  for (const auto& p : real_report()["packages"]) out[p["name"].get<std::string>()] = p;
  return out;
}

TEST(FirmwareRealPlan, DriversOfTheRealKernel) {
  const auto& j = real_report();
  ASSERT_EQ(debian_firmware_roots().size(), 2u);
  EXPECT_EQ(j["drivers"]["with_firmware"], 207);
  EXPECT_EQ(j["drivers"]["firmware_lines"], 2030);
  EXPECT_EQ(j["drivers"]["unreadable"], 0);
  ASSERT_EQ(j["sources"].size(), 2u);
  EXPECT_EQ(j["sources"][0]["name"], "firmware-linux-free");
  EXPECT_EQ(j["sources"][1]["name"], "firmware-ath9k-htc");
  EXPECT_EQ(j["problems"].size(), 0u) << j["problems"].dump();
}

TEST(FirmwareRealPlan, OnePackageADriverAndTheSharedCisFiles) {
  auto by = packages_by_name();
  Strings names;
  for (const auto& [n, p] : by) names.insert(n);
  EXPECT_EQ(names, (Strings{"kernel-firmware-ath9k_htc", "kernel-firmware-carl9170", "kernel-firmware-isci",
                            "kernel-firmware-keyspan_pda", "kernel-firmware-pcnet_cs", "kernel-firmware-pcnet_cs+serial_cs",
                            "kernel-firmware-serial_cs", "kernel-firmware-usbdux", "kernel-firmware-usbduxfast",
                            "kernel-firmware-usbduxsigma", "kernel-firmware-unclaimed"}));
  const auto& ath = by["kernel-firmware-ath9k_htc"];
  EXPECT_EQ(ath["provides"], nlohmann::json::array({"firmware(ath9k_htc/htc_7010-1.4.0.fw)",
                                                    "firmware(ath9k_htc/htc_9271-1.4.0.fw)"}));
  EXPECT_EQ(ath["license"], "BSD-3-Clause-Clear");  // the Debian copyright's Files: * paragraph
  EXPECT_EQ(ath["version"], "1.4.0.108.gd856466+dfsg1");
  EXPECT_EQ(ath["release"], "1.3+deb12u1");
  EXPECT_EQ(ath["bytes"], 72812 + 51008);
  // pcnet_cs and serial_cs both load two CIS files: those go to a package of their own.
  EXPECT_EQ(by["kernel-firmware-pcnet_cs+serial_cs"]["provides"],
            nlohmann::json::array({"firmware(cis/DP83903.cis)", "firmware(cis/PCMLM28.cis)"}));
  EXPECT_EQ(by["kernel-firmware-carl9170"]["license"], "GPL-2+");
  // Files no driver of this kernel names (av7110 is not built for amd64, dsp56k is Atari's).
  EXPECT_EQ(real_report()["unclaimed"]["files"],
            nlohmann::json::array({"/lib/firmware/av7110/bootcode.bin", "/lib/firmware/dsp56k/bootstrap.bin"}));
  // Every file of the two packages once.
  std::set<std::string> seen;
  size_t files = 0;
  for (const auto& [n, p] : by)
    for (const auto& f : p["files"]) {
      EXPECT_TRUE(seen.insert(f["path"].get<std::string>()).second) << f["path"];
      ++files;
    }
  EXPECT_EQ(files, 27u);
  EXPECT_EQ(real_report()["requested"]["provided"], 25);
}

}  // namespace
}  // namespace kmpkit::test
