// Every problem of a policy is placed at its value (file:line:column), so an editor jumps to it
// (issue 14): bad values, templates, duplicate names, unknown patterns.
#include <gtest/gtest.h>

#include <string>

#include "policy/policy.hpp"

namespace kmpkit::policy {
namespace {

std::string all_problems(const LoadResult& r) {
  std::string s;
  for (const auto& p : r.problems) s += p.message + "\n";
  return s;
}

TEST(PolicyPositions, EveryValueProblemIsAtItsValue) {
  auto r = load_policy_string(R"(format = 1
[kernel]
flavor = "amd 64"
[naming]
scheme = "kabbi"
kmp = "{modul}-kmp"
[kmp]
dependencies = "all"
provides = "some"
[build]
compress_modules = "gzip"
payload = "w9 zstdio"
release = "1-2"
[[set]]
name = "a-{kabi}"
modules = ["x"]
[[set]]
  name = "a-{kabi}"
modules = ["y"]
[[pattern]]
name = "p"
requires = { patterns = ["q"] }
)",
                              "p.toml");
  ASSERT_FALSE(r.policy);
  const std::string all = all_problems(r);
  for (const char* expected : {
           "p.toml:3:10: [kernel] flavor \"amd 64\"",
           "p.toml:5:10: [naming] scheme must be",
           "p.toml:6:7: [naming] kmp: unknown placeholder {modul}",
           "p.toml:8:16: [kmp] dependencies must be",
           "p.toml:9:12: [kmp] provides must be",
           "p.toml:11:20: [build] compress_modules \"gzip\"",
           "p.toml:12:11: [build] payload \"w9 zstdio\"",
           "p.toml:13:11: [build] release \"1-2\"",
           "p.toml:15:8: {kabi} in a KMP name needs",
           "p.toml:18:10: two sets are named \"a-{kabi}\" (the other at line 14)",
           "p.toml:22:26: pattern \"p\" names the unknown pattern \"q\"",
       })
    EXPECT_NE(all.find(expected), std::string::npos) << "missing: " << expected << "\nin:\n" << all;
  // Each line names a position: none is left at the bare file name.
  for (const auto& p : r.problems) EXPECT_EQ(p.message.rfind("p.toml: ", 0), std::string::npos) << p.message;
}

TEST(PolicyPositions, APolicyWithProblemsIsStillReadForTheTreeChecks) {
  auto r = load_policy_string("format = 1\n[kernel]\nflavour = \"x\"\n[[set]]\nname = \"s\"\nmodules = [\"a\", \"b\"]\n",
                              "p.toml");
  EXPECT_FALSE(r.policy);
  ASSERT_TRUE(r.partial);
  ASSERT_EQ(r.partial->sets.size(), 1u);
  ASSERT_EQ(r.partial->sets[0].select.modules_at.size(), 2u);
  EXPECT_EQ(r.partial->sets[0].select.modules_at[1].line, 6);
  EXPECT_EQ(r.partial->sets[0].select.modules_at[1].column, 17);
  EXPECT_EQ(r.partial->sets[0].name_at.line, 5);
  // A syntax error leaves nothing to check.
  EXPECT_FALSE(load_policy_string("format = 1\n[[set]\n", "p.toml").partial);
}

}  // namespace
}  // namespace kmpkit::policy
