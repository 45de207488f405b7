#include "firmware/firmware_plan.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "depgen/depgen.hpp"

namespace kmpkit::firmware {
namespace {

constexpr size_t kMaxJoinedNames = 64;  // longer driver sets are named by their first driver and a hash
constexpr size_t kListedFiles = 40;     // files named in a package's description

std::string rpm_name_part(std::string_view s) {
  std::string out;
  for (char c : s) out += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-' || c == '+' ? c : '_';
  return out;
}

std::string unclaimed_package_name(const std::string& whence_driver) {
  return whence_driver.empty() ? "kernel-firmware-unclaimed" : "kernel-firmware-unclaimed-" + rpm_name_part(whence_driver);
}

// rpm file lists glob every path: a name with glob characters must match only itself.
bool glob_safe(const std::string& path, const std::vector<FirmwareEntry>& entries) {
  if (path.find_first_of("*?[") == std::string::npos) return true;
  for (const auto& e : entries)
    if (e.path != path && ::fnmatch(path.c_str(), e.path.c_str(), FNM_PATHNAME) == 0) return false;
  return true;
}

bool has_space(const std::string& s) { return s.find_first_of(" \t") != std::string::npos; }

std::string joined_licence(const std::set<std::string>& licences) {
  std::vector<std::string> parts;
  for (const auto& l : licences) parts.push_back(licences.size() > 1 && has_space(l) ? "(" + l + ")" : l);
  return fmt::format("{}", fmt::join(parts, " AND "));
}

std::string driver_list(const std::vector<std::string>& drivers) {
  if (drivers.size() == 1) return drivers[0];
  std::string head = fmt::format("{}", fmt::join(drivers.begin(), drivers.end() - 1, ", "));
  return head + " and " + drivers.back();
}

}  // namespace

std::string firmware_package_name(const std::vector<std::string>& drivers) {
  std::string joined = fmt::format("{}", fmt::join(drivers, "+"));
  if (drivers.size() <= 1 || joined.size() <= kMaxJoinedNames) return "kernel-firmware-" + rpm_name_part(joined);
  uint32_t h = 2166136261u;  // FNV-1a: stable across runs and machines
  for (unsigned char c : joined) h = (h ^ c) * 16777619u;
  return fmt::format("kernel-firmware-{}+{}-more-{:08x}", rpm_name_part(drivers[0]), drivers.size() - 1, h);
}

FirmwarePlan plan_firmware_packages(const FirmwareTree& tree, const DriverRequests& req, const FirmwarePlanOptions& o) {
  FirmwarePlan plan;
  plan.kver = o.kver;
  const auto& entries = tree.entries;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < entries.size(); ++i) index.emplace(entries[i].path, i);

  std::vector<bool> excluded(entries.size(), false);
  for (size_t i = 0; i < entries.size(); ++i)
    if (!glob_safe(entries[i].path, entries)) {
      excluded[i] = true;
      plan.problems.push_back(fmt::format("{}: left out: rpm would read its name as a pattern matching other files",
                                          entries[i].path));
    }

