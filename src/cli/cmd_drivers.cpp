// kmpkit drivers: which device has which driver, which package would drive the ones without, and why
// each installed KMP is there; --install installs the missing ones, --write-rules keeps modprobe's
// hints current. Documented in docs/drivers.md.
#include <fmt/format.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "drivers/driver_report.hpp"
#include "drivers/missing_rules.hpp"
#include "drivers/modprobe_call.hpp"
#include "hardware/device_source.hpp"
#include "install/zypper_install.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace kmpkit::cli {
namespace {

struct DriversArgs {
  std::string root = "/";
  std::string hardware = hardware::kThisMachine;
  std::string kernel;
  std::vector<std::string> repos;
  bool json = false;
  bool missing_only = false;
  bool install = false;
  bool write_rules = false;
  bool hint = false;
  bool quiet = false;
  std::vector<std::string> module_options;  // --modprobe-hint: $CMDLINE_OPTS
};

nlohmann::json to_json(const drivers::DriversReport& r, const std::vector<std::string>& installed) {
  nlohmann::json j = {{"root", r.root}, {"kernel", r.kernel}, {"index", r.index_path}, {"repos", r.repos},
                      {"notes", r.notes}, {"missing_packages", r.missing_packages()}};
  j["devices"] = nlohmann::json::array();
  for (const auto& d : r.devices) {
    nlohmann::json dj = {{"path", d.device.sysfs_path}, {"modalias", d.device.modalias},
                         {"state", drivers::state_name(d.state)}, {"drivers", nlohmann::json::array()}};
    for (const auto& c : d.drivers)
      dj["drivers"].push_back({{"module", c.module}, {"package", c.package}, {"state", drivers::state_name(c.state)}});
    j["devices"].push_back(dj);
  }
  j["kmps"] = nlohmann::json::array();
  for (const auto& k : r.kmps) {
    nlohmann::json kj = {{"package", k.package}, {"modules", k.modules}, {"reasons", nlohmann::json::array()}};
    for (const auto& why : k.reasons) kj["reasons"].push_back({{"kind", why.kind}, {"detail", why.detail}});
    j["kmps"].push_back(kj);
  }
  if (!installed.empty()) j["installed"] = installed;
  return j;
}

bool has_driver(drivers::DriverState s) {
  return s == drivers::DriverState::Loaded || s == drivers::DriverState::Installed || s == drivers::DriverState::BuiltIn;
}

void print_human(const drivers::DriversReport& r, bool missing_only) {
  size_t lacking = 0, none = 0;
  for (const auto& d : r.devices) {
    if (d.state == drivers::DriverState::None) ++none;
    else if (!has_driver(d.state)) ++lacking;
  }
  fmt::print("kernel {} in {}: {} devices, {} lacking a driver that the kernel build has, {} with no driver module "
             "(bridges, built-in platform devices)\n",
             r.kernel, r.root, r.devices.size(), lacking, none);
  for (const auto& d : r.devices) {
    // --missing: only what installing a package would change.
    if (missing_only && (has_driver(d.state) || d.state == drivers::DriverState::None)) continue;
    std::string mods;
    for (const auto& c : d.drivers)
      if (c.state == d.state) mods += (mods.empty() ? "" : ",") + c.module + (c.package.empty() ? "" : " (" + c.package + ")");
    fmt::print("  {:<10} {:<40} {}\n", drivers::state_name(d.state), mods.empty() ? "-" : mods,
               d.device.sysfs_path.empty() ? d.device.modalias : d.device.sysfs_path + "  " + d.device.modalias);
  }
  auto missing = r.missing_packages();
  if (!missing.empty()) {
    std::string list;
    for (const auto& p : missing) list += " " + p;
    fmt::print("\nto drive the devices without a driver, install:{}\n  kmpkit drivers --install{}   (or: zypper{} install{})\n",
               list, r.root == "/" ? "" : " --root " + r.root, r.root == "/" ? "" : " --root " + r.root, list);
  }
  if (!missing_only && !r.kmps.empty()) {
    fmt::print("\ninstalled KMPs and why:\n");
    for (const auto& k : r.kmps) {
      fmt::print("  {}\n", k.package);
      for (const auto& why : k.reasons) fmt::print("    {:<15} {}\n", why.kind, why.detail);
    }
  }
  for (const auto& n : r.notes) fmt::print(stderr, "kmpkit drivers: note: {}\n", n);
}


// The module is there after all (rules older than the last install): modprobe it with every
// modprobe.d file but the hints (their alias would send it here again).
int load_without_hints(const std::string& module, const drivers::ModprobeCall& call,
                       const std::vector<std::string>& options) {
  char dir_template[] = "/run/kmpkit-modprobe.XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  if (!dir) {
    fmt::print(stderr, "kmpkit drivers: cannot create a directory in /run to load {}\n", module);
    return exit_code::io_error;
  }
  const std::string hints = std::filesystem::path(drivers::kMissingRulesPath).filename().string();
  std::set<std::string> seen;  // kmod: a file name in an earlier directory hides the later ones
  for (const char* d : drivers::kModprobeDirs) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(d, ec); !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      std::string name = it->path().filename().string();
      if (!name.ends_with(".conf") || name == hints || !seen.insert(name).second) continue;
      std::filesystem::create_symlink(it->path(), std::string(dir) + "/" + name, ec);
    }
  }
  std::vector<std::string> argv = {"modprobe", "-C", dir};
  if (call.quiet) argv.push_back("-q");
  if (!call.dirname.empty()) argv.insert(argv.end(), {"-d", call.dirname});
  if (!call.kver.empty()) argv.insert(argv.end(), {"-S", call.kver});
  argv.push_back(module);
  argv.insert(argv.end(), options.begin(), options.end());
  ProcessOptions o;
  o.capture_stdout = o.capture_stderr = false;
  auto r = run_process(argv, o);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return r.started ? r.exit_code : exit_code::input_missing;
}

