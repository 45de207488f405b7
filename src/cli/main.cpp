// kmpkit: the command-line front end. Commands live in cmd_*.cpp; the logic lives in the library.
#include <cstdio>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/parse_errors.hpp"

int main(int argc, char** argv) {
  CLI::App app{"kmpkit: a modular packaged Linux kernel (kernel module packages, KABI, depmod)"};
  app.set_version_flag("--version", std::string("kmpkit ") + KMPKIT_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 partial (some inputs unreadable), 2 usage, 3 input or tool missing,\n"
             "4 dependency cycle, 5 external tool failed, 6 inconsistent system, 7 write error,\n"
             "8 kernel excluded by the source (kmp build).\n"
             "Run 'kmpkit COMMAND --help' for a command's options.");
  int exit_code = kmpkit::exit_code::ok;
  kmpkit::cli::add_scan_command(app, exit_code);
  kmpkit::cli::add_depgen_command(app, exit_code);
  kmpkit::cli::add_depmod_command(app, exit_code);
  kmpkit::cli::add_package_commands(app, exit_code);
  kmpkit::cli::add_kabi_commands(app, exit_code);
  kmpkit::cli::add_install_command(app, exit_code);
  kmpkit::cli::add_verify_command(app, exit_code);
  kmpkit::cli::add_weak_updates_command(app, exit_code);
  kmpkit::cli::add_initrd_command(app, exit_code);
  kmpkit::cli::add_refresh_command(app, exit_code);
  kmpkit::cli::add_purge_kernels_command(app, exit_code);
  kmpkit::cli::add_firmware_command(app, exit_code);
  kmpkit::cli::add_drivers_command(app, exit_code);
  kmpkit::cli::add_kmp_command(app, exit_code);
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
