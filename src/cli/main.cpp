// kmpkit: the command-line front end. Commands live in cmd_*.cpp; the logic lives in the library.
#include <cstdio>
#include <initializer_list>
#include <string_view>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/parse_errors.hpp"

namespace {

using AddCommands = void (*)(CLI::App&, int&);
struct CommandGroup {
  AddCommands add;
  std::initializer_list<std::string_view> names;  // the commands `add` registers
};

// Every command group, in the order `kmpkit --help` lists them.
const CommandGroup kCommandGroups[] = {
    {kmpkit::cli::add_scan_command, {"scan"}},
    {kmpkit::cli::add_depgen_command, {"depgen"}},
    {kmpkit::cli::add_depmod_command, {"depmod"}},
    {kmpkit::cli::add_package_commands, {"split", "build", "package"}},
    {kmpkit::cli::add_kabi_commands, {"kabi"}},
    {kmpkit::cli::add_install_command, {"install"}},
    {kmpkit::cli::add_verify_command, {"verify"}},
    {kmpkit::cli::add_weak_updates_command, {"weak-updates"}},
    {kmpkit::cli::add_initrd_command, {"initrd"}},
    {kmpkit::cli::add_refresh_command, {"refresh"}},
    {kmpkit::cli::add_purge_kernels_command, {"purge-kernels"}},
    {kmpkit::cli::add_firmware_command, {"firmware"}},
    {kmpkit::cli::add_drivers_command, {"drivers"}},
    {kmpkit::cli::add_kmp_command, {"kmp"}},
};

// Only the group of the command asked for is built: rpm runs `kmpkit depgen` once per packaged
// file and the kernel package's triggers run depmod, so start-up counts, and constructing every
// command's options is a large part of it. Anything else (--help, --version, a misspelt command)
// gets every command, so nothing but the time differs; a name missing from the table above only
// costs that time.
void add_commands(CLI::App& app, int& exit_code, std::string_view first_argument) {
  for (const auto& group : kCommandGroups)
    for (auto name : group.names)
      if (name == first_argument) return group.add(app, exit_code);
  for (const auto& group : kCommandGroups) group.add(app, exit_code);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kmpkit: a modular packaged Linux kernel (kernel module packages, KABI, depmod)"};
  app.set_version_flag("--version", std::string("kmpkit ") + KMPKIT_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 partial (some inputs unreadable), 2 usage, 3 input or tool missing,\n"
             "4 dependency cycle, 5 external tool failed, 6 inconsistent system, 7 write error,\n"
             "8 kernel excluded by the source (kmp build).\n"
             "Run 'kmpkit COMMAND --help' for a command's options.");
  int exit_code = kmpkit::exit_code::ok;
  add_commands(app, exit_code, argc > 1 ? argv[1] : "");
  if (auto name = kmpkit::cli::unknown_command(app, argc, argv)) {
    std::fputs(kmpkit::cli::unknown_command_message(app, *name).c_str(), stderr);
    return kmpkit::exit_code::usage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end parsing as "errors" too: CLI11 prints those itself.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::fputs(kmpkit::cli::parse_error_message(app, e).c_str(), stderr);
    return kmpkit::exit_code::usage;
  }
  return exit_code;
}
