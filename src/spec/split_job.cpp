#include "spec/split_job.hpp"

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "module/inventory.hpp"
#include "policy/policy.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::spec {
namespace {

// The policy with the request's overrides; a problem for an override that cannot be.
policy::Policy effective_policy(const policy::Policy& pol, const SplitRequest& r, std::vector<std::string>& problems) {
  policy::Policy out = pol;
  if (!r.flavor.empty() && !policy::valid_package_name(r.flavor))
    problems.push_back(fmt::format("--flavor \"{}\" may only use letters, digits and . _ + -", r.flavor));
  if (!r.scheme.empty())
    out.scheme = r.scheme == "kabi" ? policy::Policy::Scheme::Kabi : policy::Policy::Scheme::KernelVersion;
  if (!r.release.empty()) {
    if (!policy::valid_version_field(r.release))
      problems.push_back(fmt::format("--release \"{}\" must not contain '-', spaces, '%' or braces", r.release));
    out.release = r.release;
  }
  return out;
}

SplitOptions split_options(const policy::Policy& pol, const package::PackagePlan& plan, const KernelInventory& inv,
                           const SplitRequest& r) {
  SplitOptions so;
  so.out_dir = r.out_dir;
  so.root = r.basedir;
  so.jobs = r.jobs ? r.jobs : pol.jobs;
  if (so.jobs == 0) so.jobs = std::max(1u, std::thread::hardware_concurrency());
  so.shards = r.shards ? r.shards : pol.shards;
  so.payload = pol.payload;
  policy::TemplateValues tv{plan.flavor, plan.kver, plan.version, "", "", ""};
  so.depmod_command = policy::expand_template(pol.depmod_command, tv);
  so.weak_updates_command = policy::expand_template(pol.weak_updates_command, tv);
  so.kmpkit_binary = r.kmpkit_binary;
  so.license_file = pol.license_file;
  so.url = pol.url;
  so.vendor = pol.vendor;
  if (plan.flavor != package::default_flavor(inv)) so.depgen_flavor = plan.flavor;
  so.provides_imported = pol.provides == policy::ProvidesMode::Imported;
  so.host_base = r.host_base;
  so.tool_package = r.tool_package;
  so.initrd = pol.initrd;
  so.compress_modules = pol.compress_modules;
  return so;
}

// The part of a policy with problems that the tree can still be checked against: sets and patterns
// without a name or a selection (already reported) left out, so that the plan does not report them
// again in other words.
policy::Policy checkable_part(policy::Policy pol) {
  std::erase_if(pol.sets, [](const policy::ModuleSet& s) { return s.name.empty() || s.select.empty(); });
  std::erase_if(pol.patterns, [](const policy::Pattern& p) { return p.name.empty(); });
  return pol;
}

}  // namespace

std::vector<std::string> rpm_names_under(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::string f = it->path().filename().string();
    if (!f.ends_with(".rpm") || f.ends_with(".src.rpm")) continue;
    f.resize(f.size() - 4);
    auto arch = f.rfind('.');
    if (arch == std::string::npos) continue;
    f.resize(arch);
    for (int dash = 0; dash < 2; ++dash) {
      auto d = f.rfind('-');
      if (d == std::string::npos) break;
      f.resize(d);
    }
    names.push_back(f);
  }
  if (ec) throw Error(ErrorKind::Input, fmt::format("cannot read {}: {}", dir, ec.message()));
  return names;
}

SplitJobResult run_split(const SplitRequest& r) {
  auto t0 = std::chrono::steady_clock::now();
  SplitJobResult out;
  out.policy_path = r.policy_path.empty() ? policy::default_policy_path() : r.policy_path;
  if (out.policy_path.empty()) {
    out.problems.push_back("no --policy given and the default policy is not installed");
    return out;
  }
  auto loaded = policy::load_policy_file(out.policy_path);
  for (const auto& p : loaded.problems) out.problems.push_back(p.message);
  // A policy with mistakes is still checked against the tree (what could be read of it), so that
  // one run lists every problem; nothing is written then.
  if (!loaded.partial) return out;
  if (r.out_dir.empty() && !r.check_only) out.problems.push_back("--out DIR is required");
  policy::Policy pol = effective_policy(loaded.policy ? *loaded.policy : checkable_part(*loaded.partial), r, out.problems);

  KernelInventory inv = read_inventory(r.basedir, r.kver, {0, r.progress});
  out.modules = inv.modules.size();
  out.unreadable = inv.errors;
  if (!out.unreadable.empty()) return out;

  package::PlanOptions plan_options;
  plan_options.flavor = r.flavor;
  plan_options.only = r.only;
  plan_options.with_deps = r.with_deps;
  plan_options.strict = r.strict;
  for (const auto& b : r.baselines) {
    if (!fs::is_directory(b))
      throw Error(ErrorKind::Input, fmt::format("--baseline {}: not a directory (give an earlier build's repository)", b));
    for (auto& n : rpm_names_under(b)) plan_options.published_before.push_back(std::move(n));
  }
  auto planned = package::make_plan(pol, inv, plan_options);
  for (auto& p : planned.problems) out.problems.push_back(std::move(p));
  out.warnings = std::move(planned.warnings);
  out.builtin = std::move(planned.builtin);
  out.plan = std::move(planned.plan);
  if (out.ok() && r.check_only) {
    out.profiles_dir = r.profiles_dir.empty() ? package::default_profiles_dir() : r.profiles_dir;
    if (!r.profiles_dir.empty() && !fs::is_directory(r.profiles_dir))
      throw Error(ErrorKind::Input, fmt::format("--hw-profiles {}: not a directory (give a directory of "
                                                "NAME/modalias.tsv, such as hw-profiles/)", r.profiles_dir));
    auto machines = out.profiles_dir.empty() ? std::vector<package::MachineProfile>{}
                                             : package::read_machine_profiles(out.profiles_dir);
    out.set_costs = package::set_costs(out.plan, inv, machines);
  }
  if (!out.ok() || r.check_only) {
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  }
  out.split = write_split(out.plan, inv, split_options(pol, out.plan, inv, r));
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace kmpkit::spec
