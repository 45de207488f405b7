// A new user's mistakes on the command line: each gets a message that starts with "kmpkit CMD:",
// says what is wrong in kmpkit's words and ends with exit 2 (usage) or 3 (no such tree).
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "test_env.hpp"

namespace kmpkit::test {
namespace {

CommandResult kmpkit(const std::string& args) { return run(shell_quote(kmpkit_binary()) + " " + args); }

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST(Messages, UnknownCommandListsTheCommands) {
  auto r = kmpkit("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(starts_with(r.err, "kmpkit: unknown command 'frobnicate'\n")) << r.err;
  for (const char* cmd : {"scan", "split", "package", "install", "verify", "depmod"})
    EXPECT_NE(r.err.find("\n  " + std::string(cmd) + " "), std::string::npos) << cmd << " not listed:\n" << r.err;
  EXPECT_EQ(r.err.find("A subcommand is required"), std::string::npos) << r.err;
  auto typo = kmpkit("verfy");
  EXPECT_TRUE(starts_with(typo.err, "kmpkit: unknown command 'verfy' (did you mean 'verify'?)")) << typo.err;
}

TEST(Messages, NoCommand) {
  auto r = kmpkit("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(starts_with(r.err, "kmpkit: a command is required\n")) << r.err;
  EXPECT_NE(r.err.find("\n  install "), std::string::npos) << r.err;
}

TEST(Messages, ParseErrorsStartWithTheCommand) {
  struct Case {
    std::string args, message;
  } cases[] = {
      {"split --policy p.toml", "kmpkit split: the argument kver is required\n"},
      {"split --polcy p.toml 6.1.0-1-amd64", "kmpkit split: unknown option --polcy (did you mean --policy?)"},
      {"split --shards many 6.1.0-1-amd64", "kmpkit split: --shards: 'many' is not a valid value\n"},
      {"split 6.1.0-1-amd64 extra", "kmpkit split: unexpected argument 'extra'\n"},
      {"install --repo r --hardware h", "kmpkit install: the option --root is required\n"},
      {"verify --root", "kmpkit verify: --root needs a value\n"},
      {"kabi", "kmpkit kabi: a command is required: diff\n"},
      {"kabi diff --jsn a b", "kmpkit kabi diff: unknown option --jsn (did you mean --json?)\n"},
  };
  for (const auto& c : cases) {
    auto r = kmpkit(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_TRUE(starts_with(r.err, c.message)) << c.args << ":\n" << r.err;
    EXPECT_NE(r.err.find("--help' for its options"), std::string::npos) << r.err;
  }
  auto scheme = kmpkit("split --scheme kabbi 6.1.0-1-amd64");
  EXPECT_EQ(scheme.exit_code, 2);
  EXPECT_TRUE(starts_with(scheme.err, "kmpkit split: --scheme: ")) << scheme.err;
}

TEST(Messages, HelpAndVersionStillWork) {
  auto help = kmpkit("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("install"), std::string::npos);
  EXPECT_EQ(kmpkit("--version").exit_code, 0);
  EXPECT_EQ(kmpkit("split --help").exit_code, 0);
}

// Every command `kmpkit --help` lists answers `kmpkit COMMAND --help` with its own usage.
TEST(Messages, EveryListedCommandIsBuiltWhenAskedFor) {
  auto help = kmpkit("--help");
  ASSERT_EQ(help.exit_code, 0);
  auto section = help.out.find("Subcommands:\n");
  ASSERT_NE(section, std::string::npos) << help.out;
  std::istringstream lines(help.out.substr(section + 13));
  size_t commands = 0;
  for (std::string line; std::getline(lines, line) && line.rfind("  ", 0) == 0;) {
    std::string name = line.substr(2, line.find(' ', 2) - 2);
    auto r = kmpkit(name + " --help");
    EXPECT_EQ(r.exit_code, 0) << name << ":\n" << r.err;
    EXPECT_NE(r.out.find("Usage: " + kmpkit_binary() + " " + name + " "), std::string::npos) << name << ":\n" << r.out;
    ++commands;
  }
  EXPECT_GE(commands, 16u) << help.out;
}

// A tree with two releases; the user asks for a third.
std::string tree_with_two_releases() {
  std::string root = temp_dir("kmpkit-wrong-release");
  std::filesystem::create_directories(root + "/lib/modules/6.1.0-56-amd64");
  std::filesystem::create_directories(root + "/lib/modules/6.1.0-57-amd64");
  return root;
}

TEST(Messages, AWrongKernelReleaseListsThePresentOnes) {
  std::string root = tree_with_two_releases();
  for (const char* cmd : {"scan", "depmod", "split --check"}) {
    auto r = kmpkit(std::string(cmd) + " -b " + shell_quote(root) + " 6.1.0-58-amd64");
    EXPECT_EQ(r.exit_code, 3) << cmd << ": " << r.err;
    EXPECT_NE(r.err.find("the kernel releases in " + root + "/lib/modules are: 6.1.0-56-amd64, 6.1.0-57-amd64"),
              std::string::npos)
        << cmd << ": " << r.err;
  }
  auto none = kmpkit("scan -b " + shell_quote(root + "/nothing") + " 6.1.0-58-amd64");
  EXPECT_NE(none.err.find("/nothing/lib/modules does not exist"), std::string::npos) << none.err;
}

TEST(Messages, DepmodTakesOneReleaseAsItsHelpSays) {
  std::string root = tree_with_two_releases();
  auto r = kmpkit("depmod -b " + shell_quote(root) + " 6.1.0-56-amd64 6.1.0-57-amd64");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("kmpkit depmod: one kernel release at a time"), std::string::npos) << r.err;
  auto help = kmpkit("depmod --help");
  EXPECT_NE(help.out.find("One kernel release"), std::string::npos) << help.out;
}

TEST(Messages, OptionsThatWouldBeIgnoredAreRefused) {
  struct Case {
    std::string args, message;
  } cases[] = {
      {"split --with-deps 6.1.0-1-amd64 --out o", "kmpkit split: --with-deps only adds to --only's KMPs"},
      {"package --with-deps 6.1.0-1-amd64 --out o", "kmpkit package: --with-deps only adds to --only's KMPs"},
      {"split --check --out o 6.1.0-1-amd64", "kmpkit split: --check writes nothing, so --out has no use"},
      {"split --check --host-base 6.1.0-1-amd64", "kmpkit split: --check builds nothing, so --host-base has no use"},
  };
  for (const auto& c : cases) {
    auto r = kmpkit(c.args + " -b /nonexistent-root");
    EXPECT_EQ(r.exit_code, 2) << c.args << ": " << r.err;
    EXPECT_TRUE(starts_with(r.err, c.message)) << c.args << ":\n" << r.err;
  }
}

}  // namespace
}  // namespace kmpkit::test
