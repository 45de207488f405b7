// Placeholder: replaced when the depmod commands land.
#include "cli/command.hpp"

namespace kmpkit::cli {
void add_depmod_command(CLI::App&, int&) {}
}  // namespace kmpkit::cli
