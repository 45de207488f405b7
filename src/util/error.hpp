#pragma once
// kmpkit's one error convention (docs/architecture.md):
// - a failure that stops an operation is thrown as kmpkit::Error, whose kind says what went wrong
//   (the command line turns the kind into an exit code: cli/exit_codes.hpp);
// - problems with single inputs that do not stop it (an unreadable module among thousands, a
//   policy line) are data: the operation's result lists them, and the caller decides.
// The library never writes to stderr and never exits.
#include <stdexcept>
#include <string>

namespace kmpkit {

enum class ErrorKind {
  Usage,    // a bad request or configuration (a policy that does not fit, conflicting options)
  Input,    // an input or a required tool is missing or unreadable
  Tool,     // an external tool (rpmbuild, createrepo_c, zypper, dracut) failed
  Write,    // output could not be written (disk full, permissions); the previous state is intact
  Cycle,    // the module dependency graph has a cycle
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace kmpkit
