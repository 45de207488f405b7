#pragma once
// One run of the dependency generator as rpm calls it (fileattrs: file paths in, one dependency a
// line out, rpm 4.19's multifile protocol when asked): read what the kind needs from each file,
// the side files the specs name only when something needs them (rpm 4.18 runs the generator once
// per file, so work before reading the file is paid thousands of times).
#include <string>
#include <vector>

#include "depgen/depgen.hpp"

namespace kmpkit::depgen {

struct GeneratorRequest {
  DepKind kind = DepKind::Provides;
  DepgenOptions options;                 // style, flavor, symvers, release
  std::vector<std::string> files;        // the package's files (others than modules and images are ignored)
  std::string provides_only_file;        // --provides-only-imported FILE
  std::string prefix_map_file;           // --modalias-prefix-map FILE
  std::string softdep_map_file;          // --softdep-map FILE
  bool multifile = false;                // ";FILE" before each file's dependencies
  ModuleFilesReader reader;              // how modules are read (read_with_libkmod, or the lean reader)
};

struct GeneratorOutput {
  std::string text;                 // what rpm reads
  std::vector<ReadError> errors;    // modules that could not be read (rpm must fail the build)
};

// Throws Error(Input) when a side file it needs cannot be read.
GeneratorOutput run_generator(const GeneratorRequest& request);

}  // namespace kmpkit::depgen
