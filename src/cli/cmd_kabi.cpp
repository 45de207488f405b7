// kmpkit kabi diff: KABI changes between two kernels and which old modules still load.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/progress.hpp"
#include "kabi/kabi_diff.hpp"
#include "cli/exit_codes.hpp"

namespace kmpkit::cli {
namespace {

struct DiffArgs {
  std::string root_old, root_new;
  bool root_new_given = false;
  std::vector<std::string> kvers;
  std::string symvers_old, symvers_new;
  bool json = false;
  bool details = false;
  unsigned threads = 0;
};

int run_diff(DiffArgs a) {
  const char* me = "kmpkit kabi diff";
  kabi::SideSpec old_spec{a.root_old, "", a.symvers_old};
  kabi::SideSpec new_spec{a.root_new_given ? a.root_new : a.root_old, "", a.symvers_new};
  // Releases fill the sides in order, old first; a side given only as a Module.symvers file
  // needs none.
  size_t next = 0;
  if (a.symvers_old.empty() || a.kvers.size() == 2) {
    if (next < a.kvers.size()) old_spec.kver = a.kvers[next++];
  }
  if (next < a.kvers.size()) new_spec.kver = a.kvers[next++];
  if (next < a.kvers.size()) {
    fmt::print(stderr, "{}: too many kernel releases\n", me);
    return exit_code::usage;
  }
  for (const auto* s : {&old_spec, &new_spec})
    if (s->kver.empty() && s->symvers.empty()) {
      fmt::print(stderr, "{}: give the {} kernel: a release (with -{} ROOT if not under /), or --symvers-{} FILE\n", me,
                 s == &old_spec ? "old" : "new", s == &old_spec ? "b" : "B", s == &old_spec ? "old" : "new");
      return exit_code::usage;
    }

  kabi::KabiSide sides[2];
  try {
    for (int i = 0; i < 2; ++i) {
      const auto& spec = i == 0 ? old_spec : new_spec;
      Progress progress(fmt::format("reading {}", spec.kver.empty() ? spec.symvers : spec.kver));
      sides[i] = kabi::load_side(spec, a.threads, [&](size_t d, size_t t) { progress.update(d, t); });
      progress.finish();
    }
  } catch (const Error& e) {
    fmt::print(stderr, "{}: {}\n", me, e.what());
    return exit_code::of(e.kind());
  }
  size_t unreadable = 0;
  for (const auto& s : sides)
    for (const auto& e : s.errors) {
      fmt::print(stderr, "{}: {}: {}\n", me, e.file, e.message);
      ++unreadable;
    }
  auto result = kabi::kabi_diff(sides[0], sides[1]);
  if (a.json) std::cout << kabi::kabi_diff_json(result, sides[0], sides[1]).dump(1) << "\n";
  else std::cout << kabi::kabi_diff_text(result, sides[0], sides[1], a.details);
  std::cout.flush();
  if (!std::cout) return exit_code::io_error;
  return unreadable ? exit_code::partial : exit_code::ok;
}

}  // namespace

void add_kabi_commands(CLI::App& app, int& exit_code) {
  auto* kabi_cmd = app.add_subcommand("kabi", "Kernel ABI (exported symbols and their CRCs) across kernels");
  kabi_cmd->require_subcommand(1);

  auto args = std::make_shared<DiffArgs>();
  auto* diff = kabi_cmd->add_subcommand(
      "diff", "Exported symbols added, removed and changed between two kernels, and which modules of the old "
              "kernel would load into the new one");
  diff->add_option("-b,--basedir-old", args->root_old, "Root the old kernel lives under (ROOT/lib/modules/OLD_KVER)");
  diff->add_option("-B,--basedir-new", args->root_new, "Root of the new kernel (default: the old one's)")
      ->each([args](const std::string&) { args->root_new_given = true; });
  diff->add_option("kvers", args->kvers, "OLD_KVER NEW_KVER (a side given by --symvers-* alone needs none)")
      ->expected(0, 2);
  diff->add_option("--symvers-old", args->symvers_old,
                   "Module.symvers of the old kernel: alone, compares symbols only; with a tree, replaces "
                   "the one found there");
  diff->add_option("--symvers-new", args->symvers_new,
                   "Module.symvers of the new kernel: alone, supplies vmlinux and the new modules' exports "
                   "(vermagic is then not checked)");
  diff->add_flag("--json", args->json, "Print one JSON object (schema: docs/kabi.md)");
  diff->add_flag("-v,--verbose,--details", args->details, "List every changed symbol and every old module's verdict");
  diff->add_option("-j,--threads", args->threads, "Reader threads (default: all cores)");
  diff->footer(
      "Examples:\n"
      "  kmpkit kabi diff -b /srv/old 6.1.0-47-amd64 -B /srv/new 6.1.0-56-amd64\n"
      "  kmpkit kabi diff 6.1.0-55-amd64 6.1.0-56-amd64          (both installed under /)\n"
      "  kmpkit kabi diff --symvers-old old/Module.symvers --symvers-new new/Module.symvers\n"
      "Exit codes: 0 ok, 1 some modules unreadable (named on stderr, the rest reported), 2 usage,\n"
      "3 no such tree or no Module.symvers.");
  diff->callback([args, &exit_code] { exit_code = run_diff(*args); });

}

}  // namespace kmpkit::cli
