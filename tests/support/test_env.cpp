#include "test_env.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <mutex>
#include <stdexcept>

namespace fs = std::filesystem;

namespace kmpkit::test {
namespace {

std::string slurp(const std::string& path, size_t cap = std::string::npos) {
  std::ifstream in(path, std::ios::binary);
  std::string s;
  char buf[65536];
  while (in && s.size() < cap) {
    in.read(buf, sizeof buf);
    s.append(buf, static_cast<size_t>(in.gcount()));
  }
  if (s.size() > cap) s.resize(cap);
  return s;
}

std::string last_line(const std::string& text) {
  auto lines = split_lines(text);
  return lines.empty() ? std::string() : lines.back();
}

std::string from_env_or_script(const char* var, const std::string& script) {
  if (const char* v = std::getenv(var); v && *v) return v;
  auto r = run(shell_quote(source_dir() + "/" + script));
  if (r.exit_code != 0) throw std::runtime_error(script + " failed: " + r.err);
  return last_line(r.out);
}

}  // namespace

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

CommandResult run(const std::string& command) {
  static std::mutex mu;
  std::string dir;
  {
    std::lock_guard lock(mu);
    dir = temp_dir("kmpkit-run");
  }
  std::string out = dir + "/out", err = dir + "/err";
  std::string full = "( " + command + " ) >" + shell_quote(out) + " 2>" + shell_quote(err);
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err, 1 << 20);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return r;
}

std::string kmpkit_binary() {
  if (const char* v = std::getenv("KMPKIT_BINARY"); v && *v) return v;
  return KMPKIT_BINARY;
}

std::string source_dir() { return KMPKIT_SOURCE_DIR; }

std::string kernel_root() {
  static std::string root = from_env_or_script("KMPKIT_KERNEL_ROOT", "scripts/fetch-kernel.sh");
  return root;
}

std::string kernel_release() {
  static std::string kver = [] {
    auto s = slurp(kernel_root() + "/KVER");
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }();
  return kver;
}

std::string module_dir() { return kernel_root() + "/lib/modules/" + kernel_release(); }

std::string kernel_root_compressed(const std::string& variant) {
  if (variant == "plain") return kernel_root();
  auto r = run(shell_quote(source_dir() + "/scripts/make-compressed-tree.sh") + " " + variant + " " +
               shell_quote(kernel_root()));
  if (r.exit_code != 0) throw std::runtime_error("scripts/make-compressed-tree.sh " + variant + " failed: " + r.err);
  return split_lines(r.out).back();
}

std::string test_modules_dir() {
  static std::string dir = from_env_or_script("KMPKIT_TEST_MODULES", "scripts/build-test-modules.sh");
  return dir;
}

std::vector<std::string> debian_firmware_roots() {
  static std::vector<std::string> roots = [] {
    std::vector<std::string> out;
    std::istringstream words(from_env_or_script("KMPKIT_FIRMWARE_ROOTS", "scripts/fetch-firmware.sh"));
    for (std::string w; words >> w;) out.push_back(w);
    return out;
  }();
  return roots;
}

std::string read_text(const std::string& path) { return slurp(path); }

std::string hw_profiles_dir() { return source_dir() + "/hw-profiles"; }

std::string release_of_root(const std::string& root) {
  std::string kver = slurp(root + "/KVER");
  while (!kver.empty() && (kver.back() == '\n' || kver.back() == ' ')) kver.pop_back();
  return kver;
}

std::optional<std::pair<std::string, std::string>> kernel_pair_roots(const std::string& mode) {
  auto r = run(shell_quote(source_dir() + "/scripts/fetch-kernel-pair.sh") + " " + mode);
  auto lines = split_lines(r.out);
  if (r.exit_code != 0 || lines.empty()) return std::nullopt;
  const std::string& last = lines.back();
  auto sp = last.find(' ');
  if (sp == std::string::npos) return std::nullopt;
  return std::make_pair(last.substr(0, sp), last.substr(sp + 1));
}

std::vector<std::string> kernel_chain_roots() {
  auto r = run(shell_quote(source_dir() + "/scripts/fetch-kernel-pair.sh") + " chain");
  auto lines = split_lines(r.out);
  if (r.exit_code != 0 || lines.empty()) return {};
  std::vector<std::string> roots;
  std::istringstream words(lines.back());
  for (std::string w; words >> w;) roots.push_back(w);
  return roots.size() == 3 ? roots : std::vector<std::string>{};
}

void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string temp_dir(const std::string& hint) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + hint + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
  static std::vector<std::string> made;
  static std::mutex mu;
  std::string dir(buf.data());
  {
    std::lock_guard lock(mu);
    if (made.empty() && !std::getenv("KMPKIT_KEEP_TEMP"))
      std::atexit([] {
        std::error_code ec;
        for (auto& d : made) fs::remove_all(d, ec);
      });
    made.push_back(dir);
  }
  return dir;
}

}  // namespace kmpkit::test
