#pragma once
// The modprobe that ran a hint. kmod runs an `install` command with only the module's name
// (MODPROBE_MODULE, here always "kmpkit_hint": the globs cannot say which name matched), so the
// hint reads the names asked for from its modprobe ancestor's command line.
#include <optional>
#include <string>
#include <vector>

namespace kmpkit::drivers {

struct ModprobeCall {
  std::vector<std::string> modules;  // as asked for (-a: all of them)
  bool quiet = false;                // -q: modprobe's own "not found" is not printed
  std::string dirname;               // -d ROOT
  std::string kver;                  // -S KVER
};

// kmod's modprobe command line (argv[0] "modprobe", or "kmod" "modprobe"); nullopt when it is not
// one, or when it only shows, removes or lists (nothing to hint then).
std::optional<ModprobeCall> parse_modprobe_argv(const std::vector<std::string>& argv);

// The nearest modprobe among this process's ancestors (through the shell kmod's system() starts);
// nullopt from libkmod users such as udev, which have no such command line.
std::optional<ModprobeCall> calling_modprobe();

}  // namespace kmpkit::drivers
