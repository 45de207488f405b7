// `kmpkit split --check` reports everything in one run (issue 14): the policy's own mistakes and
// its checks against the tree together, each at its value; and what each module set costs: its
// modalias patterns, the hardware profiles it matches, the KMPs installing it pulls in.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline_support.hpp"
#include "test_env.hpp"

namespace kmpkit::test {
namespace {

namespace pl = pipeline;
namespace fs = std::filesystem;

struct Tree {
  std::string dir, root;
};

const Tree& tree() {
  static Tree t = [] {
    Tree x;
    x.dir = temp_dir("kmpkit-policy-check");
    x.root = x.dir + "/root";
    pl::make_fixture_tree(x.root);
    return x;
  }();
  return t;
}

CommandResult check(const std::string& policy_text, const std::string& extra = "") {
  const std::string policy = tree().dir + "/policy.toml";
  write_text(policy, policy_text);
  return run(shell_quote(kmpkit_binary()) + " split --check --policy " + shell_quote(policy) + " -b " +
             shell_quote(tree().root) + " " + kernel_release() + " " + extra);
}

TEST(PolicyCheck, OneRunReportsThePolicysMistakesAndTheTreeChecks) {
  auto r = check(R"(format = 1
[kernel]
flavour = "amd64"
[build]
compress_modules = "gzip"
[[set]]
name = "chain-kmp-{flavor}"
modules = ["kmpt_mid", "kmpt_leef"]
[[set]]
name = "other-kmp-{flavor}"
modules = ["kmpt_core", "kmpt_mid"]
)");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const std::string p = tree().dir + "/policy.toml";
  for (const std::string& expected : std::vector<std::string>{
           "kmpkit split: " + p + ":3:1: unknown key 'flavour' in [kernel] (did you mean 'flavor'?)",
           "kmpkit split: " + p + ":5:20: [build] compress_modules \"gzip\"",
           "kmpkit split: " + p + ":8:24: set \"chain-kmp-amd64\": module \"kmpt_leef\" matches no module of",
           "; did you mean \"kmpt_leaf\"?",
           "kmpkit split: " + p + ":11:25: module kmpt_mid (kernel/drivers/misc/kmpt/kmpt_mid.ko) is claimed by set "
           "\"chain-kmp-amd64\" (line 8:12) and by set \"other-kmp-amd64\"",
           "(4 problem(s)); nothing was written",
       })
    EXPECT_NE(r.err.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << r.err;
}

TEST(PolicyCheck, AnEmptyPolicyIsRefused) {
  auto r = check("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the policy is empty"), std::string::npos) << r.err;
}

TEST(PolicyCheck, WhatEachSetCosts) {
  // Two machines: one with a device kmpt_alias drives, one without.
  const std::string profiles = tree().dir + "/profiles";
  write_text(profiles + "/with-nic/modalias.tsv",
             "/devices/pci0000:00/0000:00:03.0/modalias\tpci:v00008086d0000150Csv00001234sd00005678bc02sc00i00\n");
  write_text(profiles + "/without/modalias.tsv", "/devices/LNXSYSTM:00/modalias\tacpi:LNXSYSTM:\n");
  const std::string policy = "format = 1\n[[set]]\nname = \"nic-kmp-{flavor}\"\nmodules = [\"kmpt_alias\", \"kmpt_leaf\"]\n";
  auto r = check(policy, "--hw-profiles " + shell_quote(profiles));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  nic-kmp-amd64: 2 modules, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("modalias patterns (matches with-nic)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pulls in 2 other KMPs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kmpt_core-kmp-amd64, kmpt_mid-kmp-amd64"), std::string::npos) << r.out;

  auto j = check(policy, "--json --hw-profiles " + shell_quote(profiles));
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto report = nlohmann::json::parse(j.out);
  EXPECT_TRUE(report["fits"].get<bool>());
  ASSERT_EQ(report["sets"].size(), 1u);
  const auto& set = report["sets"][0];
  EXPECT_EQ(set["package"], "nic-kmp-amd64");
  EXPECT_EQ(set["modules"], 2);
  EXPECT_EQ(set["machines"], nlohmann::json::array({"with-nic"}));
  EXPECT_EQ(set["pulls"], nlohmann::json::array({"kmpt_core-kmp-amd64", "kmpt_mid-kmp-amd64"}));
  EXPECT_GT(set["pulled_bytes"].get<uint64_t>(), 0u);
  // kmpt_alias's device aliases (pci, usb, acpi, of, dmi, platform...), not its plain names.
  EXPECT_GE(set["modalias_patterns"].get<int>(), 8);

  // With problems, --json still answers (fits false, the problems listed) and exits 2.
  auto bad = check("format = 1\n[[set]]\nname = \"x\"\nmodules = [\"kmpt_nothere\"]\n", "--json --strict");
  EXPECT_EQ(bad.exit_code, 2);
  auto b = nlohmann::json::parse(bad.out);
  EXPECT_FALSE(b["fits"].get<bool>());
  EXPECT_EQ(b["problems"].size(), 1u) << bad.out;
}

TEST(PolicyCheck, JsonAndProfilesNeedCheck) {
  auto r = run(shell_quote(kmpkit_binary()) + " split --json -b " + shell_quote(tree().root) + " " +
               kernel_release() + " --out " + shell_quote(tree().dir + "/out"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("kmpkit split: --json is the report of --check"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tree().dir + "/out"));
}

}  // namespace
}  // namespace kmpkit::test
