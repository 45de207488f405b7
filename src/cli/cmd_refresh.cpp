// kmpkit refresh: run the installed kernels' refresh scripts (weak-updates links, module database,
// initrd), which the kernel packages own as /usr/lib/kmpkit/refresh/KVER. The packages' %posttrans
// call it with --pending: under zypper that is the end of the whole transaction (docs/boot.md). Then
// it tells, before anyone reboots, which external KMP (kmpkit kmp build) does not fit a kernel and
// the command that builds it for that kernel (docs/external-kmps.md).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "kmp/kmp_coverage.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;

namespace kmpkit::cli {
namespace {

constexpr const char* kRefreshDir = "/usr/lib/kmpkit/refresh";
constexpr const char* kPendingMark = "/var/lib/kmpkit/refresh-pending";

struct RefreshArgs {
  std::vector<std::string> kvers;
  bool pending = false;
};

// After the links are decided: every kernel an external KMP does not serve, with the command that
// builds it for that kernel. Not a failure of the refresh (the transaction did what it was asked).
void tell_unserved_kernels(const std::vector<std::string>& kvers) {
  std::vector<std::string> problems;
  auto records = kmp::installed_build_records("", &problems);
  for (const auto& p : problems) fmt::print(stderr, "kmpkit refresh: {}: skipped (reinstall the KMP that owns it)\n", p);
  for (const auto& s : kmp::kmp_services("", kvers, records))
    if (auto message = kmp::coverage_message(s); !message.empty()) fmt::print(stderr, "kmpkit refresh: {}\n", message);
}

int run_refresh(const RefreshArgs& a) {
  std::error_code ec;
  if (a.pending && !fs::remove(kPendingMark, ec)) return exit_code::ok;  // nothing changed since the last refresh
  std::vector<std::string> scripts;
  for (const auto& e : fs::directory_iterator(kRefreshDir, ec))
    if (a.kvers.empty() || std::find(a.kvers.begin(), a.kvers.end(), e.path().filename().string()) != a.kvers.end())
      scripts.push_back(e.path().string());
  std::sort(scripts.begin(), scripts.end());
  if (!a.kvers.empty() && scripts.size() != a.kvers.size()) {
    fmt::print(stderr, "kmpkit refresh: not every kernel asked for has {}/KVER (installed kernels: {})\n", kRefreshDir,
               scripts.empty() ? "none" : fmt::format("{}", fmt::join(scripts, ", ")));
    return exit_code::input_missing;
  }
  int rc = exit_code::ok;
  std::vector<std::string> kvers;
  for (const auto& s : scripts) {
    kvers.push_back(fs::path(s).filename().string());
    ProcessOptions o;
    o.capture_stdout = o.capture_stderr = false;  // the scripts' own messages reach the user
    auto r = run_process({s, "posttrans"}, o);
    if (!r.ok()) {
      fmt::print(stderr, "kmpkit refresh: {}\n", describe_failure(s, r));
      rc = exit_code::tool_failed;
    }
  }
  tell_unserved_kernels(kvers);
  if (rc != exit_code::ok) {
    // Still to do (a full disk, say): the next transaction's %posttrans tries again.
    std::ofstream mark(kPendingMark);
    fmt::print(stderr, "kmpkit refresh: the refresh is still pending; fix what the messages above name (free "
                       "space, reinstall a package) and run `kmpkit refresh`\n");
  }
  return rc;
}

}  // namespace

void add_refresh_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<RefreshArgs>();
  auto* cmd = app.add_subcommand("refresh", "Refresh each installed kernel's weak-updates links, module database and initrd");
  cmd->footer(
      "Runs /usr/lib/kmpkit/refresh/KVER of every installed kernel (or the ones named): the script its\n"
      "kernel package owns, with the policy's depmod (and weak-updates) command and kmpkit initrd. The\n"
      "packages' %posttrans run `kmpkit refresh --pending`, which does it only when a package changed\n"
      "module files since the last refresh (zypper runs all %posttrans at the end of its transaction).\n"
      "Then it names each installed kernel that an external KMP (kmpkit kmp build) does not serve,\n"
      "with the kmpkit kmp build command for that kernel (kmpkit verify reports the same).\n"
      "Exit: 0 done, 3 a kernel named has no refresh script, 5 a script failed.");
  cmd->add_option("kver", a->kvers, "Kernel release(s) (default: every installed kernel)");
  cmd->add_flag("--pending", a->pending,
                "Only when a package's scripts left the mark /var/lib/kmpkit/refresh-pending (removed first)");
  cmd->callback([a, &exit_code] { exit_code = run_refresh(*a); });
}

}  // namespace kmpkit::cli
