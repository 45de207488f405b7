#include "kmp/kbuild_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "util/error.hpp"
#include "util/process.hpp"
#include "util/shell_quote.hpp"

namespace fs = std::filesystem;

namespace kmpkit::kmp {
namespace {

// The first "error:" line of a compiler log (what a user needs first), and the last lines.
std::pair<std::string, std::string> log_summary(const std::string& file, size_t tail_lines) {
  std::ifstream in(file);
  std::string first_error;
  std::deque<std::string> tail;
  for (std::string l; std::getline(in, l);) {
    if (first_error.empty() && (l.find(" error: ") != std::string::npos || l.find("*** ") != std::string::npos))
      first_error = l;
    tail.push_back(l);
    if (tail.size() > tail_lines) tail.pop_front();
  }
  std::string t;
  for (const auto& l : tail) t += "    " + l + "\n";
  return {first_error, t};
}

}  // namespace

std::string compile_command(const CompileRequest& r) {
  unsigned jobs = r.jobs ? r.jobs : std::max(1u, std::thread::hardware_concurrency());
  std::string make = fmt::format("make -j{} KERNELRELEASE={}", jobs, shell_quote(r.kver));
  if (r.command.empty())
    return fmt::format("{} -C {} M={} modules", make, shell_quote(r.make_dir), shell_quote(r.source_dir));
  // DKMS: "${make_command/#make/make -j$parallel_jobs KERNELRELEASE=$kernelver}".
  if (r.command.rfind("make", 0) == 0) return make + r.command.substr(4);
  return r.command;
}

void compile_modules(const CompileRequest& r) {
  for (const char* tool : {"make", "bash"})
    if (!program_available(tool))
      throw Error(ErrorKind::Input, fmt::format("{} not found in PATH (install build-essential)", tool));
  const std::string cmd = compile_command(r);
  ProcessOptions o;
  o.log_file = r.log_file;
  // Plain ASCII quotes in the compiler's messages (they are quoted to the user); the kernel's
  // Makefile unexports LC_ALL, so the other variables too.
  o.env = {"LC_ALL=C", "LANG=C", "LC_CTYPE=C", "LC_MESSAGES=C"};
  auto res = run_process({"bash", "-c", "cd \"$1\" && eval \"$2\"", "kmpkit-kmp-build", r.source_dir, cmd}, o);
  if (res.ok()) return;
  auto [first_error, tail] = log_summary(r.log_file, 20);
  throw Error(ErrorKind::Tool,
              fmt::format("the module source does not compile against {} (`{}` exited with {}){}; the end of {}:\n{}",
                          r.kver, cmd, res.exit_code,
                          first_error.empty() ? "" : fmt::format(": {}", first_error), r.log_file, tail));
}

void apply_patches(const std::string& build_dir, const std::vector<std::string>& patches, const std::string& log_file) {
  if (patches.empty()) return;
  if (!program_available("patch")) throw Error(ErrorKind::Input, "patch not found in PATH (dkms.conf has PATCH[]; install patch)");
  for (const auto& p : patches) {
    const fs::path file = fs::path(build_dir) / "patches" / p;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
      throw Error(ErrorKind::Input, fmt::format("dkms.conf's PATCH {} is not in the source's patches/ directory", p));
    ProcessOptions o;
    o.log_file = log_file;
    auto res = run_process({"patch", "-p1", "-d", build_dir, "-i", file.string(), "--batch", "--forward"}, o);
    if (!res.ok()) {
      auto [first, tail] = log_summary(log_file, 15);
      throw Error(ErrorKind::Tool, fmt::format("dkms.conf's PATCH {} does not apply to the source (patch -p1 exited with "
                                               "{}); the end of {}:\n{}",
                                               p, res.exit_code, log_file, tail));
    }
  }
}

bool run_build_script(const std::string& build_dir, const std::string& what, const std::string& script,
                      const std::vector<std::string>& env, const std::string& log_file) {
  if (script.empty()) return true;
  const std::string program = script.substr(0, script.find(' '));
  const fs::path file = fs::path(build_dir) / program;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    throw Error(ErrorKind::Input, fmt::format("dkms.conf's {} script {} is not in the source", what, program));
  if (::access(file.c_str(), X_OK) != 0) return false;
  ProcessOptions o;
  o.log_file = log_file;
  o.env = env;
  // As DKMS: `cd BUILD_DIR; exec ./SCRIPT ARGS`, the arguments split by the shell.
  auto res = run_process({"bash", "-c", "cd \"$1\" && exec ./$2", "kmpkit-kmp-build", build_dir, script}, o);
  if (!res.ok()) {
    auto [first, tail] = log_summary(log_file, 15);
    throw Error(ErrorKind::Tool, fmt::format("dkms.conf's {} script `{}` failed (exit {}); the end of {}:\n{}", what,
                                             script, res.exit_code, log_file, tail));
  }
  return true;
}

std::vector<std::string> built_module_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file(ec) && it->path().extension() == ".ko")
      out.push_back(fs::relative(it->path(), dir, ec).string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kmpkit::kmp
