#include "spec/kmp_specs.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "spec/scripts.hpp"
#include "spec/spec_text.hpp"

namespace fs = std::filesystem;

namespace kmpkit::spec {
namespace {

using package::PackagePlan;
using package::PlannedPackage;

struct Shard {
  std::vector<size_t> kmps;  // indices into plan.kmps
  double cost = 0;
  size_t files = 0;
  uint64_t bytes = 0;
};

// rpm 4.18 runs every generator (provides, requires, supplements, recommends) once per file, and
// each package has a fixed cost: the estimate in milliseconds (measured on 2 cores, docs/packaging.md).
double estimated_cost(const PlannedPackage& p) {
  return 10.0 + 32.0 * static_cast<double>(p.modules.size()) + static_cast<double>(p.bytes) / 100000.0;
}

std::vector<Shard> assign_shards(const PackagePlan& plan, unsigned shards) {
  std::vector<Shard> out(std::max(1u, shards));
  std::vector<size_t> order;  // the KMPs to build (not those an earlier build serves)
  for (size_t i = 0; i < plan.kmps.size(); ++i)
    if (plan.kmps[i].publish) order.push_back(i);
  // Longest processing time first: each package to the least loaded shard.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return estimated_cost(plan.kmps[a]) > estimated_cost(plan.kmps[b]); });
  for (size_t k : order) {
    auto it = std::min_element(out.begin(), out.end(), [](const Shard& a, const Shard& b) { return a.cost < b.cost; });
    it->kmps.push_back(k);
    it->cost += estimated_cost(plan.kmps[k]);
    it->files += plan.kmps[k].modules.size();
    it->bytes += plan.kmps[k].bytes;
  }
  for (auto& s : out) std::sort(s.kmps.begin(), s.kmps.end());
  out.erase(std::remove_if(out.begin(), out.end(), [](const Shard& s) { return s.kmps.empty(); }), out.end());
  return out;
}

// The %files list of one KMP. In the kabi scheme with its directories: the KMP may outlive the
// kernel it was built for (it then serves later kernels), and its files must not be left in
// directories nobody owns.
std::string kmp_file_list(const PlannedPackage& p, const PackagePlan& plan, const KernelInventory& inv,
                          const SplitOptions& o) {
  const std::string kdir = "/lib/modules/" + plan.kver;
  std::string fl;
  if (plan.kabi_scheme) {
    std::set<std::string> own_dirs;
    for (size_t i : p.modules)
      for (fs::path d = fs::path(inv.modules[i].path).parent_path(); !d.empty(); d = d.parent_path())
        own_dirs.insert(d.string());
    fl += fmt::format("%dir {}\n", kdir);
    for (const auto& d : own_dirs) fl += fmt::format("%dir {}/{}\n", kdir, d);
  }
  for (size_t i : p.modules) {
    check_list_path(inv.modules[i].path);
    fl += fmt::format("{}/{}{}\n", kdir, inv.modules[i].path, packaged_suffix(inv.modules[i].path, o.compress_modules));
  }
  return fl;
}

SpecEntry write_shard(const PackagePlan& plan, const KernelInventory& inv, const SplitOptions& o,
                      const std::string& module_root, const Shard& part, size_t index, size_t count) {
  const std::string kdir = "/lib/modules/" + plan.kver;
  const fs::path lists = fs::path(o.out_dir) / "lists";
  std::string stem = fmt::format("kmps-{:02}", index + 1);
  std::string spec = spec_header(plan, o, module_root);
  std::vector<size_t> shard_modules;
  for (size_t k : part.kmps) shard_modules.insert(shard_modules.end(), plan.kmps[k].modules.begin(), plan.kmps[k].modules.end());
  spec += generator_exclusions(shard_modules, inv, kdir, o.compress_modules) + "\n";
  PlannedPackage src;
  src.name = fmt::format("{}-{}", plan.kernel.name, stem);
  src.summary = fmt::format("Kernel module packages of Linux {}, part {} of {}", plan.kver, index + 1, count);
  src.description = src.summary + ".";
  src.license = plan.kernel.license;
  spec += package_preamble(src, plan, true, false);
  if (!o.url.empty()) spec += fmt::format("URL: {}\n", spec_escape(o.url));
  if (!o.vendor.empty()) spec += fmt::format("Vendor: {}\n", spec_escape(o.vendor));
  spec += description(src, true);
  std::string install_list, compress_list;
  SpecEntry entry{stem + ".spec", {}, part.files, part.bytes};
  for (size_t k : part.kmps) {
    const auto& p = plan.kmps[k];
    spec += package_preamble(p, plan, false, false) + description(p, false);
    for (size_t i : p.modules) {
      install_list += inv.modules[i].path + "\n";
      if (!packaged_suffix(inv.modules[i].path, o.compress_modules).empty()) compress_list += inv.modules[i].path + "\n";
    }
    write_file((lists / (p.name + ".files")).string(), kmp_file_list(p, plan, inv, o));
    entry.packages.push_back(p.name);
  }
  write_file((lists / (stem + ".install")).string(), install_list);
  write_file((lists / (stem + ".compress")).string(), compress_list);
  spec += "\n%install\n";
  spec += fmt::format("mkdir -p %{{buildroot}}{}\n", kdir);
  spec += fmt::format(
      "(cd %{{kmpkit_modules}} && xargs -d '\\n' cp --parents -p -t %{{buildroot}}{}/ < "
      "%{{_sourcedir}}/lists/{}.install)\n",
      kdir, stem);
  spec += compress_step(o, kdir, stem + ".compress");
  for (size_t k : part.kmps) {
    const std::string& name = plan.kmps[k].name;
    spec += kmp_scripts(name);
    spec += fmt::format("\n%files -n {} -f %{{_sourcedir}}/lists/{}.files\n", name, name);
  }
  write_file((fs::path(o.out_dir) / entry.file).string(), spec);
  return entry;
}

}  // namespace

unsigned automatic_shards(size_t kmps) {
  // About 100 packages a spec: rpmbuild forks once per file and generator, and the fork costs
  // grow with rpmbuild's memory, i.e. with the packages of the spec (docs/packaging.md).
  return static_cast<unsigned>(std::max<size_t>(1, (kmps + 99) / 100));
}

std::vector<SpecEntry> write_kmp_specs(const PackagePlan& plan, const KernelInventory& inv, const SplitOptions& o,
                                       const std::string& module_root) {
  size_t published = std::count_if(plan.kmps.begin(), plan.kmps.end(), [](const auto& k) { return k.publish; });
  auto parts = assign_shards(plan, o.shards ? o.shards : automatic_shards(published));
  std::vector<SpecEntry> out;
  for (size_t s = 0; s < parts.size(); ++s) out.push_back(write_shard(plan, inv, o, module_root, parts[s], s, parts.size()));
  return out;
}

}  // namespace kmpkit::spec
