#pragma once
// Phase timings on stderr when KMPKIT_DEPMOD_TIMING is set (for benchmarks and profiling).
#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace kmpkit::depmod {

class PhaseTimer {
 public:
  PhaseTimer() : enabled_(std::getenv("KMPKIT_DEPMOD_TIMING") != nullptr), last_(std::chrono::steady_clock::now()) {}
  void operator()(const char* what) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    std::fprintf(stderr, "  %-18s %7.2f ms\n", what, std::chrono::duration<double, std::milli>(now - last_).count());
    last_ = now;
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace kmpkit::depmod
