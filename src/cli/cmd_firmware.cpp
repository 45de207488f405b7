// kmpkit firmware split: firmware trees → one package per driver (docs/firmware.md); `kmpkit build
// DIR` makes the repository.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/progress.hpp"
#include "firmware/firmware_split.hpp"

namespace kmpkit::cli {
namespace {

struct FirmwareSplitArgs {
  std::vector<std::string> roots;
  std::string kver;
  std::string kernel_root;
  std::string out;
  std::string version, release;
  unsigned threads = 0;
  bool json = false, verbose = false, plan_only = false;
};

std::string kb(uint64_t bytes) { return fmt::format("{:.1f} KB", static_cast<double>(bytes) / 1e3); }

void print_summary(const firmware::FirmwareSplitResult& r, const FirmwareSplitArgs& a) {
  const auto& plan = r.plan;
  size_t files = 0, links = 0;
  for (const auto& s : r.tree.sources) {
    files += s.files;
    links += s.links;
  }
  fmt::print("firmware for {}: {} tree(s), {} files and {} links; {} modules name {} firmware files ({} lines, {} "
             "globs)\n",
             plan.kver, r.tree.sources.size(), files, links, r.requests.drivers, plan.requested, r.requests.lines,
             r.requests.globs.size());
  fmt::print("  {} of the named files are in the trees, each provided as firmware(NAME); {} are not\n",
             plan.requested_present, plan.requested_absent.size());
  size_t claimed = 0;
  for (const auto& p : plan.packages) claimed += !p.unclaimed;
  fmt::print("  {} package(s) for drivers, {} for the {} file(s) and link(s) no driver names:\n", claimed,
             plan.packages.size() - claimed, plan.unclaimed.size());
  for (const auto& p : plan.packages) {
    fmt::print("  {:<36} {:>4} files {:>10}  {} provides  {}\n", p.name, p.entries.size(), kb(p.bytes),
               p.provides.size(), p.licence);
    if (!a.verbose) continue;
    for (size_t i : p.entries) {
      const auto& e = r.tree.entries[i];
      fmt::print("      /lib/firmware/{}{}\n", e.path, e.link ? " -> " + e.link_target : "");
    }
    for (const auto& v : p.provides) fmt::print("      Provides: {}\n", v);
  }
  if (a.verbose) {
    constexpr size_t kShown = 20;  // the JSON report lists them all
    for (size_t i = 0; i < plan.requested_absent.size() && i < kShown; ++i)
      fmt::print("  named, not in the trees: {}\n", plan.requested_absent[i]);
    if (plan.requested_absent.size() > kShown)
      fmt::print("  ... and {} more named files not in the trees (--json lists them)\n", plan.requested_absent.size() - kShown);
  }
  for (const auto& n : plan.not_provided) fmt::print("  packaged, not provided: {}\n", n);
}

int run_firmware_split(FirmwareSplitArgs a) {
  // The positionals are FIRMWARE_ROOT... KVER unless --kver names the release.
  if (a.kver.empty()) {
    if (a.roots.size() < 2) {
      fmt::print(stderr, "kmpkit firmware split: give FIRMWARE_ROOT... KVER (or --kver KVER)\n");
      return exit_code::usage;
    }
    a.kver = a.roots.back();
    a.roots.pop_back();
  }
  firmware::FirmwareSplitRequest req;
  req.firmware_roots = a.roots;
  req.kernel_root = a.kernel_root;
  req.kver = a.kver;
  req.out_dir = a.plan_only ? "" : a.out;
  req.version = a.version;
  req.release = a.release;
  req.threads = a.threads;
  if (!a.plan_only && a.out.empty()) {
    fmt::print(stderr, "kmpkit firmware split: --out DIR is required (or --plan)\n");
    return exit_code::usage;
  }
  Progress progress("reading modules");
  req.progress = [&](size_t d, size_t t) { progress.update(d, t); };
  firmware::FirmwareSplitResult r;
  try {
    r = firmware::run_firmware_split(req);
  } catch (const Error& e) {
    progress.finish();
    fmt::print(stderr, "kmpkit firmware split: {}\n", e.what());
    return exit_code::of(e.kind());
  }
  progress.finish();
  for (const auto& e : r.requests.errors) fmt::print(stderr, "kmpkit firmware split: {}: {}\n", e.file, e.message);
  size_t left_out = r.tree.problems.size() + r.plan.problems.size();
  for (const auto& p : r.tree.problems) fmt::print(stderr, "kmpkit firmware split: {}\n", p);
  for (const auto& p : r.plan.problems) fmt::print(stderr, "kmpkit firmware split: {}\n", p);
  if (a.json) std::cout << firmware::firmware_report_json(r).dump(1) << "\n";
  else {
    print_summary(r, a);
    if (!a.plan_only)
      fmt::print("written to {} ({:.1f} s); build the repository with: kmpkit build {}\n", a.out, r.seconds, a.out);
  }
  std::cout.flush();
  if (!std::cout) return exit_code::io_error;
  return r.requests.errors.empty() && left_out == 0 ? exit_code::ok : exit_code::partial;
}

}  // namespace

void add_firmware_command(CLI::App& app, int& exit_code) {
  auto* fw = app.add_subcommand("firmware", "Firmware packages that follow the drivers (docs/firmware.md)");
  fw->require_subcommand(1);
  auto a = std::make_shared<FirmwareSplitArgs>();
  auto* split = fw->add_subcommand(
      "split", "Split firmware trees into one package per driver, each providing firmware(NAME) for what the "
               "driver's KMP recommends; write its spec and lists for `kmpkit build`");
  split->add_option("trees_and_kver", a->roots,
                    "FIRMWARE_ROOT... KVER: firmware trees (an unpacked Debian firmware package, a linux-firmware "
                    "checkout with WHENCE, or a lib/firmware directory; a path two trees hold comes from the first), "
                    "then the kernel release whose drivers decide the packages (or give it with --kver)")
      ->required();
  split->add_option("-b,--basedir,--kernel-root", a->kernel_root, "Root the kernel's module tree lives under (ROOT/lib/modules/KVER)");
  split->add_option("-k,--kver", a->kver, "Kernel release (instead of the last positional argument)");
  split->add_option("-o,--out", a->out, "Output directory: firmware.spec, lists/, kmpkit-split.json, kmpkit-firmware.json");
  split->add_option("--version", a->version, "Version of every package (default: the tree's, e.g. Debian's upstream version)");
  split->add_option("--release", a->release, "Release of every package (default: the tree's, e.g. Debian's revision)");
  split->add_option("-j,--threads", a->threads, "Module reader threads (default: all cores)");
  split->add_flag("--plan", a->plan_only, "Only print the packages; write nothing");
  split->add_flag("--json", a->json, "Print the report as JSON (also written to DIR/kmpkit-firmware.json)");
  split->add_flag("-v,--verbose", a->verbose, "List every package's files and provides, and the named files the trees lack");
  split->footer("Exit codes: 0 ok, 1 some modules unreadable or some files left out (named on stderr; the rest is "
                "written), 2 usage, 3 no such tree, 7 write error.");
  split->callback([a, &exit_code] { exit_code = run_firmware_split(*a); });
}

}  // namespace kmpkit::cli
