#pragma once
// A policy from TOML text for plan tests ("format = 1" prepended); a load problem fails the test.
#include <gtest/gtest.h>

#include <string>

#include "policy/policy.hpp"

namespace kmpkit::test {

inline policy::Policy parse_policy_text(const std::string& text) {
  auto r = policy::load_policy_string("format = 1\n" + text, "test.toml");
  std::string all;
  for (auto& p : r.problems) all += p.message + "\n";
  EXPECT_TRUE(r.policy) << all;
  return r.policy ? *r.policy : policy::Policy{};
}

}  // namespace kmpkit::test
