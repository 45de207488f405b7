// docs/install.md and the README's quick start run as written (issue 14). install.md: its commands are taken from the Markdown (the
// indented `kmpkit ...` lines of sections 1-3 and the fenced zypper recipe), so the test breaks
// when the docs change. The placeholders get values: ROOT a tiny kernel tree (the real kernel's
// image files and the test modules), KVER its release, DIR and R directories of the test, FILE
// the q35-virtio profile; the fenced recipe's /var/tmp/ becomes the test's directory; the default
// policy, written for whole kernels (its names would be misspellings of the tiny tree's), becomes
// the fast tests' policy. Run from the source tree, as a user of the repository would.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "package/tests/fixture_repo.hpp"
#include "test_env.hpp"

namespace kmpkit::test {
namespace {

namespace pl = pipeline;
namespace fs = std::filesystem;
using pl::q;

struct Recipe {
  std::vector<std::string> commands;  // the indented kmpkit lines, in order
  std::string by_hand;                // the fenced block
};

Recipe read_recipe(const std::string& markdown) {
  Recipe r;
  bool fenced = false;
  for (const auto& line : split_lines(markdown)) {
    if (line.rfind("```", 0) == 0) {
      fenced = !fenced;
      continue;
    }
    if (fenced) r.by_hand += line + "\n";
    else if (line.rfind("    kmpkit ", 0) == 0) r.commands.push_back(line.substr(4));
  }
  return r;
}

std::string replace_word(const std::string& s, const std::string& word, const std::string& value) {
  return std::regex_replace(s, std::regex("\\b" + word + "\\b"), value);
}

TEST(DocsRecipe, InstallMdRunsAsWritten) {
  const std::string src = source_dir();
  Recipe recipe = read_recipe(read_text(src + "/docs/install.md"));
  ASSERT_EQ(recipe.commands.size(), 3u) << "docs/install.md: package, install, verify";
  ASSERT_NE(recipe.by_hand.find("zypper --root $R"), std::string::npos);

  const std::string dir = temp_dir("kmpkit-docs-recipe");
  const std::string root = dir + "/tree", out = dir + "/out", r = dir + "/installed";
  pl::make_fixture_tree(root);
  const std::string hw = src + "/hw-profiles/q35-virtio/modalias.tsv";
  write_text(dir + "/policy.toml", kFixturePolicy);
  std::string script = "set -e\ncd " + q(src) + "\n";
  for (std::string c : recipe.commands) {
    c = q(kmpkit_binary()) + c.substr(std::string("kmpkit").size());
    c = std::regex_replace(c, std::regex("policies/default\\.toml"), q(dir + "/policy.toml"));
    c = replace_word(c, "ROOT", q(root));
    c = replace_word(c, "KVER", kernel_release());
    c = replace_word(c, "DIR", q(out));
    c = std::regex_replace(c, std::regex("--root R\\b"), "--root " + q(r));
    c = std::regex_replace(c, std::regex("FILE\\|this-machine"), q(hw));
    c = std::regex_replace(c, std::regex(" \\[--json\\]"), "");
    script += "echo '+ " + c + "' >&2\n" + c + "\n";
  }
  std::string by_hand = recipe.by_hand;
  by_hand = std::regex_replace(by_hand, std::regex("/var/tmp/"), dir + "/hand-");
  by_hand = std::regex_replace(by_hand, std::regex("\\$PWD/DIR"), out);
  script += "# the recipe by hand\n" + by_hand;
  write_text(dir + "/recipe.sh", script);

  auto res = run("bash " + q(dir + "/recipe.sh"));
  ASSERT_EQ(res.exit_code, 0) << script << "\n" << res.out << res.err;
  // kmpkit install's root and the one made by hand hold the same packages: the kernel and what
  // empty roots need (no test module drives a q35-virtio device).
  const std::set<std::string> want = {"kernel-amd64", "kmpkit", "kmpkit-host-base"};
  EXPECT_EQ(pl::installed(r), want);
  EXPECT_EQ(pl::installed(dir + "/hand-root"), want);
  EXPECT_TRUE(fs::exists(dir + "/hand-root/lib/modules/" + kernel_release() + "/modules.dep"));
  auto v = run(q(kmpkit_binary()) + " verify --root " + q(dir + "/hand-root"));
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

// The README's first command, as written, from the source tree: the main job on the real default
// input (the whole kernel packaged, the q35-virtio install by zypper). In CI it finds its build
// directory (./build) already built by the test set-up; elsewhere it builds it first.
TEST(DocsRecipe, ReadmeQuickStartRunsAsWritten) {
  const std::string src = source_dir();
  std::string command;
  for (const auto& line : split_lines(read_text(src + "/README.md")))
    if (line.rfind("    bash ", 0) == 0) {
      command = line.substr(4);
      break;
    }
  ASSERT_EQ(command, "bash scripts/main-job.sh") << "the README's quick start changed: update this test";
  const std::string out = temp_dir("kmpkit-readme-main-job");
  auto res = run("cd " + q(src) + " && KMPKIT_MAIN_OUT=" + q(out + "/main") + " KMPKIT_PROGRESS=0 " + command +
                 " > " + q(out + "/log") + " 2>&1");
  auto log = read_text(out + "/log");
  ASSERT_EQ(res.exit_code, 0) << log.substr(log.size() > 6000 ? log.size() - 6000 : 0);
  auto summary = log.substr(log.find("kmpkit main job: Linux "));
  std::cout << summary;
  EXPECT_NE(summary.find("installed for q35-virtio"), std::string::npos);
  EXPECT_NE(summary.find("modules.dep lines"), std::string::npos);
  // Every module the machine loaded is installed, but the capture harness's 9p mount.
  auto covered = summary.substr(summary.find("not installed: "));
  covered = covered.substr(0, covered.find('('));
  for (const std::string word : {"virtio", "ahci", "e1000", "ext4"}) EXPECT_EQ(covered.find(word), std::string::npos) << covered;
  EXPECT_FALSE(pl::installed(out + "/main/root-q35-virtio").empty());
}

}  // namespace
}  // namespace kmpkit::test
