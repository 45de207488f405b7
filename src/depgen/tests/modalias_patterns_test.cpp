#include <gtest/gtest.h>

#include "depgen/modalias_patterns.hpp"

using namespace kmpkit;
using namespace kmpkit::depgen;

TEST(ModaliasPatterns, KeepsOnlyDeviceAliases) {
  EXPECT_TRUE(is_device_alias("pci:v00008086d*"));
  EXPECT_TRUE(is_device_alias("acpi*:ABC1234:*"));
  EXPECT_FALSE(is_device_alias("fs-ext4"));
  EXPECT_FALSE(is_device_alias("net-pf-10"));
  EXPECT_FALSE(is_device_alias("char-major-10-250"));
  EXPECT_FALSE(is_device_alias(":leading"));
  EXPECT_FALSE(is_device_alias("trailing:"));
  EXPECT_TRUE(is_device_alias("a:b"));
}

TEST(ModaliasPatterns, EncodesEverythingOutsideTheSafeSet) {
  EXPECT_EQ(encode_modalias("pci:v00008086d*sv*"), "pci:v00008086d*sv*");
  EXPECT_EQ(encode_modalias("of:N*T*Cvendor,model-x"), "of:N*T*Cvendor%2Cmodel%2Dx");
  EXPECT_EQ(encode_modalias("dmi:pn*Some Name*:"), "dmi:pn*Some%20Name*:");
  EXPECT_EQ(encode_modalias("platform:a[1]_b.c?"), "platform:a%5B1%5D%5Fb%2Ec%3F");
}

TEST(ModaliasPatterns, MergesSingleCharacterDifferences) {
  std::vector<std::string> in = {
      "pci:v00008086d00001502sv*sd*bc*sc*i*",
      "pci:v00008086d00001503sv*sd*bc*sc*i*",
      "pci:v00008086d0000150Asv*sd*bc*sc*i*",
      "pci:v00008086d000015A0sv*sd*bc*sc*i*",
  };
  auto out = merge_patterns(in);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "pci:v00008086d0000150[23A]sv*sd*bc*sc*i*");
  EXPECT_EQ(out[1], "pci:v00008086d000015A0sv*sd*bc*sc*i*");
}

TEST(ModaliasPatterns, RunKeepsOnePositionAndNeverTouchesStarsOrEscapes) {
  // Second line differs at position 1, third from the first at position 2: separate runs.
  EXPECT_EQ(merge_patterns({"a:ab", "a:ac", "a:bb"}), (std::vector<std::string>{"a:a[bc]", "a:bb"}));
  EXPECT_EQ(merge_patterns({"a:*b", "a:cb"}), (std::vector<std::string>{"a:*b", "a:cb"}));
  EXPECT_EQ(merge_patterns({"a:x%2C", "a:x%2D"}), (std::vector<std::string>{"a:x%2C", "a:x%2D"}));
  EXPECT_EQ(merge_patterns({"a:b", "a:b2"}), (std::vector<std::string>{"a:b", "a:b2"}));
}
