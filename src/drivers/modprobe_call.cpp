#include "drivers/modprobe_call.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace kmpkit::drivers {
namespace {

// kmod 30's modprobe options ("arRibfDcnC:d:S:sqvVh" and their long forms).
bool takes_value(const std::string& opt) {
  return opt == "-C" || opt == "-d" || opt == "-S" || opt == "--config" || opt == "--dirname" || opt == "--set-version";
}

std::vector<std::string> read_cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  for (size_t start = 0; start < all.size();) {
    size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    argv.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return argv;
}

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, the last ')' ends it.
  auto close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 1));
  std::string state;
  pid_t ppid = 0;
  rest >> state >> ppid;
  return ppid;
}

}  // namespace

std::optional<ModprobeCall> parse_modprobe_argv(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::nullopt;
  size_t first = 1;
  const std::string program = std::filesystem::path(argv[0]).filename().string();
  if (program == "kmod" && argv.size() > 1 && argv[1] == "modprobe") {
    first = 2;
  } else if (program != "modprobe") {
    return std::nullopt;
  }
  ModprobeCall call;
  bool all = false, options_end = false;
  std::vector<std::string> words;
  for (size_t i = first; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (options_end || a.empty() || a[0] != '-' || a == "-") {
      words.push_back(a);
      continue;
    }
    if (a == "--") {
      options_end = true;
      continue;
    }
    std::string opt = a, value;
    bool has_value = false;
    if (a.starts_with("--")) {
      if (auto eq = a.find('='); eq != std::string::npos) {
        opt = a.substr(0, eq);
        value = a.substr(eq + 1);
        has_value = true;
      }
      if (takes_value(opt) && !has_value && i + 1 < argv.size()) value = argv[++i];
      if (opt == "--all") all = true;
      if (opt == "--quiet") call.quiet = true;
      if (opt == "--remove" || opt == "--show-depends" || opt == "--showconfig" || opt == "--show-config" ||
          opt == "--dump-modversions" || opt == "--show-modversions" || opt == "--show-exports" ||
          opt == "--resolve-alias")
        return std::nullopt;
      if (opt == "--dirname") call.dirname = value;
      if (opt == "--set-version") call.kver = value;
      continue;
    }
    // Short options, possibly bundled ("-qa", "-S6.1.0-57-amd64").
    for (size_t c = 1; c < a.size(); ++c) {
      char o = a[c];
      if (o == 'C' || o == 'd' || o == 'S') {
        value = c + 1 < a.size() ? a.substr(c + 1) : (i + 1 < argv.size() ? argv[++i] : "");
        if (o == 'd') call.dirname = value;
        if (o == 'S') call.kver = value;
        break;
      }
      if (o == 'a') all = true;
      if (o == 'q') call.quiet = true;
      if (o == 'r' || o == 'R' || o == 'D' || o == 'c') return std::nullopt;
    }
  }
  if (words.empty()) return std::nullopt;
  // Without -a the first word is the module and the rest are its parameters.
  call.modules = all ? words : std::vector<std::string>{words.front()};
  return call;
}

std::optional<ModprobeCall> calling_modprobe() {
  // kmod runs the rule through system(): modprobe → sh → kmpkit, a shell or two at most.
  pid_t pid = ::getppid();
  for (int depth = 0; depth < 4 && pid > 1; ++depth, pid = parent_of(pid))
    if (auto call = parse_modprobe_argv(read_cmdline(pid))) return call;
  return std::nullopt;
}

}  // namespace kmpkit::drivers
