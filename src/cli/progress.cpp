#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

namespace kmpkit::cli {

Progress::Progress(std::string what) : what_(std::move(what)) {
  const char* force = std::getenv("KMPKIT_PROGRESS");
  enabled_ = force ? std::string(force) == "1" : ::isatty(STDERR_FILENO) != 0;
}

void Progress::update(size_t done, size_t total) {
  if (!enabled_ || total == 0) return;
  fmt::print(stderr, "\r{}: {}/{} ({}%)", what_, done, total, done * 100 / total);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) fmt::print(stderr, "\n");
  drawn_ = false;
}

}  // namespace kmpkit::cli
