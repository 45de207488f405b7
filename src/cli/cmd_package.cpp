// kmpkit split / build / package: a kernel tree → a kernel package, KMPs and patterns (specs and
// file lists) → rpms and an rpm-md repository. Documented in docs/packaging.md and docs/policy.md.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/progress.hpp"
#include "build/repo_builder.hpp"
#include "spec/split_job.hpp"
#include "cli/exit_codes.hpp"

namespace fs = std::filesystem;

namespace kmpkit::cli {
namespace {

struct SplitArgs {
  std::string policy;
  std::string basedir;
  std::string kver;
  std::string out;
  std::string flavor;
  unsigned shards = 0;
  unsigned jobs = 0;
  bool host_base = false;
  bool tool_package = false;
  bool check = false;
  bool json = false;                   // --check: the report as JSON on stdout
  std::string profiles_dir;            // --check: hardware profiles for the sets' costs
  std::vector<std::string> baselines;  // repositories (directories of rpms) of earlier builds
  std::vector<std::string> only;       // publish only the KMPs matching these globs
  bool with_deps = false;              // --only: also the KMPs they depend on (modinfo depends)
  bool strict = false;                 // a policy name this kernel has in no form is an error
  std::string release;                 // overrides the policy's and the kernel's release
  std::string scheme;                  // overrides the policy's [naming] scheme
};

struct BuildArgs {
  std::string dir;
  unsigned jobs = 0;
  bool keep_work = false;
  std::string gpg_key;
};

constexpr const char* kGpgKeyHelp =
    "Sign every rpm (rpmsign) and repodata/repomd.xml (repomd.xml.asc) with this key of GNUPGHOME, and publish the "
    "public key (repodata/repomd.xml.key, REPO/RPM-GPG-KEY-kmpkit); docs/signing.md";

std::string mb(uint64_t bytes) { return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6); }

std::string self_binary() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

// Options that would be silently ignored in this combination: refused, so the user learns why.
std::string ignored_option(const SplitArgs& a) {
  if (a.with_deps && a.only.empty()) return "--with-deps only adds to --only's KMPs: give --only GLOB too";
  if (a.check && !a.out.empty()) return "--check writes nothing, so --out has no use with it: drop one of them";
  if (a.check && a.host_base) return "--check builds nothing, so --host-base has no use with it: drop one of them";
  if (a.json && !a.check) return "--json is the report of --check: give --check too";
  if (!a.profiles_dir.empty() && !a.check) return "--hw-profiles is for the set costs of --check: give --check too";
  return "";
}

// "a, b, c" or "a, b, c and 4 more".
std::string short_list(const std::vector<std::string>& names, size_t shown = 4) {
  if (names.size() <= shown) return fmt::format("{}", fmt::join(names, ", "));
  return fmt::format("{} and {} more", fmt::join(names.begin(), names.begin() + static_cast<long>(shown), ", "),
                     names.size() - shown);
}

// What each module set costs a machine that installs it (package/set_cost.hpp).
void print_set_costs(const spec::SplitJobResult& res) {
  if (res.set_costs.empty()) return;
  fmt::print("module sets: any device one of its modules drives installs the whole set and what it pulls in\n");
  for (const auto& c : res.set_costs) {
    std::string machines = res.profiles_dir.empty() ? "no hardware profiles found"
                           : c.machines.empty()     ? "no profile's device"
                                                    : "matches " + short_list(c.machines);
    fmt::print("  {}: {} modules, {}; {} modalias patterns ({})\n", c.package, c.modules, mb(c.bytes),
               c.modalias_patterns, machines);
    if (c.pulls.empty())
      fmt::print("    pulls in no other KMP\n");
    else
      fmt::print("    pulls in {} other KMPs ({}): {} → {} installed\n", c.pulls.size(), mb(c.pulled_bytes),
                 short_list(c.pulls), mb(c.bytes + c.pulled_bytes));
  }
  if (!res.profiles_dir.empty()) fmt::print("  (profiles: {})\n", res.profiles_dir);
}

// split --check --json: the same report for programs (docs/policy.md); exit codes as without --json.
int print_check_json(const spec::SplitJobResult& res, const SplitArgs& a) {
  nlohmann::json j;
  j["policy"] = res.policy_path;
  j["kver"] = a.kver;
  j["fits"] = res.ok();
  j["problems"] = res.problems;
  j["warnings"] = res.warnings;
  j["builtin"] = res.builtin;
  auto& unreadable = j["unreadable"] = nlohmann::json::array();
  for (const auto& e : res.unreadable) unreadable.push_back({{"file", e.file}, {"error", e.message}});
  if (res.ok()) {
    j["kernel_package"] = res.plan.kernel.name;
    j["kept_modules"] = res.plan.kernel.modules.size();
    j["kmps"] = res.plan.kmps.size();
    j["patterns"] = res.plan.patterns.size();
    j["profiles"] = res.profiles_dir;
    auto& sets = j["sets"] = nlohmann::json::array();
    for (const auto& c : res.set_costs)
      sets.push_back({{"package", c.package},
                      {"modules", c.modules},
                      {"bytes", c.bytes},
                      {"modalias_patterns", c.modalias_patterns},
                      {"machines", c.machines},
                      {"pulls", c.pulls},
                      {"pulled_bytes", c.pulled_bytes}});
  }
  fmt::print("{}\n", j.dump(2));
  if (!res.unreadable.empty()) return exit_code::input_missing;
  return res.problems.empty() ? exit_code::ok : exit_code::usage;
}

int run_split(const SplitArgs& a, const char* cmd) {
  if (auto why = ignored_option(a); !why.empty()) {
    fmt::print(stderr, "kmpkit {}: {}\n", cmd, why);
    return exit_code::usage;
  }
  spec::SplitRequest req;
  req.policy_path = a.policy;
  req.basedir = a.basedir;
  req.kver = a.kver;
  req.out_dir = a.out;
  req.flavor = a.flavor;
  req.shards = a.shards;
  req.jobs = a.jobs;
  req.host_base = a.host_base;
  req.tool_package = a.tool_package;
  req.check_only = a.check;
  req.baselines = a.baselines;
  req.only = a.only;
  req.with_deps = a.with_deps;
  req.strict = a.strict;
  req.release = a.release;
  req.scheme = a.scheme;
  req.kmpkit_binary = self_binary();
  req.profiles_dir = a.profiles_dir;
  Progress progress("reading modules");
  req.progress = [&](size_t d, size_t t) { progress.update(d, t); };
  spec::SplitJobResult res;
  try {
    res = spec::run_split(req);
  } catch (const Error& e) {
    progress.finish();
    fmt::print(stderr, "kmpkit {}: {}\n", cmd, e.what());
    return exit_code::of(e.kind());
  }
  progress.finish();
  if (a.json) return print_check_json(res, a);
  if (!res.unreadable.empty()) {
    for (const auto& e : res.unreadable) fmt::print(stderr, "kmpkit {}: {}: {}\n", cmd, e.file, e.message);
    fmt::print(stderr, "kmpkit {}: {} module(s) unreadable; nothing was written\n", cmd, res.unreadable.size());
    return exit_code::input_missing;
  }
  for (const auto& w : res.warnings) fmt::print(stderr, "kmpkit {}: warning: {}\n", cmd, w);
  if (!res.problems.empty()) {
    for (const auto& p : res.problems) fmt::print(stderr, "kmpkit {}: {}\n", cmd, p);
    fmt::print(stderr, "kmpkit {}: the policy does not fit {} ({} problem(s)); nothing was written\n", cmd, a.kver,
               res.problems.size());
    return exit_code::usage;
  }
  const auto& plan = res.plan;
  std::string with_warnings =
      res.warnings.empty() ? "" : fmt::format(" with {} warning(s) (--strict makes them errors)", res.warnings.size());
  if (a.check) {
    fmt::print("policy {} fits {}{}: kernel package {} ({} kept modules), {} KMPs, {} patterns\n", res.policy_path,
               a.kver, with_warnings, plan.kernel.name, plan.kernel.modules.size(), plan.kmps.size(),
               plan.patterns.size());
    if (!res.builtin.empty()) fmt::print("built into {} (present, nothing to package):\n", a.kver);
    for (const auto& b : res.builtin) fmt::print("  {}\n", b);
    print_set_costs(res);
    return exit_code::ok;
  }
  for (const auto& w : res.split.warnings) fmt::print(stderr, "kmpkit {}: warning: {}\n", cmd, w);
  fmt::print("split {} ({} modules) with {}: {} packages in {} specs, written to {} ({:.1f} s)\n", a.kver, res.modules,
             res.policy_path, res.split.manifest.packages(), res.split.manifest.specs.size(), a.out, res.seconds);
  fmt::print("  {:<22} {}, {} kept modules\n", plan.kernel.name, "kernel package", plan.kernel.modules.size());
  size_t set_kmps = 0;
  for (const auto& k : plan.kmps) set_kmps += !k.set.empty();
  fmt::print("  {:<22} {} ({} module sets)\n", "KMPs", plan.kmps.size(), set_kmps);
  fmt::print("  {:<22} {}\n", "patterns", plan.patterns.size());
  if (!res.builtin.empty())
    fmt::print("  {:<22} {} policy names (nothing to package; `split --check` lists them)\n", "built in",
               res.builtin.size());
  if (!res.warnings.empty()) fmt::print("  {:<22} {}\n", "warnings", res.warnings.size());
  return exit_code::ok;
}

int run_build(const BuildArgs& a, const char* cmd) {
  std::unique_ptr<Progress> progress;
  std::string stage;
  build::BuildOptions bo;
  bo.dir = a.dir;
  bo.jobs = a.jobs;
  bo.keep_work = a.keep_work;
  bo.gpg_key = a.gpg_key;
  bo.progress = [&](const build::BuildProgress& p) {
    if (p.stage != stage) {
      if (progress) progress->finish();
      stage = p.stage;
      progress = std::make_unique<Progress>(stage == "rpmbuild" ? "rpmbuild (2 steps a package)" : stage);
    }
    progress->update(p.steps_done, p.steps_total);
  };
  build::BuildResult r;
  try {
    r = build::build_repository(bo);
  } catch (const Error& e) {
    if (progress) progress->finish();
    fmt::print(stderr, "kmpkit {}: {}\n", cmd, e.what());
    return exit_code::of(e.kind());
  }
  if (progress) progress->finish();
  fmt::print("built {} rpms ({}) in {:.1f} s: rpmbuild {:.1f} s ({} specs), repository metadata {:.1f} s\n", r.rpms,
             mb(r.rpm_bytes), r.total_seconds, r.rpmbuild_seconds, r.specs.size(), r.createrepo_seconds);
  fmt::print("repository {} ({})\n", r.repo_dir, mb(r.repo_bytes));
  return exit_code::ok;
}

void add_split_options(CLI::App* cmd, SplitArgs& a) {
  cmd->add_option("--policy", a.policy, "Packaging policy (TOML, docs/policy.md); default: the shipped default.toml");
  cmd->add_option("-b,--basedir", a.basedir, "Root the tree lives under (ROOT/lib/modules/KVER)");
  cmd->add_option("kver", a.kver, "Kernel release, e.g. 6.1.0-56-amd64")->required();
  cmd->add_option("-o,--out", a.out, "Output directory for specs, file lists and (build) the repository");
  cmd->add_option("--flavor", a.flavor, "Flavor name (default: the policy's, else from vermagic)");
  cmd->add_option("--shards", a.shards, "Number of KMP specs (default: automatic, see docs/packaging.md)");
  cmd->add_option("-j,--jobs", a.jobs, "Parallel rpmbuilds (default: the policy's, else all cores)");
  cmd->add_option("--baseline", a.baselines,
                  "kabi scheme: an earlier build's repository; KMPs it already has (same name = same KABI) are "
                  "not built again (repeatable)");
  cmd->add_option("--only", a.only,
                  "Build only the KMPs whose package or module name matches this glob, and the kernel package "
                  "and patterns only if a glob matches the kernel package's name (repeatable)");
  cmd->add_flag("--with-deps", a.with_deps, "With --only: also the KMPs the selected modules depend on");
  cmd->add_flag("--strict", a.strict,
                "A policy name or path (or --only glob) that this kernel has in no form, neither a module nor built "
                "in, is an error instead of a warning (a misspelt name is an error either way; docs/policy.md)");
  cmd->add_option("--scheme", a.scheme, "KMP naming scheme, overriding the policy's [naming] scheme (docs/kabi.md)")
      ->check(CLI::IsMember({"kernel-version", "kabi"}));
  cmd->add_option("--release", a.release, "Release of the packages (default: the policy's, else the kernel's ABI)");
  cmd->add_flag("--host-base", a.host_base,
                "Also build kmpkit-host-base (this host's /bin/sh, depmod and libraries) and the kmpkit package, for "
                "empty install roots (tests, demos)");
  cmd->add_flag("--tool-package", a.tool_package,
                "Also build the kmpkit package (/usr/bin/kmpkit, which the kernel package's scripts run) for roots "
                "that have a userspace but no kmpkit");
}

}  // namespace

