// depgen on every module of the real Debian kernel: rpm accepts every string it prints, and a
// package built with them carries exactly those dependencies (rpm -qp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "module/tree_walk.hpp"
#include "test_env.hpp"

namespace fs = std::filesystem;
using namespace kmpkit;
using namespace kmpkit::test;

namespace {

std::vector<std::string> depgen_lines(const std::string& list_file, const std::string& kind) {
  auto r = run(shell_quote(kmpkit_binary()) + " depgen " + kind + " < " + shell_quote(list_file));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return split_lines(r.out);
}

TEST(DepgenRealKernel, RpmAcceptsAndCarriesEveryDependency) {
  auto files = list_module_files(module_dir());
  ASSERT_GT(files.size(), 3000u);
  const size_t chunks = 8;
  auto top = temp_dir("kmpkit-depgen-rpm");
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {"--provides", "Provides"}, {"--requires", "Requires"}, {"--supplements", "Supplements"},
      {"--recommends", "Recommends"}};
  std::vector<std::map<std::string, std::set<std::string>>> expected(chunks);
  std::string spec = "Name: depgen-check\nVersion: 1\nRelease: 1\nSummary: x\nLicense: GPL-2.0-only\n"
                     "%description\nx\n%files\n";
  size_t total = 0;
  for (size_t c = 0; c < chunks; ++c) {
    auto list = fmt::format("{}/chunk{}", top, c);
    {
      std::ofstream out(list);
      for (size_t i = c; i < files.size(); i += chunks) out << files[i] << "\n";
    }
    spec += fmt::format("%package -n chunk{}\nSummary: x\n", c);
    for (auto& [flag, tag] : kinds)
      for (auto& d : depgen_lines(list, flag)) {
        if (d.empty()) continue;
        spec += tag + ": " + d + "\n";
        expected[c][flag].insert(d);
        ++total;
      }
    spec += fmt::format("%description -n chunk{}\nx\n%files -n chunk{}\n", c, c);
  }
  EXPECT_GT(total, 50000u);
  std::ofstream(top + "/check.spec") << spec;
  auto r = run("rpmbuild -bb --define '_topdir " + top + "' --define '__kmpkit /bin/false' " + top + "/check.spec 2>&1 | tail -20");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  for (size_t c = 0; c < chunks; ++c) {
    auto rpm = split_lines(run(fmt::format("ls {}/RPMS/*/chunk{}-1-1.*.rpm", top, c)).out).at(0);
    for (auto& [flag, tag] : kinds) {
      std::set<std::string> got;
      for (auto& d : split_lines(run("rpm -qp " + flag + " " + rpm).out))
        if (d.starts_with("ksym(") || d.starts_with("kmod(") || d.starts_with("modalias(") || d.starts_with("firmware(") ||
            d.starts_with("filesystem(") || d.starts_with("(kmod("))
          got.insert(d);
      EXPECT_EQ(got, expected[c][flag]) << "chunk " << c << " " << flag;
    }
  }
}

// formats.md: e1000e's 105 aliases become 30 Supplements lines.
TEST(DepgenRealKernel, E1000eMergesTo30Patterns) {
  auto r = run("find " + shell_quote(module_dir()) + " -name 'e1000e.ko*' | " + shell_quote(kmpkit_binary()) +
               " depgen --supplements");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto lines = split_lines(r.out);
  EXPECT_EQ(lines.size(), 30u) << r.out;
  auto aliases = split_lines(run("find " + shell_quote(module_dir()) + " -name 'e1000e.ko*' -exec /sbin/modinfo -F alias {} \\;").out);
  EXPECT_EQ(aliases.size(), 105u);
}

}  // namespace
