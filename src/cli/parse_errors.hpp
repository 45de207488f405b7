#pragma once
// Command-line mistakes in kmpkit's words: every message starts with "kmpkit CMD:" (CMD the command
// being parsed), CLI11's wordings are rephrased, and an unknown command lists the commands there are.
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace kmpkit::cli {

// The subcommand names of `app`, in the order they were added.
std::vector<std::string> command_names(const CLI::App& app);

// argv[1] when it names no command (and is no option): the first error to report, before CLI11
// reads further ("kmpkit: unknown command 'drivers'" instead of "A subcommand is required").
std::optional<std::string> unknown_command(const CLI::App& app, int argc, char** argv);

// "kmpkit: unknown command 'X'" (with the nearest command, if one is close) and the commands.
std::string unknown_command_message(const CLI::App& app, const std::string& name);

// The deepest command CLI11 was parsing when it failed: "kabi diff", "split"; "" for kmpkit itself.
std::string failing_command(const CLI::App& app);

// CLI11's message for a parse error in kmpkit's words, without the "kmpkit CMD: " prefix.
std::string rephrase(const CLI::ParseError& error, const CLI::App* command);

// The whole report of a parse error: "kmpkit CMD: message" and where to read more.
std::string parse_error_message(const CLI::App& app, const CLI::ParseError& error);

}  // namespace kmpkit::cli
