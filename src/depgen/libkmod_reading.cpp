// Kept apart from depgen.cpp so that kmpkit-depgen, which reads modules without libkmod, does
// not link it.
#include "depgen/depgen.hpp"

namespace kmpkit::depgen {

TreeScan read_with_libkmod(const std::vector<std::string>& files, unsigned threads, unsigned parts) {
  return read_modules(files, {}, threads, {}, parts);
}

}  // namespace kmpkit::depgen
