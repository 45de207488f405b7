// kmpkit initrd: each kernel's initrd follows its modules (dracut, made once per transaction).
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "initrd/initrd_update.hpp"
#include "cli/exit_codes.hpp"

namespace kmpkit::cli {
namespace {

using initrd::UpdateOutcome;

struct InitrdArgs {
  std::string root;
  std::vector<std::string> kvers;
  bool json = false, force = false, dry_run = false, postun = false, quiet = false;
};

std::vector<std::string> kernels_of(const InitrdArgs& a) {
  return a.kvers.empty() ? initrd::installed_kernels(a.root) : a.kvers;
}

const char* state_name(UpdateOutcome::State s) {
  switch (s) {
    case UpdateOutcome::State::UpToDate: return "up-to-date";
    case UpdateOutcome::State::Made: return "made";
    case UpdateOutcome::State::WouldMake: return "would-make";
    case UpdateOutcome::State::NoKernel: return "no-kernel";
    case UpdateOutcome::State::NoDracut: return "no-dracut";
    case UpdateOutcome::State::Failed: return "failed";
  }
  return "?";
}

nlohmann::ordered_json outcome_json(const UpdateOutcome& o) {
  return {{"kver", o.kver}, {"state", state_name(o.state)}, {"reasons", o.reasons}, {"message", o.message},
          {"seconds", o.seconds}, {"bytes", o.bytes}, {"modules", o.modules}};
}

// Runs update for the kernels; `in_transaction`: called from package scripts, where a missing
// dracut is a note, not an error (roots without dracut, e.g. containers and test roots).
int run_update(const InitrdArgs& a, bool in_transaction) {
  int rc = exit_code::ok;
  auto all = nlohmann::ordered_json::array();
  for (const auto& kver : kernels_of(a)) {
    initrd::UpdateOptions o;
    o.force = a.force;
    o.dry_run = a.dry_run;
    UpdateOutcome out = initrd::update_initrd({a.root, kver}, o);
    if (a.json) {
      all.push_back(outcome_json(out));
      continue;
    }
    switch (out.state) {
      case UpdateOutcome::State::Made:
        fmt::print("kmpkit initrd: made /boot/initrd-{} ({:.1f} MB, {} modules, {:.1f} s): {}\n", kver,
                   static_cast<double>(out.bytes) / 1e6, out.modules, out.seconds,
                   fmt::join(out.reasons, "; "));
        break;
      case UpdateOutcome::State::WouldMake:
        fmt::print("kmpkit initrd: would make /boot/initrd-{}: {}\n", kver, fmt::join(out.reasons, "; "));
        break;
      case UpdateOutcome::State::UpToDate:
        if (!a.quiet) fmt::print("kmpkit initrd: /boot/initrd-{} is up to date\n", kver);
        break;
      case UpdateOutcome::State::NoKernel:
        fmt::print(stderr, "kmpkit initrd: {}\n", out.message);
        if (!in_transaction) rc = std::max(rc, exit_code::input_missing);
        break;
      case UpdateOutcome::State::NoDracut:
        if (!a.quiet || !in_transaction) fmt::print(stderr, "kmpkit initrd: {}\n", out.message);
        if (!in_transaction) rc = std::max(rc, exit_code::input_missing);
        break;
      case UpdateOutcome::State::Failed:
        fmt::print(stderr, "kmpkit initrd: {}: {}\n", kver, out.message);
        rc = std::max(rc, exit_code::tool_failed);
        break;
    }
  }
  if (a.json) std::cout << all.dump(1) << "\n";
  return rc;
}

int run_status(const InitrdArgs& a) {
  auto all = nlohmann::ordered_json::array();
  int rc = exit_code::ok;
  for (const auto& kver : kernels_of(a)) {
    initrd::InitrdPaths paths{a.root, kver};
    auto check = initrd::check_initrd(paths);
    auto record = initrd::read_record(paths.in_root(paths.record()));
    if (a.json) {
      all.push_back({{"kver", kver},
                     {"kernel_installed", check.kernel_installed},
                     {"initrd", check.has_initrd ? paths.image() : ""},
                     {"modules", record ? record->modules : std::vector<std::string>{}},
                     {"dracut_modules", record ? record->dracut_modules : std::vector<std::string>{}},
                     {"up_to_date", !check.needs_update()},
                     {"reasons", check.reasons}});
      continue;
    }
    if (!check.kernel_installed) {
      fmt::print(stderr, "kmpkit initrd: no kernel {} installed\n", kver);
      rc = exit_code::input_missing;
      continue;
    }
    fmt::print("{}: {}", kver, check.has_initrd ? paths.image() : "no initrd");
    if (record) fmt::print(" ({} modules, {:.1f} MB)", record->modules.size(), static_cast<double>(record->image_size) / 1e6);
    if (!check.needs_update()) fmt::print(", up to date\n");
    else fmt::print(", to be made again:\n  {}\n", fmt::join(check.reasons, "\n  "));
  }
  if (a.json) std::cout << all.dump(1) << "\n";
  return rc;
}

// The kernel package's refresh script, after the module database (docs/boot.md). It runs from
// %transfiletriggerin (a plain rpm transaction, or a package without kmpkit's %posttrans), from
// %posttrans (zypper's end of transaction) and from %transfiletriggerpostun. A removal's trigger
// makes the initrd at once when a KMP was erased (no %posttrans follows); under zypper an upgrade's
// removal half leaves it to the new package's %posttrans.
int run_trigger(const InitrdArgs& a) {
  if (a.postun) {
    if (initrd::take_mark(a.root, initrd::kErasedMark)) {
      InitrdArgs all = a;  // every kernel: a KMP may serve several
      all.kvers.clear();
      return run_update(all, true);
    }
    if (std::getenv("ZYPP_IS_RUNNING") != nullptr) return exit_code::ok;
  }
  return run_update(a, true);
}

}  // namespace

void add_initrd_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<InitrdArgs>();
  auto* cmd = app.add_subcommand("initrd", "Keep each kernel's initrd (dracut) in step with its installed modules");
  cmd->require_subcommand(1);
  cmd->footer(
      "kmpkit remembers which modules each initrd holds and which dracut rules made it; after a\n"
      "package transaction it makes an initrd again only when a module it holds was updated or\n"
      "removed, or a new module is one dracut would take (a storage driver, a file system, one named\n"
      "in dracut.conf.d). The kernel package and the KMPs call it from their scripts. docs/boot.md.\n"
      "Exit: 0 done, 3 no such kernel or no dracut, 5 dracut failed (the old initrd is kept).");

