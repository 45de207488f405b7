// kmpkit-depgen: the dependency generator rpm starts once per module file (rpm 4.18 fileattrs).
// Same options and output as `kmpkit depgen`, but a small static executable that reads modules
// without libkmod (module/lean_reader.hpp): start-up, not generating, was the cost of every call.
// Whatever it does not handle itself (--help, a bad option, a module the lean reader cannot read
// exactly as libkmod would) it hands, with the same arguments and file list, to `kmpkit depgen`
// installed beside it, so the output and the error messages are kmpkit's in every case.
#include <sys/mman.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "cli/exit_codes.hpp"
#include "depgen/generator.hpp"
#include "module/lean_reader.hpp"

namespace {

using namespace kmpkit;
using namespace kmpkit::depgen;

struct NeedsLibkmod {};

// `kmpkit` in the directory of this executable.
std::string full_kmpkit() {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "kmpkit";
  std::string path(self, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/') + 1) + "kmpkit";
}

// Replaces this process by `kmpkit depgen ARGS` reading `files` on stdin.
[[noreturn]] void hand_over(int argc, char** argv, const std::vector<std::string>& files) {
  int fd = ::memfd_create("kmpkit-depgen-files", 0);
  if (fd >= 0) {
    std::string text;
    for (const auto& f : files) text += f + "\n";
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::lseek(fd, 0, SEEK_SET) == 0;
    if (ok && ::dup2(fd, STDIN_FILENO) >= 0) {
      ::close(fd);
      std::string binary = full_kmpkit();
      std::vector<char*> args{const_cast<char*>(binary.c_str()), const_cast<char*>("depgen")};
      for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
      args.push_back(nullptr);
      std::fflush(stdout);
      ::execv(binary.c_str(), args.data());
      fmt::print(stderr, "kmpkit-depgen: cannot run {}: {}\n", binary, std::strerror(errno));
      std::_Exit(exit_code::input_missing);
    }
  }
  fmt::print(stderr, "kmpkit-depgen: cannot hand the file list over to kmpkit depgen: {}\n", std::strerror(errno));
  std::_Exit(exit_code::io_error);
}

// The options of `kmpkit depgen`; false for anything else (then `kmpkit depgen` answers).
bool parse(int argc, char** argv, GeneratorRequest& req) {
  int kinds = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    std::string value;
    auto eq = a.find('=');
    std::string_view name = a.substr(0, eq);
    auto take_value = [&]() -> bool {
      if (eq != std::string_view::npos) value = std::string(a.substr(eq + 1));
      else if (i + 1 < argc) value = argv[++i];
      else return false;
      return true;
    };
    if (eq == std::string_view::npos && name == "--provides") req.kind = DepKind::Provides, ++kinds;
    else if (eq == std::string_view::npos && name == "--requires") req.kind = DepKind::Requires, ++kinds;
    else if (eq == std::string_view::npos && name == "--supplements") req.kind = DepKind::Supplements, ++kinds;
    else if (eq == std::string_view::npos && name == "--recommends") req.kind = DepKind::Recommends, ++kinds;
    else if (eq == std::string_view::npos && name == "--multifile") req.multifile = true;
    else if (name == "--style") {
      if (!take_value() || (value != "suse" && value != "rhel")) return false;
      req.options.style = value == "rhel" ? DepStyle::Rhel : DepStyle::Suse;
    } else if (name == "--flavor") {
      if (!take_value()) return false;
      req.options.flavor = value;
    } else if (name == "--symvers") {
      if (!take_value()) return false;
      req.options.symvers = value;
    } else if (name == "--release") {
      if (!take_value()) return false;
      req.options.release = value;
    } else if (name == kProvidesOnlyImportedOption) {
      if (!take_value()) return false;
      req.provides_only_file = value;
    } else if (name == kModaliasPrefixOption) {
      if (!take_value()) return false;
      req.prefix_map_file = value;
    } else if (name == kSoftdepMapOption) {
      if (!take_value()) return false;
      req.softdep_map_file = value;
    } else {
      return false;
    }
  }
  return kinds == 1;
}

}  // namespace

int main(int argc, char** argv) {
  GeneratorRequest req;
  bool understood = parse(argc, argv, req);
  for (std::string line; std::getline(std::cin, line);)
    if (!line.empty()) req.files.push_back(line);
  if (!understood) hand_over(argc, argv, req.files);
  req.options.threads = 1;
  req.reader = [](const std::vector<std::string>& files, unsigned, unsigned parts) {
    auto modules = read_modules_lean(files, parts);
    if (!modules) throw NeedsLibkmod{};
    return TreeScan{std::move(*modules), {}};
  };
  GeneratorOutput out;
  try {
    out = run_generator(req);
  } catch (const NeedsLibkmod&) {
    hand_over(argc, argv, req.files);
  } catch (const Error& e) {
    fmt::print(stderr, "kmpkit depgen: {}\n", e.what());
    return exit_code::of(e.kind());
  }
  std::fwrite(out.text.data(), 1, out.text.size(), stdout);
  return exit_code::ok;
}
