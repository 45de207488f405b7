#pragma once
// A check of what rpmbuild wrote: every KMP must carry the kmod() provide that kmpkit depgen
// generates for each of its module files. A package without it was written without any of its
// generated dependencies (seen once in six whole-kernel builds with rpm 4.18, not reproducible,
// nothing in the log) and would install without its ksym() requirements.
#include <string>
#include <vector>

namespace kmpkit::build {

struct MissingDependencies {
  std::string package;  // package name
  std::string module;   // a module file of it without its kmod() provide
};

// Queries every .rpm under `repo` (one rpm -qp for all); packages without module files are fine.
// Throws Error(Tool) when rpm cannot be run.
std::vector<MissingDependencies> packages_missing_generated_dependencies(const std::string& repo);

}  // namespace kmpkit::build
