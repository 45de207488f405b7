#pragma once
// What the tests need from the machine: the real kernel, the test modules, the kmpkit binary,
// and a way to run commands. The README's test command prepares these (scripts/test-setup.sh).
#include <optional>
#include <string>
#include <utility>
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
// The release an unpacked kernel root holds (ROOT/KVER, as scripts/fetch-kernel.sh writes it).
std::string release_of_root(const std::string& root);
// scripts/fetch-kernel-pair.sh MODE (far, partial, zero): the unpacked roots of the two kernels,
// fetched when needed; nullopt when the registry offers no such pair.
std::optional<std::pair<std::string, std::string>> kernel_pair_roots(const std::string& mode);
// scripts/fetch-kernel-pair.sh chain: three consecutive kernels without a KABI change, oldest first
// (empty when the registry offers none).
std::vector<std::string> kernel_chain_roots();
std::string module_dir();       // kernel_root()/lib/modules/KVER
// The real kernel's base directory as shipped ("plain") or recompressed ("xz", "zst": a cached copy
// made by scripts/make-compressed-tree.sh).
std::string kernel_root_compressed(const std::string& variant);
// Built test modules (KMPKIT_TEST_MODULES, else scripts/build-test-modules.sh's output).
std::string test_modules_dir();
// Debian's firmware-linux-free and firmware-ath9k-htc, each unpacked into its own root
// (KMPKIT_FIRMWARE_ROOTS, space-separated, else scripts/fetch-firmware.sh's cache).
std::vector<std::string> debian_firmware_roots();
// The real hardware profiles (hw-profiles/ of the source tree).
std::string hw_profiles_dir();
// A fresh empty temporary directory, removed at exit.
std::string temp_dir(const std::string& hint = "kmpkit-test");
std::string shell_quote(const std::string& s);
// A file's bytes ("" when it cannot be read); writing creates the parent directories.
std::string read_text(const std::string& path);
void write_text(const std::string& path, const std::string& text);
std::vector<std::string> split_lines(const std::string& text);

}  // namespace kmpkit::test
