#include "drivers/install_reasons.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <algorithm>

#include <fmt/format.h>

#include "drivers/zypp_text.hpp"
#include "hardware/modalias.hpp"
#include "module/kernel_files.hpp"

namespace fs = std::filesystem;

namespace kmpkit::drivers {
namespace {

bool provides_kmod(const rpmdb::InstalledPackage& p) {
  for (const auto& d : p.provides)
    if (d.name.rfind("kmod(", 0) == 0) return true;
  return false;
}

bool is_pattern(const rpmdb::InstalledPackage& p) {
  for (const auto& d : p.provides)
    if (d.name == "pattern()") return true;
  return false;
}

// Does `provided` satisfy `wanted`? Names equal, and for "=" both versions equal (what ksym CRCs
// and kmp-for() use); other comparisons are taken as met (rpm already installed them together).
bool satisfies(const rpmdb::Dependency& provided, const rpmdb::Dependency& wanted) {
  if (provided.name != wanted.name) return false;
  if (wanted.op != "=" || provided.op != "=") return true;
  return provided.version == wanted.version;
}

std::optional<std::string> satisfied_by(const rpmdb::InstalledPackage& kmp, const rpmdb::Dependency& wanted) {
  if (wanted.name == kmp.name) return wanted.text();
  for (const auto& p : kmp.provides)
    if (satisfies(p, wanted)) return wanted.text();
  return std::nullopt;
}

// "modalias(kernel-amd64:pci:v00008086d*...)", "modalias(kmp-for(e1000e-kmp-amd64-17e6eff7):pci:...)"
// → the device pattern, percent-encoded as in rpm.
std::optional<std::string> modalias_pattern(const std::string& supplement) {
  const std::string_view prefix = "modalias(";
  if (supplement.rfind(prefix, 0) != 0 || supplement.back() != ')') return std::nullopt;
  std::string inner = supplement.substr(prefix.size(), supplement.size() - prefix.size() - 1);
  // "kernel-FLAVOR:" or "kmp-for(NAME):" (the kabi scheme) names the package the supplement is
  // for; a bus ("pci", "acpi*") has neither '-' nor '('.
  auto colon = inner.find(':');
  if (colon != std::string::npos && inner.substr(0, colon).find_first_of("-(") != std::string::npos)
    inner = inner.substr(colon + 1);
  return inner;
}

// The file systems libzypp's filesystem() namespace takes as used: USED_FS_LIST of
// /etc/sysconfig/storage (what an installer writes for the root's file system).
std::set<std::string> used_file_systems(const std::string& root) {
  std::ifstream in(fs::path(root) / "etc/sysconfig/storage");
  std::set<std::string> out;
  for (std::string l; std::getline(in, l);) {
    if (l.rfind("USED_FS_LIST=", 0) != 0) continue;
    std::string v = l.substr(13);
    v.erase(std::remove(v.begin(), v.end(), '"'), v.end());
    std::istringstream words(v);
    for (std::string w; words >> w;) out.insert(w);
  }
  return out;
}

// zypper's record of packages it installed as dependencies; absent: unknown.
std::optional<std::set<std::string>> auto_installed(const std::string& root) {
  auto text = read_file((fs::path(root) / "var/lib/zypp/AutoInstalled").string());
  if (!text) return std::nullopt;
  return parse_auto_installed(*text);
}

}  // namespace

std::vector<InstalledKmp> explain_installed_kmps(const rpmdb::PackageDb& db, const std::string& root,
                                                 const hardware::DriverIndex* index,
                                                 const std::vector<hardware::Device>& devices) {
  auto packages = db.packages();
  std::set<std::string> indexed;
  if (index)
    for (const auto& m : index->modules) indexed.insert(m.package);
  auto autos = auto_installed(root);
  auto file_systems = used_file_systems(root);

  std::vector<InstalledKmp> out;
  for (const auto& kmp : packages) {
    if (!provides_kmod(kmp) && !indexed.count(kmp.name)) continue;
    if (kmp.name.rfind("kernel-", 0) == 0 && !provides_kmod(kmp)) continue;  // the kernel package itself
    InstalledKmp k{kmp.name, {}, {}};
    for (const auto& p : kmp.provides)
      if (p.name.rfind("kmod(", 0) == 0) k.modules.push_back(p.name.substr(5, p.name.size() - 6));
    for (const auto& s : kmp.supplements) {
      auto pattern = modalias_pattern(s.name);
      if (s.name.rfind("filesystem(", 0) == 0 && s.name.back() == ')') {
        std::string fsname = s.name.substr(11, s.name.size() - 12);
        if (file_systems.count(fsname))
          k.reasons.push_back({"filesystem", fmt::format("{} (USED_FS_LIST of /etc/sysconfig/storage)", fsname)});
        continue;
      }
      if (!pattern) {  // a companion: "ppdev-kmp Supplements: parport_pc-kmp" (zypper installs it alongside)
        for (const auto& other : packages)
          if (other.name != kmp.name && satisfied_by(other, s)) {
            k.reasons.push_back({"supplements", fmt::format("{} ({})", other.name, s.text())});
            break;
          }
        continue;
      }
      for (const auto& d : devices)
        if (hardware::supplement_matches(*pattern, d.modalias))
          k.reasons.push_back({"device", fmt::format("{} ({})", d.sysfs_path.empty() ? d.modalias : d.sysfs_path, d.modalias)});
    }
    for (const auto& other : packages) {
      if (other.name == kmp.name) continue;
      for (const auto& r : other.requires_)
        if (auto what = satisfied_by(kmp, r)) {
          k.reasons.push_back({is_pattern(other) ? "pattern" : "required-by", fmt::format("{} ({})", other.name, *what)});
          break;
        }
      for (const auto& r : other.recommends)
        if (auto what = satisfied_by(kmp, r)) {
          k.reasons.push_back({is_pattern(other) ? "pattern" : "recommended-by", fmt::format("{} ({})", other.name, *what)});
          break;
        }
    }
    if (autos && !autos->count(kmp.name)) k.reasons.push_back({"user", "installed by name (not in zypper's AutoInstalled)"});
    if (k.reasons.empty())
      k.reasons.push_back({"none", "no listed device, installed package or pattern needs it"});
    out.push_back(std::move(k));
  }
  return out;
}

}  // namespace kmpkit::drivers
