// kmpkit purge-kernels: remove the kernels a system no longer needs (all but the newest, the one
// before and the running one), with the KMP builds only they used, after a good boot of the newest.
// The removal itself is zypper's purge-kernels (the solver removes exactly the KMPs whose ksym()
// requirements no kept kernel satisfies); kmpkit decides when it is safe and with which keep spec.
#include <sys/utsname.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "kernels/installed_kernels.hpp"
#include "cli/exit_codes.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;

namespace kmpkit::cli {
namespace {

constexpr const char* kPurgeMark = "/var/lib/kmpkit/purge-kernels";
constexpr const char* kDefaultKeep = "latest,latest-1,running";

struct PurgeArgs {
  std::string root;
  std::string keep = kDefaultKeep;
  std::string running;  // --running: the running kernel's release (default: uname -r, none with --root)
  bool dry_run = false, after_boot = false, json = false;
};

std::string in_root(const PurgeArgs& a, const std::string& path) {
  return a.root.empty() || a.root == "/" ? path : (fs::path(a.root) / fs::path(path).relative_path()).string();
}

// A zypp.conf for zypper purge-kernels: the system's, with kmpkit's keep spec and multiversion kernels.
std::string purge_config(const PurgeArgs& a) {
  std::string text;
  std::ifstream in(in_root(a, "/etc/zypp/zypp.conf"));
  if (in) text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  text += fmt::format("\n# kmpkit purge-kernels\n[main]\nmultiversion = provides:multiversion(kernel)\n"
                      "multiversion.kernels = {}\n",
                      a.keep);
  std::string file = (fs::temp_directory_path() / fmt::format("kmpkit-purge-{}.conf", ::getpid())).string();
  std::ofstream(file) << text;
  return file;
}

int run_purge(const PurgeArgs& a) {
  std::string running = a.running;
  if (running.empty() && (a.root.empty() || a.root == "/")) {
    struct utsname u {};
    if (::uname(&u) == 0) running = u.release;
  }
  std::error_code ec;
  if (a.after_boot && !fs::exists(in_root(a, kPurgeMark), ec)) return exit_code::ok;  // no kernel came since
  auto list = kernels::installed_kernel_packages(a.root);
  if (!list.error.empty()) {
    fmt::print(stderr, "kmpkit purge-kernels: {}\n", list.error);
    return exit_code::input_missing;
  }
  if (list.kernels.empty()) {
    fmt::print("kmpkit purge-kernels: no kernel package installed\n");
    return exit_code::ok;
  }
  const auto& newest = list.kernels.back();
  auto decision = kernels::decide_keep(list.kernels, a.keep, running);
  nlohmann::ordered_json j;
  j["running"] = running;
  j["newest"] = newest.kver;
  j["keep_spec"] = a.keep;
  auto names = [](const std::vector<kernels::InstalledKernel>& v) {
    std::vector<std::string> out;
    for (const auto& k : v) out.push_back(k.kver);
    return out;
  };
  j["keep"] = names(decision.keep);
  j["remove"] = names(decision.remove);
  // Never before the newest kernel has booted: it is the fallback's only chance to be tried.
  if (!running.empty() && running != newest.kver) {
    j["done"] = false;
    j["reason"] = fmt::format("the running kernel {} is not the newest ({}): boot it first", running, newest.kver);
    if (a.json) std::cout << j.dump(1) << "\n";
    else fmt::print("kmpkit purge-kernels: nothing purged: {}\n", j["reason"].get<std::string>());
    return exit_code::ok;
  }
  if (!a.json)
    for (const auto& w : decision.why) fmt::print("kmpkit purge-kernels: {}\n", w);
  int rc = exit_code::ok;
  if (!decision.remove.empty()) {
    std::string conf = purge_config(a);
    std::vector<std::string> argv = {"zypper", "--non-interactive"};
    if (!a.root.empty() && a.root != "/") argv.insert(argv.end(), {"--root", a.root});
    argv.push_back("purge-kernels");
    if (a.dry_run) argv.push_back("--dry-run");
    ProcessOptions o;
    o.env = {"ZYPP_CONF=" + conf};
    if (!a.root.empty() && a.root != "/") o.env.push_back("ZYPP_LOCKFILE_ROOT=" + a.root);
    o.capture_stdout = !a.json ? false : true;
    auto r = run_process(argv, o);
    fs::remove(conf, ec);
    if (!r.ok()) {
      fmt::print(stderr, "kmpkit purge-kernels: {}\n", describe_failure("zypper purge-kernels", r));
      rc = exit_code::tool_failed;
    }
  }
  j["done"] = rc == exit_code::ok && !a.dry_run;
  if (rc == exit_code::ok && !a.dry_run) fs::remove(in_root(a, kPurgeMark), ec);
  if (a.json) std::cout << j.dump(1) << "\n";
  return rc;
}

}  // namespace

void add_purge_kernels_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<PurgeArgs>();
  auto* cmd = app.add_subcommand("purge-kernels",
                                 "Remove old kernels (keeping the newest, the one before and the running one) and "
                                 "the KMP builds only they used");
  cmd->footer(
      "Runs only when the running kernel is the newest installed one (a fallback boot keeps every\n"
      "kernel), then zypper purge-kernels with the keep spec: zypper's solver removes each purged\n"
      "kernel package and the KMPs whose ksym() requirements no kept kernel satisfies (builds that\n"
      "serve a kept kernel through weak-updates stay). kmpkit-purge-kernels.service runs it with\n"
      "--after-boot once a kernel was installed. docs/kabi.md, \"Kernel updates\".\n"
      "Exit: 0 done (or nothing to do), 3 rpm database unreadable, 5 zypper failed.");
  cmd->add_option("--root", a->root, "The installed system (default /); its running kernel is unknown unless --running");
  cmd->add_option("--keep", a->keep, "Keep spec: latest, latest-N, oldest, oldest+N, running, VERSION-RELEASE")
      ->capture_default_str();
  cmd->add_option("--running", a->running, "The running kernel's release (default: uname -r on the running system)");
  cmd->add_flag("-n,--dry-run", a->dry_run, "Say what would be removed (zypper purge-kernels --dry-run)");
  cmd->add_flag("--after-boot", a->after_boot,
                "Only when a kernel was installed since the last purge (/var/lib/kmpkit/purge-kernels, which the "
                "kernel package's %post leaves): what kmpkit-purge-kernels.service runs");
  cmd->add_flag("--json", a->json, "JSON: running, newest, keep, remove, done");
  cmd->callback([a, &exit_code] { exit_code = run_purge(*a); });
}

}  // namespace kmpkit::cli
