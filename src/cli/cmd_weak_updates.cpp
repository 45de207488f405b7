// kmpkit weak-updates: let the modules of other installed kernels that fit serve a kernel.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "kabi/weak_updates.hpp"
#include "cli/exit_codes.hpp"

namespace kmpkit::cli {
namespace {

struct WeakArgs {
  std::string root;
  std::vector<std::string> kvers;
  bool dry_run = false, clear = false, json = false, details = false, quiet = false, no_cache = false;
};

int run_weak_updates(const WeakArgs& a) {
  // A kernel that is gone loses its links (exit 0); a base directory without lib/modules is a typo.
  std::error_code ec;
  const std::string modules = (a.root.empty() ? std::string() : a.root) + "/lib/modules";
  if (!std::filesystem::is_directory(modules, ec)) {
    fmt::print(stderr, "kmpkit weak-updates: {} does not exist: check -b (BASEDIR holds lib/modules)\n", modules);
    return exit_code::input_missing;
  }
  nlohmann::ordered_json all = nlohmann::ordered_json::array();
  int rc = exit_code::ok;
  for (const auto& kver : a.kvers) {
    kabi::WeakUpdatesResult r;
    try {
      kabi::WeakUpdatesOptions o;
      o.root = a.root;
      o.kver = kver;
      o.dry_run = a.dry_run;
      o.clear = a.clear;
      o.use_cache = !a.no_cache;
      r = kabi::update_weak_updates(o);
    } catch (const Error& e) {
      fmt::print(stderr, "kmpkit weak-updates: {}: {}\n", kver, e.what());
      return exit_code::of(e.kind());
    }
    if (!r.errors.empty()) rc = exit_code::partial;
    if (a.json) all.push_back(kabi::weak_updates_json(r));
    else if (!a.quiet || r.changed() || !r.errors.empty()) std::cout << kabi::weak_updates_text(r, a.details);
  }
  if (a.json) std::cout << all.dump(1) << "\n";
  std::cout.flush();
  return std::cout ? rc : exit_code::io_error;
}

}  // namespace

void add_weak_updates_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<WeakArgs>();
  auto* cmd = app.add_subcommand(
      "weak-updates",
      "Link the modules of other installed kernels that fit KVER into lib/modules/KVER/weak-updates/");
  cmd->footer(
      "For each module name KVER has no module of its own, the copy of the newest other kernel in\n"
      "lib/modules/ is checked with kmpkit's KABI check (every imported symbol with an equal CRC from\n"
      "KVER's vmlinux, its modules or other linked modules; vermagic flags; not breaking KVER's own\n"
      "modules); the ones that fit get a relative symlink, links that no longer fit are removed. A\n"
      "KVER that is no longer installed (no Module.symvers and image) loses all its links. Run depmod\n"
      "for KVER afterwards (the kernel package's file triggers do both). docs/kabi.md.\n"
      "Exit: 0 done, 1 some module files unreadable (skipped), 7 links could not be written.");
  cmd->add_option("-b,--basedir", a->root, "Base directory the kernels live under (BASEDIR/lib/modules), as depmod -b");
  cmd->add_option("kver", a->kvers, "Kernel release(s) to update")->required();
  cmd->add_flag("-n,--dry-run", a->dry_run, "Decide and report; change nothing");
  cmd->add_flag("--clear", a->clear, "Remove all of KVER's links (the kernel package's %preun, before its removal)");
  cmd->add_flag("--no-cache", a->no_cache,
                "Read every module file (default: reuse what ROOT/var/cache/kmpkit/weak-updates/ keeps)");
  cmd->add_flag("--json", a->json, "JSON: one object per kernel (links, added, removed, rejected)");
  cmd->add_flag("-q,--quiet", a->quiet, "Print only when links change (the kernel package's triggers)");
  cmd->add_flag("-v,--verbose,--details", a->details, "List every link and every copy that does not fit");
  cmd->callback([a, &exit_code] { exit_code = run_weak_updates(*a); });
}

}  // namespace kmpkit::cli
