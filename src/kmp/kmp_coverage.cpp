#include "kmp/kmp_coverage.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "kernels/installed_kernels.hpp"
#include "module/kernel_tree.hpp"
#include "module/module_record.hpp"
#include "module/tree_walk.hpp"

namespace fs = std::filesystem;

namespace kmpkit::kmp {
namespace {

// A path inside the root, with its links (absolute ones inside the root) followed.
std::string resolved(const std::string& root, const std::string& path) {
  std::error_code ec;
  auto p = fs::weakly_canonical(resolve_in_root(root, path), ec);
  return ec ? std::string() : p.string();
}

// Every module of `build` is linked from KVER's weak-updates/ to the build's own file.
bool linked_for(const std::string& root, const std::string& kver, const BuildRecord& build) {
  for (const auto& m : build.modules) {
    std::error_code ec;
    const std::string link = "/lib/modules/" + kver + "/weak-updates/" + m;
    if (!fs::is_symlink(resolve_in_root(root, fs::path(link).parent_path().string()) + "/" + fs::path(m).filename().string(),
                        ec))
      return false;
    std::string target = resolved(root, link), own = resolved(root, "/lib/modules/" + build.kver + "/" + m);
    if (target.empty() || target != own) return false;
  }
  return true;
}

// KVER's own module (not a weak-updates link) named like one of the build's, relative to its directory.
std::string own_module_named_like(const std::string& root, const std::string& kver, const BuildRecord& build) {
  std::set<std::string> names;
  for (const auto& m : build.modules) names.insert(module_name_from_path(m));
  const std::string dir = resolve_in_root(root, "/lib/modules/" + kver);
  for (const auto& f : list_module_files(dir)) {
    std::string rel = f.substr(dir.size() + 1);
    if (!rel.starts_with("weak-updates/") && names.count(module_name_from_path(rel))) return rel;
  }
  return {};
}

// The newest build (version-release, then kernel release): the one to build again.
bool older(const BuildRecord& a, const BuildRecord& b) {
  int c = kernels::compare_versions(a.version + "-" + a.release, b.version + "-" + b.release);
  return c != 0 ? c < 0 : a.kver < b.kver;
}

}  // namespace

const char* service_name(Service s) {
  switch (s) {
    case Service::OwnBuild: return "own-build";
    case Service::WeakUpdates: return "weak-updates";
    case Service::InBoxModule: return "in-box-module";
    case Service::NotServed: return "not-served";
  }
  return "?";
}

std::vector<KmpService> kmp_services(const std::string& root, const std::vector<std::string>& kernels,
                                     const std::vector<BuildRecord>& records) {
  std::map<std::string, std::vector<const BuildRecord*>> by_driver;
  for (const auto& r : records) by_driver[r.base_name].push_back(&r);
  for (auto& [base, builds] : by_driver)  // newest first
    std::sort(builds.begin(), builds.end(), [](const BuildRecord* a, const BuildRecord* b) { return older(*b, *a); });
  std::vector<KmpService> out;
  for (const auto& kver : kernels)
    for (const auto& [base, builds] : by_driver) {
      KmpService s{base, kver, Service::NotServed, *builds.front(), ""};
      auto own = std::find_if(builds.begin(), builds.end(), [&](const BuildRecord* b) { return b->kver == kver; });
      if (own != builds.end()) {
        s.how = Service::OwnBuild;
        s.build = **own;
      } else if (auto linked = std::find_if(builds.begin(), builds.end(),
                                            [&](const BuildRecord* b) { return linked_for(root, kver, *b); });
                 linked != builds.end()) {
        s.how = Service::WeakUpdates;
        s.build = **linked;
      } else if (auto in_box = own_module_named_like(root, kver, s.build); !in_box.empty()) {
        s.how = Service::InBoxModule;
        s.detail = in_box;
      }
      out.push_back(std::move(s));
    }
  return out;
}

std::string coverage_message(const KmpService& s) {
  const BuildRecord& b = s.build;
  std::string build = fmt::format("{} ({} {}-{}, built for {})", b.package, b.driver, b.version, b.release, b.kver);
  std::string command = rebuild_command(b, s.kver);
  std::string how_to = fmt::format(
      "build it for {0}: `{1}` (with {0}'s headers installed, or add -b ROOT of an unpacked kernel), then install "
      "the package it names (zypper ref && zypper in PACKAGE)",
      s.kver, command);
  switch (s.how) {
    case Service::NotServed: {
      std::string modules;
      for (const auto& m : b.modules) modules += (modules.empty() ? "" : ", ") + fs::path(m).filename().string();
      return fmt::format("{} does not fit kernel {} (the kernel interface it uses changed): {} will boot without {}. "
                         "Before rebooting into it, {}",
                         build, s.kver, s.kver, modules, how_to);
    }
    case Service::InBoxModule:
      return fmt::format("kernel {} uses its own {}, not {} (a kernel's own module is never replaced through "
                         "weak-updates). To use {} {} there, {}",
                         s.kver, s.detail, build, b.driver, b.version, how_to);
    default: return {};
  }
}

}  // namespace kmpkit::kmp
