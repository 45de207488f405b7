#include "cli/parse_errors.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "util/nearest_name.hpp"

namespace kmpkit::cli {
namespace {

std::string commands_list(const CLI::App& app) {
  std::string out = "commands:\n";
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; }))
    out += fmt::format("  {:<14} {}\n", sub->get_name(), sub->get_description());
  return out;
}

// Every option name of a command ("--policy", "-b", ...): for "did you mean".
std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> out;
  for (const auto* o : command.get_options()) {
    for (const auto& l : o->get_lnames()) out.push_back("--" + l);
    for (const auto& s : o->get_snames()) out.push_back("-" + s);
  }
  return out;
}

// "--polcy" (or "--polcy=x") → " (did you mean --policy?)".
std::string option_suggestion(const std::string& arg, const CLI::App* command) {
  if (!command || arg.rfind("--", 0) != 0) return "";
  auto near = nearest_name(arg.substr(0, arg.find('=')), option_names(*command));
  return near ? fmt::format(" (did you mean {}?)", *near) : "";
}

std::string unexpected_arguments(const std::string& list, const CLI::App* command) {
  std::vector<std::string> args;
  std::istringstream in(list);
  for (std::string a; in >> a;) args.push_back(a);
  // CLI11 lists them last first; unknown options first, they usually explain the extra arguments.
  std::reverse(args.begin(), args.end());
  std::stable_partition(args.begin(), args.end(), [](const std::string& a) { return a.rfind("-", 0) == 0; });
  std::string out;
  for (const auto& a : args) {
    if (!out.empty()) out += "; ";
    out += a.rfind("-", 0) == 0 ? fmt::format("unknown option {}{}", a, option_suggestion(a, command))
                                : fmt::format("unexpected argument '{}'", a);
  }
  return out;
}

}  // namespace

std::vector<std::string> command_names(const CLI::App& app) {
  std::vector<std::string> out;
  for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) out.push_back(sub->get_name());
  return out;
}

std::optional<std::string> unknown_command(const CLI::App& app, int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  std::string first = argv[1];
  if (first.empty() || first[0] == '-') return std::nullopt;
  for (const auto& name : command_names(app))
    if (name == first) return std::nullopt;
  return first;
}

std::string unknown_command_message(const CLI::App& app, const std::string& name) {
  auto near = nearest_name(name, command_names(app));
  return fmt::format("kmpkit: unknown command '{}'{}\n{}Run 'kmpkit COMMAND --help' for a command's options.\n", name,
                     near ? fmt::format(" (did you mean '{}'?)", *near) : "", commands_list(app));
}

std::string failing_command(const CLI::App& app) {
  std::string path;
  const CLI::App* at = &app;
  for (;;) {
    auto parsed = at->get_subcommands();  // the ones given on the command line
    if (parsed.empty()) return path;
    at = parsed.front();
    path += (path.empty() ? "" : " ") + at->get_name();
  }
}

std::string rephrase(const CLI::ParseError& error, const CLI::App* command) {
  std::string m = error.what();
  std::smatch g;
  static const std::regex extras("The following arguments? (?:was|were) not expected: (.*)");
  static const std::regex required("(\\S+) is required");
  static const std::regex exactly("Expected exactly (\\d+) arguments? to (\\S+), got \\d+");
  static const std::regex typed("(\\S+): \\d+ required \\S+ missing");
  static const std::regex convert("Could not convert: (\\S+) = (.*)");
  static const std::regex excludes("(\\S+) excludes (\\S+)");
  static const std::regex requires_("(\\S+) requires (\\S+)");
  if (m == "A subcommand is required")
    return command && command->get_parent()
               ? fmt::format("a command is required: {}", fmt::join(command_names(*command), ", "))
               : "a command is required";
  if (std::regex_match(m, g, extras)) return unexpected_arguments(g[1].str(), command);
  if (std::regex_match(m, g, required))
    return fmt::format("the {} {} is required", g[1].str().rfind("-", 0) == 0 ? "option" : "argument", g[1].str());
  if (std::regex_match(m, g, exactly)) return fmt::format("{} needs a value", g[2].str());
  if (std::regex_match(m, g, typed)) return fmt::format("{} needs a value", g[1].str());
  if (std::regex_match(m, g, convert)) return fmt::format("{}: '{}' is not a valid value", g[1].str(), g[2].str());
  if (std::regex_match(m, g, excludes)) return fmt::format("{} cannot be used with {}", g[1].str(), g[2].str());
  if (std::regex_match(m, g, requires_)) return fmt::format("{} needs {} too", g[1].str(), g[2].str());
  // Anything else (a validator's message): CLI11's text, lower-cased like kmpkit's own messages.
  if (!m.empty() && std::isupper(static_cast<unsigned char>(m[0])) && (m.size() < 2 || std::islower(static_cast<unsigned char>(m[1]))))
    m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
  return m;
}

std::string parse_error_message(const CLI::App& app, const CLI::ParseError& error) {
  std::string path = failing_command(app);
  const CLI::App* command = &app;
  for (auto* sub = &app; sub;) {
    auto parsed = sub->get_subcommands();
    if (parsed.empty()) break;
    command = sub = parsed.front();
  }
  std::string who = path.empty() ? "kmpkit" : "kmpkit " + path;
  std::string text = fmt::format("{}: {}\n", who, rephrase(error, command));
  if (path.empty()) return text + commands_list(app) + "Run 'kmpkit COMMAND --help' for a command's options.\n";
  return text + fmt::format("Run '{} --help' for its options.\n", who);
}

}  // namespace kmpkit::cli