void add_package_commands(CLI::App& app, int& exit_code) {
  auto split = std::make_shared<SplitArgs>();
  auto* s = app.add_subcommand("split", "Write the spec files and file lists of a kernel package, KMPs and patterns");
  add_split_options(s, *split);
  s->add_flag("--check", split->check,
              "Only check the policy against the tree (every problem in one run); write nothing; lists what each "
              "module set costs: its modalias patterns, the hardware profiles it matches, the KMPs it pulls in");
  s->add_flag("--json", split->json, "With --check: the report as JSON on stdout");
  s->add_option("--hw-profiles", split->profiles_dir,
                "With --check: directory of hardware profiles (NAME/modalias.tsv) the sets are matched against "
                "(default: the shipped hw-profiles/)");
  s->footer("A policy name this kernel has built in is satisfied (--check lists them); one it has in no form is a "
            "warning (an error with --strict); a misspelt one is an error with a suggestion. Exit codes: 0 ok (also "
            "with warnings), 2 bad policy (every problem listed), 3 no such tree or unreadable modules, 7 write error.");
  s->callback([split, &exit_code] { exit_code = run_split(*split, "split"); });

  auto build = std::make_shared<BuildArgs>();
  auto* b = app.add_subcommand("build", "Build the rpms of a split directory and make it an rpm-md repository");
  b->add_option("dir", build->dir, "The directory `kmpkit split --out` wrote")->required();
  b->add_option("-j,--jobs", build->jobs, "Parallel rpmbuilds (default: as split, else all cores)");
  b->add_flag("--keep-work", build->keep_work, "Keep the rpmbuild work directories (DIR/rpmbuild)");
  b->add_option("--gpg-key", build->gpg_key, kGpgKeyHelp);
  b->footer("Writes DIR/repo (rpms, repodata with patterns) and DIR/logs. Exit codes: 0 ok, 2 --gpg-key names no "
            "secret key, 3 no split or a tool missing, 5 rpmbuild/createrepo_c/modifyrepo_c failed (log excerpt shown), 7 write error.");
  b->callback([build, &exit_code] { exit_code = run_build(*build, "build"); });

  auto pkg = std::make_shared<SplitArgs>();
  auto pkg_build = std::make_shared<BuildArgs>();
  auto* p = app.add_subcommand("package", "split, then build: a kernel tree to an rpm-md repository in one step");
  add_split_options(p, *pkg);
  p->add_flag("--keep-work", pkg_build->keep_work, "Keep the rpmbuild work directories (DIR/rpmbuild)");
  p->add_option("--gpg-key", pkg_build->gpg_key, kGpgKeyHelp);
  p->footer("Exit codes: those of split and build.");
  p->callback([pkg, pkg_build, &exit_code] {
    exit_code = run_split(*pkg, "package");
    if (exit_code != exit_code::ok) return;
    pkg_build->dir = pkg->out;
    pkg_build->jobs = pkg->jobs;
    exit_code = run_build(*pkg_build, "package");
  });
}

}  // namespace kmpkit::cli
