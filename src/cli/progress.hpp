#pragma once
// Progress on stderr for work that takes more than a few seconds: redrawn in place on a terminal,
// one line every few seconds in a log (KMPKIT_PROGRESS=1 forces it on, 0 off; default: a terminal).
#include <chrono>
#include <cstddef>
#include <string>

namespace kmpkit::cli {

class Progress {
 public:
  explicit Progress(std::string what);
  void update(size_t done, size_t total);
  void finish();

 private:
  std::string what_;
  bool enabled_;
  bool terminal_;
  bool drawn_ = false;
  size_t last_done_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace kmpkit::cli
