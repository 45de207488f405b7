#pragma once
// Shared by the depmod tests: trees in temp dirs, Debian's depmod as the oracle, file-by-file
// comparison of the ten database files.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "depmod/database.hpp"
#include "test_env.hpp"

namespace kmpkit::depmod::testing {

namespace fs = std::filesystem;
using kmpkit::test::run;
using kmpkit::test::shell_quote;
using kmpkit::test::read_text;
using kmpkit::test::write_text;

inline constexpr const char* kOracle = "/sbin/depmod";

inline std::string moddir(const std::string& root, const std::string& kver) { return root + "/lib/modules/" + kver; }

// Runs Debian's depmod (capped: kmod 30 can print without end on a cycle).
inline kmpkit::test::CommandResult run_oracle(const std::string& root, const std::string& kver,
                                              const std::string& conf = {}) {
  std::string cmd = "timeout 120 " + std::string(kOracle) + " -b " + shell_quote(root);
  if (!conf.empty()) cmd += " -C " + shell_quote(conf);
  cmd += " " + shell_quote(kver) + " 2>&1 | head -c 1000000; exit ${PIPESTATUS[0]}";
  return run("bash -c " + shell_quote(cmd));
}

inline kmpkit::test::CommandResult run_kmpkit(const std::string& root, const std::string& kver,
                                              const std::string& conf = {}, const std::string& extra = {}) {
  std::string cmd = shell_quote(kmpkit::test::kmpkit_binary()) + " depmod -b " + shell_quote(root);
  if (!conf.empty()) cmd += " -C " + shell_quote(conf);
  if (!extra.empty()) cmd += " " + extra;
  cmd += " " + shell_quote(kver);
  return run(cmd);
}

// The ten files of a module directory (missing file: "<missing>").
inline std::array<std::string, kDatabaseFileCount> database_files(const std::string& dir) {
  std::array<std::string, kDatabaseFileCount> out;
  for (size_t i = 0; i < kDatabaseFileCount; ++i) {
    std::string p = dir + "/" + kDatabaseFiles[i];
    out[i] = fs::exists(p) ? read_text(p) : std::string("<missing>");
  }
  return out;
}

// Empty when equal, else which files differ and where.
inline std::string compare_databases(const std::array<std::string, kDatabaseFileCount>& want,
                                     const std::array<std::string, kDatabaseFileCount>& got) {
  std::string diff;
  for (size_t i = 0; i < kDatabaseFileCount; ++i) {
    if (want[i] == got[i]) continue;
    size_t at = 0;
    while (at < want[i].size() && at < got[i].size() && want[i][at] == got[i][at]) ++at;
    diff += std::string(kDatabaseFiles[i]) + " differs at byte " + std::to_string(at) + " (sizes " +
            std::to_string(want[i].size()) + " vs " + std::to_string(got[i].size()) + ")\n";
  }
  return diff;
}

// Runs the oracle, keeps its output, runs kmpkit on the same tree, compares. Returns the
// difference (empty: identical); `kmpkit_out` gets kmpkit's result.
inline std::string oracle_vs_kmpkit(const std::string& root, const std::string& kver, const std::string& conf,
                                    const std::string& extra = {},
                                    kmpkit::test::CommandResult* kmpkit_out = nullptr) {
  auto o = run_oracle(root, kver, conf);
  if (o.exit_code != 0) return "oracle failed (" + std::to_string(o.exit_code) + "): " + o.out.substr(0, 2000);
  auto want = database_files(moddir(root, kver));
  auto k = run_kmpkit(root, kver, conf, extra);
  if (kmpkit_out) *kmpkit_out = k;
  if (k.exit_code != 0) return "kmpkit failed (" + std::to_string(k.exit_code) + "): " + k.err.substr(0, 2000);
  return compare_databases(want, database_files(moddir(root, kver)));
}

}  // namespace kmpkit::depmod::testing
