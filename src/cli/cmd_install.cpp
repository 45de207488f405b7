// kmpkit install: a kmpkit repository into a root, selected by a machine's hardware (zypper with the
// devices given to its modalias matching). Documented in docs/install.md.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "install/hardware_source.hpp"
#include "install/zypper_install.hpp"

namespace kmpkit::cli {
namespace {

struct InstallArgs {
  install::InstallRequest request;
  bool json = false;
};

int run_install(const InstallArgs& a) {
  install::InstallResult r;
  try {
    r = install::install_for_hardware(a.request);
  } catch (const Error& e) {
    fmt::print(stderr, "kmpkit install: {}\n", e.what());
    return exit_code::of(e.kind());
  }
  if (a.json) {
    nlohmann::json j = {{"root", a.request.root}, {"repo", a.request.repo}, {"kernel", r.kernel},
                        {"devices", r.devices}, {"installed", r.installed}, {"signatures", r.signatures}};
    std::cout << j.dump(1) << "\n";
  } else {
    fmt::print("installed {} for {} devices into {}: {} packages\n", r.kernel, r.devices, a.request.root,
               r.installed.size());
    for (const auto& p : r.installed) fmt::print("  {}\n", p);
    fmt::print("signatures: {}\n", r.signatures);
    fmt::print("check it with: kmpkit verify --root {}\n", a.request.root);
  }
  std::cout.flush();
  return std::cout ? exit_code::ok : exit_code::io_error;
}

}  // namespace

void add_install_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<InstallArgs>();
  auto* cmd = app.add_subcommand(
      "install", "Install a kmpkit repository's kernel into a root with zypper, with the KMPs a machine's devices need");
  cmd->add_option("--root", args->request.root, "The system to install into (created when missing; empty is fine "
                                                "when the repository has kmpkit-host-base)")
      ->required();
  cmd->add_option("--repo", args->request.repo, "The rpm-md repository (`kmpkit package --out DIR` writes DIR/repo)")
      ->required();
  cmd->add_option("--hardware", args->request.hardware,
                  fmt::format("The devices: a hardware profile's modalias.tsv, a file with one modalias a line, a "
                              "sysfs-like tree, or '{}' (this machine's /sys/devices)",
                              install::kThisMachine))
      ->required();
  cmd->add_option("--kernel", args->request.kernel,
                  "The kernel package to install (default: the repository's only kernel-* package)");
  cmd->add_option("--trust-key", args->request.trust_key,
                  "A signed repository's public key to trust in the root (default: the key it publishes, "
                  "REPO/RPM-GPG-KEY-kmpkit); zypper then checks every package's signature");
  cmd->add_flag("--json", args->json, "Print one JSON object: root, repo, kernel, devices, installed, signatures");
  cmd->footer("Runs zypper --root ROOT with ZYPP_MODALIAS_SYSFS set to the devices (docs/install.md). Exit codes: 0 "
              "ok, 2 usage (no or several kernel packages, no device), 3 no repository, hardware file or zypper, 5 "
              "zypper failed (its output shown), 7 the root cannot be written.");
  cmd->callback([args, &exit_code] { exit_code = run_install(*args); });
}

}  // namespace kmpkit::cli