  // The regular file each entry stands for (itself, or a link's target); npos for dangling links.
  constexpr size_t none = static_cast<size_t>(-1);
  std::vector<size_t> owner(entries.size(), none);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].link) owner[i] = i;
    else if (!entries[i].resolved.empty()) owner[i] = index.at(entries[i].resolved);
  }

  // Who requests each file: by its name, a link's name, or a glob.
  std::vector<std::set<std::string>> drivers(entries.size()), globs(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (excluded[i] || owner[i] == none) continue;
    const std::string& name = entries[i].name;
    if (auto it = req.names.find(name); it != req.names.end()) drivers[owner[i]].insert(it->second.begin(), it->second.end());
    for (const auto& [g, ds] : req.globs)
      if (::fnmatch(g.c_str(), name.c_str(), 0) == 0) {
        drivers[owner[i]].insert(ds.begin(), ds.end());
        globs[owner[i]].insert(g);
      }
  }

  // Packages: one a driver set, then the unclaimed ones.
  std::map<std::vector<std::string>, std::vector<size_t>> claimed;
  std::map<std::string, std::vector<size_t>> unclaimed;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (excluded[i]) continue;
    size_t file = owner[i];
    if (file != none && !drivers[file].empty()) {
      claimed[{drivers[file].begin(), drivers[file].end()}].push_back(i);
    } else {
      const std::string& stanza = file != none ? entries[file].whence_driver : entries[i].whence_driver;
      unclaimed[unclaimed_package_name(stanza)].push_back(i);
      plan.unclaimed.push_back(i);
    }
  }

  std::set<std::string> provided;
  auto make = [&](const std::string& name, std::vector<std::string> ds, const std::vector<size_t>& members) {
    FirmwarePackage p;
    p.name = name;
    p.drivers = std::move(ds);
    p.unclaimed = p.drivers.empty();
    p.entries = members;
    std::set<std::string> provides, licences, licence_files, sources;
    bool unknown_licence = false;
    size_t first_file = none;
    for (size_t i : members) {
      const auto& e = entries[i];
      sources.insert(tree.sources[e.source].name);
      if (!e.link) {
        p.bytes += e.bytes;
        if (first_file == none) first_file = i;
        for (const auto& g : globs[i]) provides.insert(depgen::firmware_dependency(g));
      }
      if (e.licence.empty()) unknown_licence = true;
      else licences.insert(e.licence);
      licence_files.insert(e.licence_files.begin(), e.licence_files.end());
      if (owner[i] == none) {
        plan.not_provided.push_back(e.name + " (a link that leads nowhere)");
      } else if (has_space(e.name)) {
        plan.not_provided.push_back(e.name + " (whitespace in the name)");
      } else {
        provides.insert(depgen::firmware_dependency(e.name));
        provided.insert(e.name);
      }
    }
    if (unknown_licence) licences.insert("NOASSERTION");  // SPDX: nobody said
    p.licence = joined_licence(licences);
    p.provides.assign(provides.begin(), provides.end());
    p.licence_files.assign(licence_files.begin(), licence_files.end());
    const FirmwareSource& src = tree.sources[entries[first_file != none ? first_file : members.front()].source];
    p.version = !o.version.empty() ? o.version : !src.version.empty() ? src.version : "0";
    p.release = !o.release.empty() ? o.release : !src.release.empty() ? src.release : "0";
    std::string from = fmt::format("{}", fmt::join(sources, ", "));
    if (p.unclaimed) {
      p.summary = fmt::format("Firmware that no driver of Linux {} names", o.kver);
      p.description = fmt::format(
          "Files of /lib/firmware from {} that no module of Linux {} names in its modinfo firmware lines: "
          "packaged so that nothing of the firmware trees is dropped.",
          from, o.kver);
    } else {
      p.summary = p.drivers.size() == 1 ? fmt::format("Firmware loaded by the {} driver", p.drivers[0])
                                        : fmt::format("Firmware shared by the {} drivers", driver_list(p.drivers));
      p.description = fmt::format(
          "Firmware that the {} driver{} of Linux {} load{} (modinfo firmware lines), from {}. The KMP of each "
          "driver recommends these files as firmware(NAME).",
          driver_list(p.drivers), p.drivers.size() == 1 ? "" : "s", o.kver, p.drivers.size() == 1 ? "s" : "", from);
    }
    std::string listing;
    size_t n = 0;
    for (size_t i : members) {
      if (n++ == kListedFiles) {
        listing += fmt::format("\n  ... and {} more", members.size() - kListedFiles);
        break;
      }
      const auto& e = entries[i];
      listing += "\n  /lib/firmware/" + e.path + (e.link ? " -> " + e.link_target : "");
    }
    p.description += "\n\nFiles:" + listing;
    plan.packages.push_back(std::move(p));
  };
  for (const auto& [ds, members] : claimed) make(firmware_package_name(ds), ds, members);
  std::sort(plan.packages.begin(), plan.packages.end(),
            [](const FirmwarePackage& a, const FirmwarePackage& b) { return a.name < b.name; });
  for (const auto& [name, members] : unclaimed) make(name, {}, members);

  std::sort(plan.not_provided.begin(), plan.not_provided.end());
  plan.requested = req.names.size();
  std::set<std::string> in_trees;
  for (const auto& e : entries)
    if (!e.link || !e.resolved.empty()) in_trees.insert(e.name);
  for (const auto& [name, ds] : req.names) {
    if (provided.count(name)) ++plan.requested_present;
    else if (!in_trees.count(name)) plan.requested_absent.push_back(name);  // else packaged, in not_provided
  }
  return plan;
}

}  // namespace kmpkit::firmware
