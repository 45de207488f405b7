// The parts of modprobe's hints that need no kernel: the glob cover of missing names beside the names
// that must keep resolving, and reading the asked names from a modprobe command line.
#include <gtest/gtest.h>

#include <fnmatch.h>

#include "drivers/hint_patterns.hpp"
#include "drivers/modprobe_call.hpp"

namespace kmpkit::drivers {
namespace {

bool any_matches(const std::vector<std::string>& patterns, const std::string& name) {
  for (const auto& p : patterns)
    if (::fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

TEST(HintPatterns, CoverEveryMissingNameAndNoKeptOne) {
  std::set<std::string> missing = {"e1000", "e1000e", "igb", "ixgbe", "ixgbevf", "zd1211rw", "8250_exar", "acpi_als"};
  std::vector<std::string> kept = {"e100", "igbvf", "ixgb", "pci:v00008086d*", "acpi*:ACPI0008:*", "zd1211",
                                   "char_major_81_*"};
  auto h = hint_patterns(missing, kept);
  EXPECT_TRUE(h.uncovered.empty());
  for (const auto& m : missing) EXPECT_TRUE(any_matches(h.patterns, m)) << m;
  for (const std::string k : {"e100", "igbvf", "ixgb", "pci:v00008086d000010D3sv*", "acpi:ACPI0008:", "zd1211",
                              "char_major_81_0"})
    EXPECT_FALSE(any_matches(h.patterns, k)) << k;
  // Shortest safe prefixes, siblings in one bracket; a name that begins another kept one stays exact.
  EXPECT_EQ(h.patterns, (std::vector<std::string>{"8*", "acpi_*", "e1000*", "igb", "ixgbe*", "zd1211r*"}));
}

TEST(HintPatterns, SiblingsShareOneLineAndAGlobKeptNameBlocksWhatItCanMatch) {
  auto h = hint_patterns({"a1x", "a3x", "a8x", "snd_foo", "snd_bar"}, {"ab", "snd*"});
  EXPECT_EQ(h.patterns, (std::vector<std::string>{"a[138]*"}));
  EXPECT_EQ(h.uncovered, (std::vector<std::string>{"snd_bar", "snd_foo"}));  // "snd*" matches them: no hint
}

TEST(ModprobeCall, NamesOptionsAndWhatIsNotALoad) {
  auto c = parse_modprobe_argv({"/sbin/modprobe", "-q", "-S", "6.1.0-57-amd64", "--", "e1000e", "debug=1"});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->modules, (std::vector<std::string>{"e1000e"}));
  EXPECT_TRUE(c->quiet);
  EXPECT_EQ(c->kver, "6.1.0-57-amd64");
  auto all = parse_modprobe_argv({"kmod", "modprobe", "-va", "--dirname=/mnt", "-C", "/etc/x", "igb", "e1000e"});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->modules, (std::vector<std::string>{"igb", "e1000e"}));
  EXPECT_EQ(all->dirname, "/mnt");
  EXPECT_FALSE(all->quiet);
  auto bundled = parse_modprobe_argv({"modprobe", "-S6.1.0-1-amd64", "9p"});
  ASSERT_TRUE(bundled);
  EXPECT_EQ(bundled->kver, "6.1.0-1-amd64");
  EXPECT_FALSE(parse_modprobe_argv({"modprobe", "-r", "e1000e"}));
  EXPECT_FALSE(parse_modprobe_argv({"modprobe", "--show-depends", "e1000e"}));
  EXPECT_FALSE(parse_modprobe_argv({"sh", "-c", "modprobe e1000e"}));
  EXPECT_FALSE(parse_modprobe_argv({"modprobe", "-q"}));
}

}  // namespace
}  // namespace kmpkit::drivers
