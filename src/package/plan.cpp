#include "package/plan.hpp"

#include "kabi/kabi_id.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "package/selector_fit.hpp"
#include "policy/glob.hpp"
#include "util/nearest_name.hpp"

namespace kmpkit::package {
namespace {

using policy::Selector;

// Valid UTF-8 sequences kept, anything else replaced with '?'.
std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (!ok) {
      out += '?';
      ++i;
      continue;
    }
    out.append(s.substr(i, len));
    i += len;
  }
  return out;
}

struct Claim {
  std::string owner;  // "kernel" or the set name
  policy::Position at;  // the policy entry that picked the module
};

std::string join_unique(const std::vector<std::string>& values, std::string_view sep) {
  std::vector<std::string> out;
  for (const auto& v : values)
    if (!v.empty() && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  return fmt::format("{}", fmt::join(out, sep));
}

std::string module_description(const ModuleRecord& m) { return clean_summary(m.first("description").value_or("")); }

void describe_single(PlannedPackage& p, const ModuleRecord& m, const std::string& kver, const std::string& flavor) {
  std::string desc = module_description(m);
  p.summary = desc.empty() ? fmt::format("Kernel module {}", m.name) : fmt::format("{} ({} kernel module)", desc, m.name);
  std::string text;
  if (!desc.empty()) text += desc + (desc.back() == '.' ? "" : ".") + "\n\n";
  text += fmt::format("The kernel module {} ({}) of Linux {}, flavor {}.", m.name, m.path, kver, flavor);
  if (auto authors = m.values("author"); !authors.empty())
    text += "\nAuthor: " + clean_summary(join_unique(authors, "; "));
  if (auto v = m.first("version")) text += "\nVersion: " + clean_summary(*v);
  if (auto fw = m.firmware(); !fw.empty()) text += "\nFirmware: " + clean_summary(join_unique(fw, ", "));
  p.description = text;
}

void describe_set(PlannedPackage& p, const policy::ModuleSet& set, const KernelInventory& inv,
                  const std::string& kver, const std::string& flavor) {
  p.summary = !set.summary.empty() ? clean_summary(set.summary)
                                   : fmt::format("Kernel modules of the set {}", p.name);
  std::string text = set.description.empty() ? p.summary + "." : clean_text(set.description);
  text += fmt::format("\n\nThe {} kernel modules of Linux {}, flavor {}:\n", p.modules.size(), kver, flavor);
  for (size_t i : p.modules) {
    const auto& m = inv.modules[i];
    std::string d = module_description(m);
    text += fmt::format("\n{}{}{}", m.name, d.empty() ? "" : ": ", d);
  }
  p.description = text;
}

std::string module_license(const std::vector<size_t>& modules, const KernelInventory& inv,
                           const std::string& fallback) {
  std::vector<std::string> all;
  for (size_t i : modules)
    for (auto& l : inv.modules[i].values("license")) all.push_back(clean_summary(l));
  std::string joined = join_unique(all, " AND ");
  return joined.empty() ? fallback : joined;
}

// pattern-category() and similar values: rpm versions cannot hold spaces or '-' (SUSE writes %20).
std::string encode_dep_value(std::string_view s) {
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_' || c == '.' || c == '+') out += c;
    else out += fmt::format("%{:02X}", u);
  }
  return out;
}

}  // namespace

