// Placeholder: replaced when the kabi commands land.
#include "cli/command.hpp"

namespace kmpkit::cli {
void add_kabi_commands(CLI::App&, int&) {}
}  // namespace kmpkit::cli