// What the generated modprobe.d rule runs (kmod sets MODPROBE_MODULE=kmpkit_hint): for each name
// its modprobe parent was asked for, load the module when it is there after all, else name its
// package on the terminal and in the journal, else say what modprobe says for a name nothing has.
int run_hint(const DriversArgs& a) {
  const char* module = std::getenv("MODPROBE_MODULE");
  if (!module || !*module) {
    fmt::print(stderr, "kmpkit drivers: --modprobe-hint is what modprobe's rules run (MODPROBE_MODULE is not set)\n");
    return exit_code::usage;
  }
  auto call = drivers::calling_modprobe();
  if (!call) {  // a libkmod user (udev): the globs avoid device aliases, so this is not expected
    fmt::print(stderr, "kmpkit: a module that is not installed was asked for; `kmpkit drivers --missing` names "
                       "the packages this machine lacks\n");
    return exit_code::input_missing;
  }
  const std::string root = a.root == "/" && !call->dirname.empty() ? call->dirname : a.root;
  const std::string kver = !call->kver.empty() ? call->kver : !a.kernel.empty() ? a.kernel : drivers::running_kernel();
  int worst = exit_code::ok;
  for (const auto& name : call->modules) {
    auto hint = drivers::modprobe_hint(root, kver, name);
    switch (hint.kind) {
      case drivers::ModprobeHint::Kind::Present:
        if (int rc = load_without_hints(name, *call, a.module_options); rc != 0) worst = rc;
        continue;
      case drivers::ModprobeHint::Kind::Missing:
        if (!call->quiet) fmt::print(stderr, "kmpkit: {}\n", hint.message);
        ::openlog("kmpkit", LOG_PID, LOG_USER);
        ::syslog(LOG_WARNING, "%s", hint.message.c_str());
        ::closelog();
        break;
      case drivers::ModprobeHint::Kind::Unknown:
        if (!call->quiet) fmt::print(stderr, "{}\n", hint.message);
        break;
    }
    worst = exit_code::input_missing;
  }
  return worst;
}

