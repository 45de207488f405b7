#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

namespace kmpkit::cli {

Progress::Progress(std::string what) : what_(std::move(what)) {
  const char* force = std::getenv("KMPKIT_PROGRESS");
  terminal_ = ::isatty(STDERR_FILENO) != 0;
  enabled_ = force ? std::string(force) == "1" : terminal_;
}

void Progress::update(size_t done, size_t total) {
  if (!enabled_ || total == 0) return;
  auto now = std::chrono::steady_clock::now();
  if (terminal_) {
    // A terminal: the line redrawn in place, at most ten times a second.
    if (drawn_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
    fmt::print(stderr, "\r{}: {}/{} ({}%)", what_, done, total, done * 100 / total);
  } else {
    // A log: one line every few seconds at most (and the last one).
    if (drawn_ && done < total && now - last_ < std::chrono::seconds(5)) return;
    if (drawn_ && done == last_done_) return;
    fmt::print(stderr, "{}: {}/{} ({}%)\n", what_, done, total, done * 100 / total);
  }
  std::fflush(stderr);
  last_ = now;
  last_done_ = done;
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_ && terminal_) fmt::print(stderr, "\n");
  drawn_ = false;
}

}  // namespace kmpkit::cli
