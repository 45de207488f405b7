#include "kmp/kmp_spec.hpp"

#include <filesystem>
#include <numeric>
#include <set>

#include <fmt/format.h>

#include "kmp/build_record.hpp"
#include "package/plan.hpp"
#include "spec/scripts.hpp"
#include "spec/spec_text.hpp"
#include "util/shell_quote.hpp"

namespace fs = std::filesystem;

namespace kmpkit::kmp {

std::string external_base_name(const std::string& driver, const std::string& flavor) {
  return fmt::format("{}-kmp-{}", driver, flavor);
}

std::string rpm_version(const std::string& v) {
  std::string out;
  for (char c : v) out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '~' ? c : '_';
  return out.empty() ? "0" : out;
}

std::string external_kmp_spec(const ExternalKmp& k, const KernelInventory& staged, const std::string& module_root,
                              const spec::SplitOptions& o) {
  package::PackagePlan plan;
  plan.kver = k.kver;
  plan.flavor = k.flavor;
  plan.version = k.version;
  plan.release = k.release;
  plan.kabi_scheme = false;  // no kernel declares an external build (kmp-for()): plain modalias(kernel-FLAVOR:...)
  package::PlannedPackage p;
  p.name = k.name;
  p.base_name = k.base_name;
  p.kabi = k.kabi;
  p.summary = k.summary;
  p.description = k.description;
  p.license = k.license;
  p.requires_ = k.requires_;
  // As the kabi scheme's in-tree KMPs: every build provides the base name, and a build for a new
  // kernel's KABI is pulled in by `zypper up` when that kernel arrives and another build is installed.
  p.provides.push_back(fmt::format("{} = {}-{}", k.base_name, k.version, k.release));
  p.supplements.push_back(fmt::format("({} and kernel-uname-r = {})", k.base_name, k.kver));
  std::vector<size_t> all(staged.modules.size());
  std::iota(all.begin(), all.end(), 0);

  const std::string kdir = "/lib/modules/" + k.kver;
  std::string s = spec::spec_header(plan, o, module_root);
  // The shared header names `kmpkit split` as the writer; this spec comes from `kmpkit kmp build`.
  for (auto [from, to] : {std::pair<std::string, std::string>{" split from ", " kmp build from "},
                          {"rerun kmpkit split.", "rerun kmpkit kmp build."}})
    if (size_t at = s.find(from); at != std::string::npos) s.replace(at, from.size(), to);
  s += spec::generator_exclusions(all, staged, kdir, "none") + "\n";
  s += spec::package_preamble(p, plan, true, false);
  if (!k.url.empty()) s += fmt::format("URL: {}\n", spec::spec_escape(k.url));
  s += spec::description(p, true);
  s += fmt::format("\n%install\nmkdir -p %{{buildroot}}{0}\ncp -a %{{kmpkit_modules}}/. %{{buildroot}}{0}/\n", kdir);
  const std::string record = k.build_record.empty() ? "" : build_record_path(k.name);
  if (!record.empty())
    s += fmt::format("install -D -m 0644 {} %{{buildroot}}{}\n", shell_quote(spec::spec_escape(k.build_record)), record);
  s += spec::kmp_scripts(k.name);
  // Its directories too: the KMP may outlive the kernel it was built for (serving later kernels
  // through weak-updates), and its files must not be left in directories nobody owns.
  std::set<std::string> dirs;
  for (const auto& m : staged.modules)
    for (fs::path d = fs::path(m.path).parent_path(); !d.empty(); d = d.parent_path()) dirs.insert(d.string());
  s += fmt::format("\n%files\n%dir {}\n", kdir);
  for (const auto& d : dirs) s += fmt::format("%dir {}/{}\n", kdir, d);
  for (const auto& m : staged.modules) {
    spec::check_list_path(m.path);
    s += fmt::format("{}/{}\n", kdir, m.path);
  }
  if (!record.empty()) s += fmt::format("%dir {}\n{}\n", kBuildRecordDir, record);
  return s;
}

}  // namespace kmpkit::kmp