int run_drivers(const DriversArgs& a) {
  try {
    if (a.hint) return run_hint(a);
    if (a.write_rules) {
      auto rules = drivers::missing_driver_rules(a.root);
      bool changed = drivers::write_missing_driver_rules(a.root, rules);
      if (!a.quiet)
        fmt::print("{} {}: {} modules of the installed kernels' builds are not installed ({} alias patterns{})\n",
                   changed ? "wrote" : "unchanged", drivers::kMissingRulesPath, rules.modules.size(),
                   rules.patterns.size(),
                   rules.uncovered.empty() ? "" : fmt::format(", {} without a hint", rules.uncovered.size()));
      return exit_code::ok;
    }
    drivers::DriversRequest req;
    req.root = a.root;
    req.kernel = a.kernel;
    req.devices = hardware::read_devices(a.hardware);
    req.repos = a.repos;
    auto report = drivers::report_drivers(req);
    std::vector<std::string> installed;
    if (a.install) {
      auto missing = report.missing_packages();
      if (!missing.empty()) {
        std::vector<std::string> devices;
        if (a.hardware != hardware::kThisMachine)
          for (const auto& d : req.devices) devices.push_back(d.modalias);
        if (!a.json) fmt::print("kmpkit drivers: installing {} packages with zypper...\n", missing.size());
        install::install_packages(a.root, missing, devices);
        report = drivers::report_drivers(req);  // what the devices have now
        installed = missing;
      } else if (!a.json) {
        fmt::print("kmpkit drivers: every device with a known driver has it installed: nothing to install\n");
      }
    }
    if (a.json) std::cout << to_json(report, installed).dump(1) << "\n";
    else print_human(report, a.missing_only);
  } catch (const Error& e) {
    fmt::print(stderr, "kmpkit drivers: {}\n", e.what());
    return exit_code::of(e.kind());
  }
  std::cout.flush();
  return std::cout ? exit_code::ok : exit_code::io_error;
}

}  // namespace

void add_drivers_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<DriversArgs>();
  auto* cmd = app.add_subcommand(
      "drivers", "Every device with its driver, module, package and state; why each installed KMP is installed");
  cmd->add_option("--root", a->root, "The installed system (default /)");
  cmd->add_option("--hardware", a->hardware,
                  fmt::format("The devices: a hardware profile's modalias.tsv, a file with one modalias a line, a "
                              "sysfs-like tree, or '{}' (default: this machine's /sys/devices)",
                              hardware::kThisMachine));
  cmd->add_option("--kernel", a->kernel, "The kernel release (default: the running one under /, else the newest)");
  cmd->add_option("--repo", a->repos, "An rpm-md repository to look in for packages (the root's configured local "
                                      "repositories are looked in too)");
  cmd->add_flag("--json", a->json, "Print one JSON object: devices with drivers and states, kmps with reasons");
  cmd->add_flag("--missing", a->missing_only, "List only devices without an installed driver");
  cmd->add_flag("--install", a->install, "Install the packages that drive the devices without a driver (zypper)");
  cmd->add_flag("--write-rules", a->write_rules,
                fmt::format("Write {} for modules the installed kernels' builds have and the root lacks (what the "
                            "kernel packages' refresh runs)",
                            drivers::kMissingRulesPath));
  cmd->add_flag("--modprobe-hint", a->hint, "What those rules run: name the package of the module its modprobe parent was asked for");
  cmd->add_flag("-q,--quiet", a->quiet, "No output for --write-rules");
  cmd->add_option("module_options", a->module_options, "--modprobe-hint: the module options modprobe was given");
  cmd->footer("States: loaded, built-in, installed, available (in a repository), in-index (known only from the "
              "kernel package's offline index), no-driver. Exit codes: 0 ok, 2 usage, 3 no kernel or hardware "
              "list (or --modprobe-hint: the module is not installed), 5 zypper failed, 7 the rules cannot be "
              "written. docs/drivers.md");
  cmd->callback([a, &exit_code] { exit_code = run_drivers(*a); });
}

}  // namespace kmpkit::cli
