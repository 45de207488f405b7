#pragma once
// Progress on stderr for work that takes more than a few seconds; silent when not a terminal
// unless forced (KMPKIT_PROGRESS=1).
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
  bool drawn_ = false;
};

}  // namespace kmpkit::cli
