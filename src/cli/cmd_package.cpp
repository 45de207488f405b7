// Placeholder: replaced when the package commands land.
#include "cli/command.hpp"

namespace kmpkit::cli {
void add_package_commands(CLI::App&, int&) {}
}  // namespace kmpkit::cli
