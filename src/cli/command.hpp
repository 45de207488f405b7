#pragma once
// Each command file registers one subcommand; main.cpp only wires them together.
#include <CLI/CLI.hpp>

namespace kmpkit::cli {

// `exit_code` receives the command's result when its callback runs.
void add_scan_command(CLI::App& app, int& exit_code);
void add_depgen_command(CLI::App& app, int& exit_code);
void add_depmod_command(CLI::App& app, int& exit_code);    // cmd_depmod.cpp
void add_package_commands(CLI::App& app, int& exit_code);  // cmd_package.cpp: split, build, package
void add_kabi_commands(CLI::App& app, int& exit_code);     // cmd_kabi.cpp: kabi diff
void add_verify_command(CLI::App& app, int& exit_code);    // cmd_verify.cpp
void add_weak_updates_command(CLI::App& app, int& exit_code);  // cmd_weak_updates.cpp
void add_initrd_command(CLI::App& app, int& exit_code);        // cmd_initrd.cpp
void add_refresh_command(CLI::App& app, int& exit_code);       // cmd_refresh.cpp
void add_purge_kernels_command(CLI::App& app, int& exit_code); // cmd_purge_kernels.cpp
void add_install_command(CLI::App& app, int& exit_code);        // cmd_install.cpp
void add_firmware_command(CLI::App& app, int& exit_code);       // cmd_firmware.cpp: firmware split
void add_drivers_command(CLI::App& app, int& exit_code);        // cmd_drivers.cpp
void add_kmp_command(CLI::App& app, int& exit_code);            // cmd_kmp.cpp: kmp build

}  // namespace kmpkit::cli
