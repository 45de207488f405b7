#pragma once
// Dependency check of an installed root with libsolv: what `rpm -V` checks for dependencies, but
// fast. rpm looks every versioned requires up in its database and loads the providing header each
// time (about 3 ms per ksym() requires against a kernel package with 10,000 provides: 10 minutes
// for a whole kernel's KMPs); libsolv indexes all provides once.
#include <string>
#include <vector>

namespace kmpkit::test {

struct UnsatisfiedRequire {
  std::string package;     // name-version-release.arch
  std::string dependency;  // as written, e.g. "ksym(amd64:foo) = 1234abcd"
};

struct InstalledCheck {
  size_t packages = 0;
  size_t requires_checked = 0;
  std::vector<UnsatisfiedRequire> unsatisfied;
  std::string error;  // the database could not be read
};

// Reads ROOT/var/lib/rpm (as zypper does) and checks every requires of every installed package
// (rpmlib() features excepted) against the installed provides, file provides included.
InstalledCheck check_installed(const std::string& root);

}  // namespace kmpkit::test
