#pragma once
// Phase timings of a depmod run, kept in its report (the command prints them when
// KMPKIT_DEPMOD_TIMING is set: benchmarks and profiling).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace kmpkit::depmod {

class PhaseTimer {
 public:
  explicit PhaseTimer(std::vector<std::pair<std::string, double>>& out) : out_(out), last_(std::chrono::steady_clock::now()) {}
  void operator()(const char* what) {
    auto now = std::chrono::steady_clock::now();
    out_.emplace_back(what, std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }

 private:
  std::vector<std::pair<std::string, double>>& out_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace kmpkit::depmod
