#include "drivers/missing_rules.hpp"

#include <fnmatch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "depmod/database.hpp"
#include "drivers/driver_report.hpp"
#include "drivers/hint_patterns.hpp"
#include "drivers/root_path.hpp"
#include "hardware/driver_index.hpp"
#include "module/module_record.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::drivers {
namespace {


// The modules a kernel in the root has: modules.dep (every module file, updates/ and weak-updates/
// too) and modules.builtin.
std::set<std::string> present_modules(const std::string& moddir) {
  std::set<std::string> out;
  for (const char* file : {"modules.dep", "modules.builtin"}) {
    std::ifstream in(moddir + "/" + file);
    for (std::string l; std::getline(in, l);) {
      auto colon = l.find(':');
      out.insert(module_name_from_path(colon == std::string::npos ? l : l.substr(0, colon)));
    }
  }
  return out;
}

// The modalias buses of the kernel (file2alias.c and the buses' uevents), beside those of the
// builds' own aliases.
constexpr const char* kDeviceBuses[] = {
    "acpi", "amba", "ap", "auxiliary", "bcma", "ccw", "cdx", "coreboot", "cpu", "css", "cxl", "dax", "devname",
    "dfl", "dmi", "eisa", "fsl_mc", "hdaudio", "hid", "i2c", "i3c", "ieee1394", "input", "ipack", "ishtp", "mcb",
    "mdio", "mei", "mhi", "mmc", "nd", "of", "parisc", "pci", "pcmcia", "platform", "pnp", "rpmsg", "scsi", "sdio",
    "sdw", "serio", "slim", "spi", "spmi", "ssam", "ssb", "symbol", "tbsvc", "tee", "typec", "ulpi", "usb",
    "usbfunc", "vchiq", "vio", "virtio", "vmbus", "wmi", "x86cpu", "xen", "xen_backend", "zorro"};

// kmod's form of a name or pattern in modprobe.d and modules.alias: '-' as '_' outside [...].
std::string kmod_normalized(const std::string& name) {
  auto n = depmod::normalize_alias(name);
  return n ? *n : name;
}

// modules.alias / modules.symbols: "alias PATTERN MODULE" (already in kmod's form).
void add_database_aliases(const std::string& file, std::vector<std::string>& out) {
  std::ifstream in(file);
  for (std::string l; std::getline(in, l);) {
    std::istringstream fields(l);
    std::string word, pattern;
    if (fields >> word >> pattern && word == "alias") out.push_back(pattern);
  }
}

// modules.builtin.modinfo: NUL-separated "module.key=value"; the "alias" values (depmod's
// modules.builtin.alias.bin).
void add_builtin_aliases(const std::string& file, std::vector<std::string>& out) {
  std::ifstream in(file, std::ios::binary);
  for (std::string entry; std::getline(in, entry, '\0');) {
    auto dot = entry.find('.');
    if (dot != std::string::npos && entry.compare(dot + 1, 6, "alias=") == 0)
      out.push_back(kmod_normalized(entry.substr(dot + 7)));
  }
}

// Every name the other modprobe.d files give a rule (alias, install, options, softdep, blacklist...):
// kmod would apply both theirs and a hint for it.
void add_other_modprobe_names(const std::string& root, std::vector<std::string>& out) {
  const std::string ours = fs::path(kMissingRulesPath).filename().string();
  for (const char* d : kModprobeDirs) {
    std::error_code ec;
    for (auto it = fs::directory_iterator(under_root(root, d), ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      if (it->path().filename() == ours || it->path().extension() != ".conf") continue;
      std::ifstream in(it->path());
      for (std::string l; std::getline(in, l);) {
        std::istringstream fields(l);
        std::string directive, name;
        if (fields >> directive >> name && directive[0] != '#') out.push_back(kmod_normalized(name));
      }
    }
  }
}

}  // namespace

MissingRules missing_driver_rules(const std::string& root) {
  std::set<std::string> missing;
  std::vector<std::string> kept = {kHintModule};
  for (const auto& kver : installed_kernels(root)) {
    const std::string index_file = under_root(root, hardware::driver_index_path(kver));
    if (!fs::exists(index_file)) continue;
    const std::string moddir = under_root(root, "/lib/modules/" + kver);
    auto index = hardware::read_driver_index(index_file);
    auto present = present_modules(moddir);
    for (const auto& m : index.modules)
      if (!present.count(m.name)) missing.insert(m.name);
    // What resolves today: the installed and built-in modules and their aliases. The aliases of
    // missing modules resolve to nothing, so a hint may catch them (and name their package).
    kept.insert(kept.end(), present.begin(), present.end());
    for (const char* file : {"modules.alias", "modules.symbols"}) add_database_aliases(moddir + "/" + file, kept);
    add_builtin_aliases(moddir + "/modules.builtin.modinfo", kept);
  }
  add_other_modprobe_names(root, kept);
  // Buses whose devices no module of these builds drives are still asked for by udev ("BUS:...").
  for (const char* bus : kDeviceBuses) kept.push_back(std::string(bus) + ":*");
  for (const auto& k : kept) missing.erase(k);  // installed for another kernel: never shadowed
  MissingRules r;
  r.modules.assign(missing.begin(), missing.end());
  if (r.modules.empty()) return r;
  auto covered = hint_patterns(missing, kept);
  r.patterns = std::move(covered.patterns);
  r.uncovered = std::move(covered.uncovered);
  if (r.patterns.empty()) return r;
  r.text = fmt::format(
      "# Generated by kmpkit (kmpkit drivers --write-rules, run by the kernel packages' refresh): {} modules\n"
      "# of an installed kernel's build are not installed. modprobe runs the hint instead of saying \"not\n"
      "# found\"; the hint names the package, or loads the module when it is there after all. The globs\n"
      "# match no installed module, no alias of a kernel build and no name of another modprobe.d file.\n",
      r.modules.size());
  r.text += fmt::format("install {} /usr/bin/kmpkit drivers --modprobe-hint $CMDLINE_OPTS\n", kHintModule);
  for (const auto& p : r.patterns) r.text += fmt::format("alias {} {}\n", p, kHintModule);
  return r;
}

bool write_missing_driver_rules(const std::string& root, const MissingRules& rules) {
  const std::string path = under_root(root, kMissingRulesPath);
  std::error_code ec;
  std::string old;
  if (std::ifstream in(path); in) {
    std::stringstream ss;
    ss << in.rdbuf();
    old = ss.str();
  }
  if (rules.text.empty()) {
    if (!fs::exists(path, ec)) return false;
    if (!fs::remove(path, ec) || ec) throw Error(ErrorKind::Write, fmt::format("cannot remove {}: {}", path, ec.message()));
    return true;
  }
  if (old == rules.text) return false;
  fs::create_directories(fs::path(path).parent_path(), ec);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << rules.text;
    out.flush();
    if (!out) {
      fs::remove(tmp, ec);
      throw Error(ErrorKind::Write, fmt::format("cannot write {}", tmp));
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(ErrorKind::Write, fmt::format("cannot rename {} to {}: {}", tmp, path, ec.message()));
  }
  return true;
}

ModprobeHint modprobe_hint(const std::string& root, const std::string& kver, const std::string& module) {
  const std::string name = module_name_from_path(module);
  const std::string moddir = under_root(root, "/lib/modules/" + kver);
  auto present = present_modules(moddir);
  if (present.count(name)) return {ModprobeHint::Kind::Present, ""};
  const std::string index_file = under_root(root, hardware::driver_index_path(kver));
  std::error_code ec;
  if (fs::exists(index_file, ec)) {
    auto index = hardware::read_driver_index(index_file);
    if (const auto* m = index.find_module(name))
      return {ModprobeHint::Kind::Missing,
              fmt::format("module {} is not installed for {}: package {} ships it. Install it with: zypper install {}",
                          name, kver, m->package, m->package)};
    // An alias ("crypto-adiantum", "fs-xfs") of modules that are not installed.
    // Both sides in kmod's form, as kmod compares them.
    const std::string asked = kmod_normalized(module);
    std::set<std::string> modules, packages;
    for (const auto& a : index.aliases) {
      if (::fnmatch(kmod_normalized(a.pattern).c_str(), asked.c_str(), 0) != 0) continue;
      const auto& m = index.modules[a.module];
      if (present.count(m.name)) return {ModprobeHint::Kind::Present, ""};
      modules.insert(m.name);
      packages.insert(m.package);
    }
    if (!modules.empty())
      return {ModprobeHint::Kind::Missing,
              fmt::format("{} (module {}) is not installed for {}: {} {} {}. Install it with: zypper install {}",
                          module, fmt::join(modules, ", "), kver, packages.size() == 1 ? "package" : "packages",
                          fmt::join(packages, ", "), packages.size() == 1 ? "ships it" : "ship it",
                          fmt::join(packages, " "))};
  }
  // What modprobe itself says for a name nothing has.
  return {ModprobeHint::Kind::Unknown,
          fmt::format("modprobe: FATAL: Module {} not found in directory {}", module, moddir)};
}

}  // namespace kmpkit::drivers
