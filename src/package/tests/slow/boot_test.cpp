// The proof: a Debian 12 userspace with the kernel package and the KMPs that q35-virtio's hardware,
// its root file system and its userspace select, installed with zypper, boots in QEMU from a dracut
// initrd; every device of the ground truth gets its driver, nothing asked for at boot is missing,
// kmpkit verify is clean inside; and the initrd is made again only when a transaction touches what
// it holds (scripts/boot-test.sh, docs/boot.md).
#include <gtest/gtest.h>

#include <fstream>

#include "real_repo.hpp"

namespace kmpkit::test {
namespace {

nlohmann::json boot(const std::string& profile, const std::string& out, const std::string& extra = {}) {
  const auto& r = real_repo();
  auto res = run("bash " + q(source_dir() + "/scripts/boot-test.sh") + " " + q(source_dir() + "/hw-profiles/" + profile) +
                 " --repo " + q(r.repo) + " --out " + q(out) + " " + extra + " 2>&1");
  std::cout << res.out;
  std::ifstream in(out + "/report.json");
  if (!in) return {{"exit", res.exit_code}};
  auto report = nlohmann::json::parse(in);
  report["exit"] = res.exit_code;
  return report;
}

TEST(Boot, Q35VirtioBootsFromItsHardwareSelectedInstall) {
  std::string out = temp_dir("kmpkit-boot-q35");
  auto report = boot("q35-virtio", out, "--initrd-scenario");
  std::cout << report.dump(1).substr(0, 6000) << "\n";
  ASSERT_TRUE(report.value("booted", false)) << report.value("error", std::string("no report"));
  EXPECT_TRUE(report["root_from_initrd"].get<bool>());
  EXPECT_TRUE(report["ground_truth_missing"].empty()) << report["ground_truth_missing"];
  EXPECT_TRUE(report["load_failures"].empty()) << report["load_failures"];
  EXPECT_EQ(report["verify_exit"], 0) << pl::read_text(out + "/verify.txt");
  EXPECT_EQ(report["exit"], 0);
  // The kernel side stays small: at most 5 % of the whole kernel.
  EXPECT_LE(report["install"]["installed_share"].get<double>(), 5.0) << report["install"];
  // The root file system came from libzypp's filesystem() supplements, and the initrd holds it.
  auto modules = report["loaded_modules"];
  EXPECT_NE(std::find(modules.begin(), modules.end(), "ext4"), modules.end());
  // The initrd follows the KMPs: one zypper transaction each.
  ASSERT_TRUE(report["initrd_scenario"].is_array()) << report["initrd_scenario"];
  for (const auto& step : report["initrd_scenario"])
    EXPECT_EQ(step["initrd_regenerations"], step["goal"]) << step["transaction"];
}

}  // namespace
}  // namespace kmpkit::test
