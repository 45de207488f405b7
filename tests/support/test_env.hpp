#pragma once
// What the tests need from the machine: the real kernel, the test modules, the kmpkit binary,
// and a way to run commands. The README's test command prepares these (scripts/test-setup.sh).
#include <string>
#include <vector>

namespace kmpkit::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a shell command; stdout/stderr captured (stderr capped at 1 MB).
CommandResult run(const std::string& command);

std::string kmpkit_binary();
std::string source_dir();
// Unpacked real Debian kernel root (KMPKIT_KERNEL_ROOT, else scripts/fetch-kernel.sh's cache).
std::string kernel_root();
std::string kernel_release();   // contents of kernel_root()/KVER
std::string module_dir();       // kernel_root()/lib/modules/KVER
// Built test modules (KMPKIT_TEST_MODULES, else scripts/build-test-modules.sh's output).
std::string test_modules_dir();
// A fresh empty temporary directory, removed at exit.
std::string temp_dir(const std::string& hint = "kmpkit-test");
std::string shell_quote(const std::string& s);
std::vector<std::string> split_lines(const std::string& text);

}  // namespace kmpkit::test