std::string pattern_provide_name(std::string_view pattern) {
  std::string out(pattern);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

const PlannedPackage* PackagePlan::find(const std::string& name) const {
  if (kernel.name == name) return &kernel;
  auto it = std::lower_bound(kmps.begin(), kmps.end(), name,
                             [](const PlannedPackage& p, const std::string& n) { return p.name < n; });
  if (it != kmps.end() && it->name == name) return &*it;
  for (const auto& p : patterns)
    if (p.name == name) return &p;
  return nullptr;
}

std::string kmp_declaration(const std::string& kmp_name) { return "kmp-for(" + kmp_name + ")"; }

std::pair<std::string, std::string> version_release_from_kver(const std::string& kver) {
  auto dash = kver.find('-');
  std::string version = kver.substr(0, dash);
  std::string release = "1";
  if (dash != std::string::npos) {
    std::string rest = kver.substr(dash + 1);
    auto d2 = rest.find('-');
    std::string abi = rest.substr(0, d2);
    // "6.1.0-56-amd64" → 56; "6.4.0-150600.23.25-default" → 150600.23.25; "5.10.0-rc1" stays "1" when
    // the part is the flavor itself (no second dash and not starting with a digit).
    if (!abi.empty() && (d2 != std::string::npos || std::isdigit(static_cast<unsigned char>(abi[0])))) release = abi;
  }
  for (auto* s : {&version, &release})
    for (auto& c : *s)
      if (c == '-' || c == ' ') c = '_';
  if (version.empty()) version = "0";
  return {version, release};
}

std::string default_flavor(const KernelInventory& inv) {
  std::map<std::string, size_t> counts;
  for (const auto& m : inv.modules) {
    std::string f = flavor_from_release(release_from_vermagic(m.vermagic()));
    if (!f.empty()) counts[f]++;
  }
  std::string best;
  size_t n = 0;
  for (auto& [f, c] : counts)
    if (c > n) best = f, n = c;
  if (best.empty()) best = flavor_from_release(inv.tree.kver);
  return best.empty() ? "default" : best;
}

std::string clean_summary(std::string_view s) {
  std::string v = valid_utf8(s);
  std::string out;
  bool space = false;
  for (char c : v) {
    bool ws = static_cast<unsigned char>(c) < 0x20 || c == ' ' || c == 0x7f;
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string clean_text(std::string_view s) {
  std::string v = valid_utf8(s);
  std::string out;
  for (char c : v) {
    if (c == '\t') out += ' ';
    else if (c == '\n' || static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

namespace {

// --only: the KMPs whose package (base) name or one of whose module names matches a glob; the
// kernel package and the patterns only when a glob names the kernel package (`--only` is mostly
// an update of a few KMPs for a kernel that is out already); with_deps adds the KMPs the selected
// ones depend on (modinfo depends) that no earlier build published, so the selection installs alone.
// A glob that matches no KMP is reported like a policy name: built in, a typo, or gone.
void restrict_to(PackagePlan& plan, const KernelInventory& inv, const PlanOptions& o, SelectorFit& fit,
                 std::vector<std::string>& problems) {
  auto matches = [](const std::string& glob, const std::string& name) {
    return ::fnmatch(glob.c_str(), name.c_str(), 0) == 0;
  };
  std::vector<size_t> kmps_of(o.only.size());
  for (auto& k : plan.kmps) {
    bool match = false;
    for (size_t g = 0; g < o.only.size(); ++g) {
      bool this_glob = matches(o.only[g], k.base_name) || matches(o.only[g], k.name);
      for (size_t i : k.modules) this_glob |= policy::name_glob_match(o.only[g], inv.modules[i].name);
      kmps_of[g] += this_glob;
      match |= this_glob;
    }
    if (!match) k.publish = false;
  }
  size_t matched = 0;
  for (size_t g = 0; g < o.only.size(); ++g) {
    matched += kmps_of[g];
    if (kmps_of[g] == 0 && !matches(o.only[g], plan.kernel.name))
      fit.report(fit.unmatched_name(o.only[g]), fmt::format("--only \"{}\"", o.only[g]),
                 fmt::format("in the kernel package {}, no KMP to build", plan.kernel.name));
  }
  // Only the kernel package (`--only kernel-amd64`) is a request too: a kernel whose KMPs are
  // published already, or a test that needs the kernel and nothing else.
  bool kernel = std::any_of(o.only.begin(), o.only.end(), [&](const auto& g) { return matches(g, plan.kernel.name); });
  if (matched == 0 && !kernel) {
    problems.push_back("--only matches no KMP (globs on package or module names)");
    return;
  }
  plan.kernel.publish = kernel;
  for (auto& p : plan.patterns) p.publish = kernel;
  if (!o.with_deps) return;
  std::set<std::string> before(o.published_before.begin(), o.published_before.end());
  std::unordered_map<std::string, size_t> module_by_name;
  for (size_t i = 0; i < inv.modules.size(); ++i) module_by_name.emplace(inv.modules[i].name, i);
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& k : plan.kmps) {
      if (!k.publish) continue;
      for (size_t i : k.modules)
        for (std::string dep : inv.modules[i].depends()) {
          // modinfo depends keeps the file's spelling ("usb-common"); module names have '_'.
          std::replace(dep.begin(), dep.end(), '-', '_');
          auto it = module_by_name.find(dep);
          if (it == module_by_name.end() || plan.module_package[it->second] < 0) continue;
          auto& owner = plan.kmps[static_cast<size_t>(plan.module_package[it->second])];
          if (!owner.publish && !before.count(owner.name)) owner.publish = grew = true;
        }
    }
  }
}

}  // namespace

PlanResult make_plan(const policy::Policy& pol, const KernelInventory& inv, const PlanOptions& options) {
  PlanResult result;
  PackagePlan& plan = result.plan;
  auto& problems = result.problems;

  plan.kver = inv.tree.kver;
  plan.flavor = !options.flavor.empty() ? options.flavor : !pol.flavor.empty() ? pol.flavor : default_flavor(inv);
  auto [version, release] = version_release_from_kver(plan.kver);
  plan.version = pol.version.empty() ? version : pol.version;
  plan.release = pol.release.empty() ? release : pol.release;
  policy::TemplateValues tv{plan.flavor, plan.kver, plan.version, "", ""};
  SelectorFit fit(inv, {options.strict, &problems, &result.warnings, &result.builtin, pol.source});

  // Claims: every module at most once, by the kernel package (keep) or by one set. A second claim
  // is reported at the entry that makes it, naming where the first one is.
  std::vector<Claim> claim(inv.modules.size());
  auto take = [&](const std::vector<size_t>& picked, const std::vector<policy::Position>& picked_at,
                  const std::string& owner) {
    for (size_t k = 0; k < picked.size(); ++k) {
      size_t i = picked[k];
      if (!claim[i].owner.empty()) {
        if (claim[i].owner != owner)
          problems.push_back(fmt::format("{}module {} ({}) is claimed by {} (line {}:{}) and by {}; one of them "
                                         "must leave it (a set's [set.exclude])",
                                         policy::located(pol.source, picked_at[k]), inv.modules[i].name,
                                         inv.modules[i].path, claim[i].owner, claim[i].at.line, claim[i].at.column,
                                         owner));
        continue;
      }
      claim[i] = {owner, picked_at[k]};
    }
  };
  std::vector<policy::Position> picked_at;
  auto kept = fit.select(pol.keep, "[kernel] keep", "in the kernel already", nullptr, {}, &picked_at);
  take(kept, picked_at, "[kernel] keep");
  std::vector<std::vector<size_t>> set_members(pol.sets.size());
  // Sets with no module in this kernel (no package): name → whether they name built-in modules,
  // so that a pattern naming the set's package gets the kernel package instead.
  std::map<std::string, bool> empty_sets;
  for (size_t s = 0; s < pol.sets.size(); ++s) {
    const auto& set = pol.sets[s];
    std::string name = policy::expand_template(set.name, tv);
    std::string what = fmt::format("set \"{}\"", name);
    bool builtin = false;
    const policy::Position header{set.line, 1};
    set_members[s] = fit.select(set.select, what, "nothing to package", &builtin, header, &picked_at);
    if (!set.exclude.empty()) {
      auto excluded = fit.select(set.exclude, what + " exclude", "nothing to exclude", nullptr, header);
      for (size_t k = set_members[s].size(); k-- > 0;)
        if (std::binary_search(excluded.begin(), excluded.end(), set_members[s][k])) {
          set_members[s].erase(set_members[s].begin() + static_cast<long>(k));
          picked_at.erase(picked_at.begin() + static_cast<long>(k));
        }
    }
    if (set_members[s].empty()) empty_sets[name] = builtin;
    take(set_members[s], picked_at, what);
  }

  // The kernel package.
  plan.kernel.kind = PackageKind::Kernel;
  plan.kernel.name = policy::expand_template(pol.kernel_name, tv);
  plan.kernel.summary = clean_summary(pol.kernel_summary);
  plan.kernel.license = pol.license;
  plan.kernel.description =
      pol.kernel_description.empty()
          ? fmt::format("The Linux kernel {} (flavor {}): the kernel image, System.map, config,\n"
                        "Module.symvers and the module database. Every loadable module is in a kernel\n"
                        "module package (KMP) of its own or of its module set, installed by hardware\n"
                        "(Supplements: modalias), by pattern or by name; file triggers keep the module\n"
                        "database (modules.dep ...) current.",
                        plan.kver, plan.flavor)
          : clean_text(pol.kernel_description);
  // Kernels install side by side (zypp.conf: multiversion = provides:multiversion(kernel)).
  plan.kernel.provides.push_back("multiversion(kernel)");
  plan.module_package.assign(inv.modules.size(), -1);
  for (size_t i : kept) plan.kernel.modules.push_back(i);

  // KMPs: the sets, then one per remaining module.
  std::vector<PlannedPackage> kmps;
  std::vector<std::vector<size_t>> kmp_modules;
  for (size_t s = 0; s < pol.sets.size(); ++s) {
    if (set_members[s].empty()) continue;
    PlannedPackage p;
    p.name = policy::expand_template(pol.sets[s].name, tv);  // the claims' name: {kabi} empty
    p.set = pol.sets[s].name;
    for (size_t i : set_members[s])
      if (claim[i].owner == fmt::format("set \"{}\"", p.name)) p.modules.push_back(i);
    kmps.push_back(std::move(p));
  }
  for (size_t i = 0; i < inv.modules.size(); ++i) {
    if (!claim[i].owner.empty()) continue;
    PlannedPackage p;
    tv.module = inv.modules[i].name;
    p.name = policy::expand_template(pol.kmp_name, tv);
    p.modules.push_back(i);
    kmps.push_back(std::move(p));
  }
  tv.module.clear();
  for (auto& p : kmps) {
    std::sort(p.modules.begin(), p.modules.end(),
              [&](size_t a, size_t b) { return inv.modules[a].path < inv.modules[b].path; });
    p.base_name = p.name;
  }
  plan.kabi_scheme = pol.scheme == policy::Policy::Scheme::Kabi;
  if (plan.kabi_scheme) {
    // The KABI id goes into the name; the base name (without it) is what every build provides.
    for (auto& p : kmps) {
      const std::string& tmpl = p.set.empty() ? pol.kmp_name : p.set;
      auto values = tv;
      values.module = p.set.empty() ? inv.modules[p.modules.front()].name : "";
      values.kabi = kabi::kabi_id(p.modules, inv);
      p.kabi = values.kabi;
      p.name = policy::expand_template(policy::kabi_name_template(tmpl), values);
      p.base_name = policy::expand_template(policy::base_name_template(tmpl), values);
    }
  }
  std::sort(kmps.begin(), kmps.end(), [](const PlannedPackage& a, const PlannedPackage& b) { return a.name < b.name; });
  // Where a KMP's name comes from: its set's name, else [naming] kmp (no position kept: the file).
  auto describe = [&](const PlannedPackage& p, policy::Position* at) {
    for (const auto& set : pol.sets)
      if (!p.set.empty() && set.name == p.set) {
        if (at) *at = set.name_at;
        return fmt::format("set \"{}\" (line {})", p.name, set.name_at.line);
      }
    return fmt::format("the KMP of module {}", inv.modules[p.modules.front()].name);
  };
  auto origin = [&](const PlannedPackage& p) {
    policy::Position at;
    std::string what = describe(p, &at);
    return policy::located(pol.source, at) + what;
  };
  for (size_t k = 0; k < kmps.size(); ++k) {
    // Two sets of the same name are the policy's own error (reported when it is read).
    if (k > 0 && kmps[k].name == kmps[k - 1].name && (kmps[k].set.empty() || kmps[k].set != kmps[k - 1].set)) {
      const auto& set = kmps[k].set.empty() ? kmps[k - 1] : kmps[k];
      const auto& other = &set == &kmps[k] ? kmps[k - 1] : kmps[k];
      problems.push_back(fmt::format("{}: two packages would be named {}: this one and {} (rename the set, or check "
                                     "[naming] kmp)",
                                     origin(set), kmps[k].name, describe(other, nullptr)));
    }
    if (kmps[k].name == plan.kernel.name)
      problems.push_back(fmt::format("{}: a KMP would have the kernel package's name {}", origin(kmps[k]), kmps[k].name));
    if (!policy::valid_package_name(kmps[k].name))
      problems.push_back(fmt::format("{}: \"{}\" is not a valid package name", origin(kmps[k]), kmps[k].name));
  }
  for (size_t k = 0; k < kmps.size(); ++k) {
    auto& p = kmps[k];
    p.kind = PackageKind::Kmp;
    for (size_t i : p.modules) {
      plan.module_package[i] = static_cast<long>(k);
      p.bytes += inv.modules[i].size;
    }
    if (p.set.empty()) {
      describe_single(p, inv.modules[p.modules.front()], plan.kver, plan.flavor);
    } else {
      auto it = std::find_if(pol.sets.begin(), pol.sets.end(), [&](const auto& s) { return s.name == p.set; });
      describe_set(p, *it, inv, plan.kver, plan.flavor);
    }
    p.license = module_license(p.modules, inv, pol.license);
    // kernel-version scheme: each kernel's builds carry the same names; multiversion keeps the
    // running kernel's KMPs when a kernel update installs the new kernel beside it.
    if (!plan.kabi_scheme) p.provides.push_back("multiversion(kernel)");
    if (plan.kabi_scheme) {
      // Every build of this module (set) provides the base name; a build for a new KABI is pulled
      // in by `zypper up` when the new kernel arrives and an earlier build is installed.
      p.provides.push_back(fmt::format("{} = {}-{}", p.base_name, plan.version, plan.release));
      p.supplements.push_back(fmt::format("({} and kernel-uname-r = {})", p.base_name, plan.kver));
      // The kernel declares every build of its plan (kmp-for()); the build's hardware supplements
      // are conditioned on it (kmpkit depgen --modalias-prefix-map), so a repository with several
      // kernels' builds gives each kernel its own builds, not those of another KABI that happen to
      // satisfy its ksym() requirements.
      plan.kernel.provides.push_back(kmp_declaration(p.name));
    }
  }
  if (!options.published_before.empty()) {
    if (!plan.kabi_scheme)
      problems.push_back(fmt::format("{}: a baseline needs [naming] scheme = \"kabi\" (with the kernel-version "
                                     "scheme every kernel needs all its KMPs)",
                                     pol.source));
    std::set<std::string> before(options.published_before.begin(), options.published_before.end());
    for (auto& p : kmps) p.publish = !before.count(p.name);
  }
  plan.kmps = std::move(kmps);

  // [kmp.companions]: a module userspace loads by name when others are there supplements their
  // packages (full names: this kernel's builds).
  for (const auto& c : pol.companions) {
    std::string what = fmt::format("[kmp.companions] {}", c.module);
    policy::Selector self{{}, {c.module}, {}, {c.at}}, with{{}, c.with, {}, c.with_at};
    auto own = fit.select(self, what, "always there, nothing to supplement", nullptr, c.at);
    bool with_builtin = false;
    auto others = fit.select(with, what + " with", "its KMP supplements the kernel package", &with_builtin, c.at);
    std::vector<std::string> targets;
    if (with_builtin) targets.push_back(plan.kernel.name);  // built in: there whenever the kernel is
    for (size_t j : others) {
      long o = plan.module_package[j];
      targets.push_back(o < 0 ? plan.kernel.name : plan.kmps[static_cast<size_t>(o)].name);
    }
    for (size_t i : own) {
      long k = plan.module_package[i];
      if (k < 0) continue;  // kept in the kernel package: always there
      auto& pkg = plan.kmps[static_cast<size_t>(k)];
      for (const auto& target : targets)
        if (target != pkg.name && std::find(pkg.supplements.begin(), pkg.supplements.end(), target) == pkg.supplements.end())
          pkg.supplements.push_back(target);
    }
  }

  // [kernel] recommends: what userspace loads by name at boot. By full package name, so each
  // kernel recommends its own builds (kabi scheme); a kept module is the kernel package itself.
  {
    std::set<std::string> names;
    for (size_t i : fit.select(pol.kernel_recommends, "[kernel] recommends",
                               "in the kernel, nothing to recommend")) {
      long k = plan.module_package[i];
      if (k >= 0) names.insert(plan.kmps[static_cast<size_t>(k)].name);
    }
    plan.kernel.recommends.assign(names.begin(), names.end());
  }

  // ksym+package: a hard Requires on the package that exports each needed symbol (depmod's owner:
  // the last exporter in module order), a Recommends for weak references.
  if (pol.dependencies == policy::DependencyMode::KsymAndPackage) {
    std::unordered_map<std::string, size_t> owner;
    for (size_t i = 0; i < inv.modules.size(); ++i)
      for (const auto& e : inv.modules[i].exports) owner[e.name] = i;
    auto package_of = [&](size_t i) -> const std::string& {
      long k = plan.module_package[i];
      return k < 0 ? plan.kernel.name : plan.kmps[static_cast<size_t>(k)].name;
    };
    // The kabi scheme's KMPs serve several kernels: no tie to one kernel build.
    std::string exact_kernel = fmt::format("{} = {}-{}", plan.kernel.name, plan.version, plan.release);
    for (auto& p : plan.kmps) {
      std::set<std::string> req, rec;
      if (!plan.kabi_scheme) req.insert(exact_kernel);
      for (size_t i : p.modules)
        for (const auto& s : inv.modules[i].dependency_symbols) {
          auto it = owner.find(s.name);
          if (it == owner.end()) continue;
          const std::string& target = package_of(it->second);
          if (target == p.name) continue;
          (s.weak ? rec : req).insert(target);
        }
      for (auto& r : req) rec.erase(r);
      p.requires_.insert(p.requires_.end(), req.begin(), req.end());
      p.recommends.assign(rec.begin(), rec.end());
    }
  }

  // Patterns: members resolved to packages.
  std::set<std::string> package_names;
  for (const auto& k : plan.kmps) package_names.insert(k.base_name);
  for (const auto& pat : pol.patterns) {
    PlannedPackage p;
    p.kind = PackageKind::Pattern;
    p.pattern = pat.name;
    tv.pattern = pat.name;
    p.name = policy::expand_template(pol.pattern_name, tv);
    tv.pattern.clear();
    p.summary = pat.summary.empty() ? fmt::format("Pattern {}", pat.name) : clean_summary(pat.summary);
    p.description = pat.description.empty() ? p.summary : clean_text(pat.description);
    p.license = pol.license;
    p.provides.push_back("pattern() = " + pattern_provide_name(pat.name));
    if (pat.visible) p.provides.push_back("pattern-visible()");
    p.provides.push_back(fmt::format("pattern-order() = {}", pat.order));
    if (!pat.category.empty()) p.provides.push_back("pattern-category() = " + encode_dep_value(pat.category));
    if (!pat.icon.empty()) p.provides.push_back("pattern-icon() = " + encode_dep_value(pat.icon));
    std::string what = fmt::format("pattern \"{}\"", pat.name);
    const policy::Position header{pat.line, 1};
    auto resolve = [&](const policy::PatternMembers& m, std::vector<std::string>& out, const char* kind) {
      std::set<std::string> names;
      std::string member = what + " " + kind;
      bool builtin = false;
      // A built-in module is in the kernel package: the pattern names that instead.
      for (size_t i : fit.select(m.select, member, fmt::format("the pattern {} {} instead", kind, plan.kernel.name),
                                 &builtin, header)) {
        long k = plan.module_package[i];
        // By base name: any build of the KMP (kabi scheme) fits the pattern.
        names.insert(k < 0 ? plan.kernel.name : plan.kmps[static_cast<size_t>(k)].base_name);
      }
      if (builtin) names.insert(plan.kernel.name);
      for (size_t n = 0; n < m.packages.size(); ++n) {
        const std::string& t = m.packages[n];
        const std::string at =
            policy::located(pol.source, n < m.packages_at.size() ? m.packages_at[n] : header) + member;
        std::string name = policy::expand_template(t, tv);
        if (name == plan.kernel.name || package_names.count(name) > 0) {
          names.insert(name);
        } else if (auto set = empty_sets.find(name); set != empty_sets.end()) {
          // The set's modules are built in (the kernel package has them) or gone from this kernel.
          std::string text = fmt::format("{}: package \"{}\" is a set with no module in {}", at, name, plan.kver);
          if (set->second) {
            result.builtin.push_back(text + fmt::format(" (built in): {} instead", plan.kernel.name));
            names.insert(plan.kernel.name);
          } else if (options.strict) {
            problems.push_back(text);
          } else {
            result.warnings.push_back(text + ": ignored");
          }
        } else {
          std::vector<std::string> known(package_names.begin(), package_names.end());
          known.push_back(plan.kernel.name);
          for (const auto& empty : empty_sets) known.push_back(empty.first);
          auto near = nearest_name(name, known);
          problems.push_back(fmt::format("{}: unknown package \"{}\"{}", at, name,
                                         near ? fmt::format("; did you mean \"{}\"?", *near) : ""));
        }
      }
      out.assign(names.begin(), names.end());
      for (const auto& other : m.patterns) out.push_back("pattern() = " + pattern_provide_name(other));
    };
    resolve(pat.requires_, p.requires_, "requires");
    resolve(pat.recommends, p.recommends, "recommends");
    resolve(pat.suggests, p.suggests, "suggests");
    plan.patterns.push_back(std::move(p));
  }
  for (const auto& p : plan.patterns)
    if (plan.find(p.name) != &p)
      problems.push_back(fmt::format("{}: the pattern package name {} is taken by another package", pol.source, p.name));
  if (!options.only.empty() && problems.empty()) restrict_to(plan, inv, options, fit, problems);
  return result;
}

}  // namespace kmpkit::package