  auto add_common = [&](CLI::App* sub) {
    sub->add_option("--root", a->root, "The installed system to work on (default /); dracut runs chrooted there");
    sub->add_option("kver", a->kvers, "Kernel release(s) (default: every kernel installed)");
  };
  auto* status = cmd->add_subcommand("status", "Each kernel's initrd: what it holds, whether it is up to date");
  add_common(status);
  status->add_flag("--json", a->json, "JSON: one object per kernel");
  status->callback([a, &exit_code] { exit_code = run_status(*a); });

  auto* update = cmd->add_subcommand("update", "Make the initrd of each kernel whose modules changed (dracut)");
  add_common(update);
  update->add_flag("-f,--force", a->force, "Make it even when it is up to date");
  update->add_flag("-n,--dry-run", a->dry_run, "Say what would be made; run nothing");
  update->add_flag("-q,--quiet", a->quiet, "Print only what was made or failed");
  update->add_flag("--json", a->json, "JSON: one object per kernel");
  update->callback([a, &exit_code] { exit_code = run_update(*a, false); });

  auto* trigger = cmd->add_subcommand("trigger", "For the kernel package's scripts (after depmod): update, or leave it to the end of a zypper transaction");
  add_common(trigger);
  trigger->add_flag("--postun", a->postun, "Called after a removal (%transfiletriggerpostun)");
  trigger->add_flag("-q,--quiet", a->quiet, "Print only what was made or failed");
  trigger->callback([a, &exit_code] { exit_code = run_trigger(*a); });
}

}  // namespace kmpkit::cli
