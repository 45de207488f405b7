#include "verify/verify.hpp"
#include "util/error.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "kabi/kabi_diff.hpp"
#include "kabi/loadability.hpp"
#include "rpmdb/package_db.hpp"
#include "depmod/config.hpp"
#include "depmod/module_set.hpp"
#include "kabi/vermagic.hpp"
#include "kmp/kmp_coverage.hpp"
#include "module/firmware_path.hpp"
#include "module/kernel_files.hpp"
#include "module/kernel_tree.hpp"
#include "module/module_reader.hpp"
#include "module/tree_walk.hpp"

namespace fs = std::filesystem;

namespace kmpkit::verify {
namespace {

using namespace kmpkit::kabi;  // the KABI checks verify runs (loadability, vermagic, diff)
using rpmdb::PackageDb;

// Files depmod (and kmpkit depmod) generate: no package owns them.
bool is_generated(const std::string& rel) {
  static const std::set<std::string, std::less<>> names = {
      "modules.dep",         "modules.dep.bin",     "modules.alias",       "modules.alias.bin",
      "modules.softdep",     "modules.symbols",     "modules.symbols.bin", "modules.builtin.bin",
      "modules.builtin.alias.bin", "modules.devname", "modules.weakdep",  "modules.weakdep.bin",
      "modules.kmpkit-cache", "modules.kmpkit-cache.delta"};
  return names.count(rel) > 0;
}

bool in_weak_updates(const std::string& rel) { return rel.starts_with("weak-updates/"); }

std::string support_of(const ModuleRecord& m) {
  if (auto s = m.first("supported")) {
    if (*s == "yes") return "supported";
    if (*s == "external") return "external";
    if (*s == "no") return "unsupported";
    return "supported=" + *s;
  }
  if (m.first("intree").value_or("") == "Y") return "in-tree";
  return "out-of-tree";
}

class KernelCheck {
 public:
  KernelCheck(const VerifyOptions& o, const std::string& root, const std::string& kver, const PackageDb* db,
              const rpmdb::PackageSignatures* signatures, const KernelKeys* keys, const std::string& keys_why)
      : opt_(o), root_(root), db_(db), signatures_(signatures), keys_(keys), keys_why_(keys_why) {
    r_.kver = kver;
  }

  KernelReport run() {
    const std::string& kver = r_.kver;
    auto tree = locate_kernel_tree(root_, kver);
    r_.module_dir = tree.module_dir;
    // depmod.d as depmod reads it: the root's own directories (or -C), the one parser.
    auto cfg_dirs = opt_.depmod_config.empty() ? depmod::config_paths_in(root_) : std::vector<std::string>{opt_.depmod_config};
    depmod::DepmodConfig config = depmod::load_config(cfg_dirs, kver);
    const std::vector<TreeEntry> entries =
        walk_tree(tree.module_dir, TreeWalkOptions{config.excludes, root_, "/lib/modules/" + kver});

    // Read every module file once (several links may share a target).
    std::vector<std::string> files;
    std::unordered_map<std::string, size_t> file_index;
    for (const auto& e : entries)
      if (e.module && !e.dangling && file_index.emplace(e.file, files.size()).second) files.push_back(e.file);
    TreeScan scan = read_modules(files, tree.module_dir, opt_.threads);
    std::unordered_map<std::string, const ModuleRecord*> by_file;
    for (const auto& m : scan.modules) by_file[m.file] = &m;
    std::unordered_map<std::string, std::string> read_errors;
    for (const auto& e : scan.errors) read_errors[e.file] = e.message;

    // The copies depmod keeps.
    std::vector<const TreeEntry*> module_entries;
    std::vector<std::string> paths;
    std::vector<depmod::ModuleFile> copies;
    for (const auto& e : entries)
      if (e.module && !e.dangling) {
        module_entries.push_back(&e);
        paths.push_back(e.rel);
        copies.push_back({tree.module_dir + "/" + e.rel, e.rel, module_name_from_path(e.rel)});
      }
    std::vector<depmod::DuplicateModule> dups;
    std::vector<bool> keep = depmod::choose_module_copies(copies, config, &dups);
    for (const auto& d : dups) {
      std::string all;
      for (size_t c : d.copies) all += (all.empty() ? "" : ", ") + paths[c];
      add("duplicate", "duplicate-module", Severity::Warning, d.name, paths[d.winner], paths[d.winner],
          fmt::format("{} copies ({}); depmod uses {}", d.copies.size(), all, paths[d.winner]));
    }

    std::vector<ModuleRecord> modules;  // the kept copies, readable
    std::vector<const TreeEntry*> kept_entries;
    for (size_t i = 0; i < module_entries.size(); ++i) {
      if (!keep[i]) continue;
      const TreeEntry& e = *module_entries[i];
      auto it = by_file.find(e.file);
      if (it == by_file.end()) {
        auto err = read_errors.find(e.file);
        // What to do: reinstall the package that owns the file (a link: its target's package).
        std::string fix;
        if (db_) {
          auto who = db_->owners(e.link ? e.target : "/lib/modules/" + kver + "/" + e.rel);
          if (!who.empty()) fix = fmt::format(" (package {0}: reinstall it, e.g. zypper in -f {0})", who.front());
        }
        add("read", "unreadable-module", Severity::Error, module_name_from_path(e.rel), e.rel, "",
            (err == read_errors.end() ? "cannot be read" : err->second) + fix);
        continue;
      }
      ModuleRecord m = *it->second;
      m.path = e.rel;
      m.name = module_name_from_path(e.rel);
      modules.push_back(std::move(m));
      kept_entries.push_back(&e);
    }

    // vmlinux's exports.
    std::vector<SymversEntry> symvers;
    if (tree.symvers) {
      if (auto sv = read_symvers(*tree.symvers)) {
        symvers = std::move(*sv);
        r_.symvers = *tree.symvers;
      }
    } else {
      std::string gz = "/boot/symvers-" + kver + ".gz";  // SUSE keeps it compressed
      if (!root_.empty()) gz = resolve_in_root(root_, gz);
      std::error_code ec;
      if (fs::is_regular_file(gz, ec))
        if (auto sv = read_symvers(gz)) {
          symvers = std::move(*sv);
          r_.symvers = gz;
        }
    }
    if (r_.symvers.empty())
      add("symvers", "no-symvers", Severity::Warning, "", "", "",
          "no Module.symvers or symvers found for this kernel: symbols that no module exports are assumed "
          "to come from vmlinux, with any CRC");

    r_.vermagic = kernel_vermagic(modules, kver, tree.config);
    check_loadability_(modules, kept_entries, symvers);
    const std::unordered_set<std::string> builtin = builtin_names(tree);
    check_depends(modules, builtin);
    check_builtin_copies(modules, builtin);
    check_firmware(modules);
    check_signatures(modules, tree);
    for (const auto& m : modules)
      if (m.first("supported").value_or("") == "no")
        add("support", "unsupported-module", Severity::Warning, m.name, m.path, "supported=no",
            "marked unsupported (supported=no)");

    for (const auto& e : entries)
      if (e.dangling && in_weak_updates(e.rel))
        add("weak-updates", "stale-weak-updates-link", Severity::Error, module_name_from_path(e.rel), e.rel, e.target,
            fmt::format("link target {} does not exist", e.target));

    std::map<std::string, std::vector<std::string>> owners;
    check_ownership(entries, owners);
    check_package_signatures(owners);

    for (size_t i = 0; i < modules.size(); ++i) {
      const auto& m = modules[i];
      ModuleStatus s;
      s.name = m.name;
      s.path = m.path;
      if (kept_entries[i]->link) s.target = kept_entries[i]->target;
      s.vermagic = m.vermagic();
      s.loadable = loadable_[i];
      s.is_signed = m.is_signed;
      s.signer = m.signer;
      s.support = support_of(m);
      if (auto it = owners.find(m.path); it != owners.end()) s.packages = it->second;
      r_.modules.push_back(std::move(s));
    }
    for (const auto& f : r_.findings)
      (f.severity == Severity::Error ? r_.errors : f.severity == Severity::Warning ? r_.warnings : r_.notes)++;
    return std::move(r_);
  }

 private:
  void add(const char* check, const char* kind, Severity sev, std::string module, std::string path,
           std::string subject, std::string message) {
    r_.findings.push_back({check, kind, sev, std::move(module), std::move(path), std::move(subject), std::move(message)});
  }

  void check_loadability_(const std::vector<ModuleRecord>& modules, const std::vector<const TreeEntry*>& entries,
                          const std::vector<SymversEntry>& symvers) {
    LoadabilityInput in;
    in.fixed = fixed_exports_from_symvers(symvers, true);
    in.kernel_vermagic = r_.vermagic;
    for (const auto& m : modules) in.candidates.push_back(&m);
    if (r_.symvers.empty()) {
      // Without vmlinux's list, whatever no module exports is taken to be vmlinux's.
      std::unordered_set<std::string> exported;
      for (const auto& m : modules)
        for (const auto& e : m.exports) exported.insert(e.name);
      std::set<std::pair<std::string, uint64_t>> assumed;
      for (const auto& m : modules)
        for (const auto& req : requirements_of(m))
          if (!exported.count(req.symbol)) assumed.emplace(req.symbol, req.crc);
      for (const auto& [sym, crc] : assumed) in.fixed.push_back({sym, crc, "vmlinux (assumed)", "", ""});
      in.check_licenses = in.check_namespaces = false;
    }
    auto verdicts = check_loadability(in);
    loadable_.clear();
    for (size_t i = 0; i < modules.size(); ++i) {
      const auto& m = modules[i];
      const auto& v = verdicts[i];
      loadable_.push_back(v.loadable);
      if (v.loadable) continue;
      const TreeEntry& e = *entries[i];
      if (e.link && in_weak_updates(e.rel)) {
        std::string why;
        for (size_t k = 0; k < v.problems.size() && k < 3; ++k) why += (k ? "; " : "") + describe_problem(v.problems[k]);
        if (v.problems.size() > 3) why += fmt::format("; ... ({} more)", v.problems.size() - 3);
        add("weak-updates", "stale-weak-updates-link", Severity::Error, m.name, m.path, e.target,
            fmt::format("links to {}, which no longer fits this kernel: {}", e.target, why));
        continue;
      }
      for (const auto& p : v.problems) {
        const char* check = p.kind == ProblemKind::Vermagic ? "vermagic" : "ksym";
        add(check, problem_kind_name(p.kind), Severity::Error, m.name, m.path,
            p.kind == ProblemKind::Vermagic ? p.detail : p.symbol,
            p.kind == ProblemKind::Vermagic
                ? fmt::format("vermagic '{}' does not fit the kernel's '{}'", p.detail, r_.vermagic)
                : describe_problem(p));
      }
    }
  }

  // The kernel's built-in modules (modules.builtin), by name.
  static std::unordered_set<std::string> builtin_names(const KernelTree& tree) {
    std::unordered_set<std::string> names;
    if (tree.builtin)
      if (auto lines = read_lines(*tree.builtin))
        for (const auto& l : *lines)
          if (!l.empty()) names.insert(module_name_from_path(l));
    return names;
  }

  void check_depends(const std::vector<ModuleRecord>& modules, const std::unordered_set<std::string>& builtin) {
    std::unordered_set<std::string> present = builtin;
    for (const auto& m : modules) present.insert(m.name);
    for (const auto& m : modules)
      for (const auto& dep : m.depends()) {
        std::string name = dep;
        std::replace(name.begin(), name.end(), '-', '_');
        if (!present.count(name))
          add("depends", "missing-dependency", Severity::Error, m.name, m.path, dep,
              fmt::format("depends on {}, which is neither installed for this kernel nor built in", dep));
      }
  }

  // A module file of a name the kernel has built in (a KMP of another configuration, or a weak-updates
  // link to one): modprobe reports the module built in and never loads the file.
  void check_builtin_copies(const std::vector<ModuleRecord>& modules, const std::unordered_set<std::string>& builtin) {
    for (const auto& m : modules)
      if (builtin.count(m.name))
        add("builtin", "built-in-module-file", Severity::Warning, m.name, m.path, m.name,
            fmt::format("{} is built into this kernel (modules.builtin): this file is never loaded", m.name));
  }

  void check_firmware(const std::vector<ModuleRecord>& modules) {
    for (const auto& m : modules)
      for (const auto& fw : m.firmware())
        if (find_firmware(root_, r_.kver, fw).empty())
          add("firmware", "missing-firmware", Severity::Warning, m.name, m.path, fw,
              fmt::format("firmware {} not found under /lib/firmware (nor .xz, .zst; nor updates/, {}/)", fw, r_.kver));
  }

  void check_signatures(const std::vector<ModuleRecord>& modules, const KernelTree& tree) {
    bool force = false, sig = false;
    if (tree.config)
      if (auto lines = read_lines(*tree.config))
        for (const auto& l : *lines) {
          if (l == "CONFIG_MODULE_SIG_FORCE=y") force = true;
          if (l == "CONFIG_MODULE_SIG=y") sig = true;
        }
    std::map<std::string, size_t> signers;
    for (const auto& m : modules)
      if (m.is_signed && m.first("intree").value_or("") == "Y") signers[m.signer]++;
    size_t best = 0;
    for (const auto& [s, n] : signers)
      if (n > best) r_.kernel_signer = s, best = n;
    r_.signing = force ? "enforced" : (sig || best > 0) ? "used" : "none";
    if (r_.signing == "none") return;
    for (const auto& m : modules)
      if (!m.is_signed)
        add("signature", "unsigned-module", force ? Severity::Error : Severity::Warning, m.name, m.path, "",
            force ? "not signed, and this kernel only loads signed modules (CONFIG_MODULE_SIG_FORCE)"
                  : "not signed (loading it taints the kernel; refused under Secure Boot lockdown)");
    check_signers(modules, force);
  }

  // Each signer against the keys of the running kernel (only for that kernel: another kernel may
  // carry other built-in keys).
  void check_signers(const std::vector<ModuleRecord>& modules, bool force) {
    if (!keys_) {
      r_.signer_keys = "not checked: " + keys_why_;
      return;
    }
    if (keys_->release != r_.kver) {
      r_.signer_keys = fmt::format("not checked: the running kernel is {}", keys_->release);
      return;
    }
    r_.signer_keys = fmt::format("running kernel ({} module keys)", keys_->keys.size());
    std::map<std::string, std::vector<const ModuleRecord*>> by_signer;
    for (const auto& m : modules)
      if (m.is_signed) by_signer[m.signer].push_back(&m);
    for (const auto& [signer, mods] : by_signer) {
      SignerCheck c{signer, mods.size()};
      if (const KernelKey* k = accepting_key(*keys_, signer)) {
        c.accepted = true;
        c.keyring = k->keyring;
        c.key = k->description;
        r_.signer_checks.push_back(std::move(c));
        continue;
      }
      r_.signer_checks.push_back(std::move(c));
      std::string names;
      for (size_t i = 0; i < mods.size() && i < 5; ++i) names += (i ? ", " : "") + mods[i]->name;
      if (mods.size() > 5) names += fmt::format(" and {} more", mods.size() - 5);
      const bool refused = force || keys_->enforced;
      add("signature", "untrusted-signer", refused ? Severity::Error : Severity::Warning, mods.front()->name,
          mods.front()->path, signer,
          fmt::format("{} module(s) signed by '{}' ({}): no key of that name among the running kernel's {} module "
                      "keys (.builtin_trusted_keys, .secondary_trusted_keys, .machine, .platform): {}; enroll the "
                      "signer's certificate with mokutil --import CERT and reboot (a KMP of kmpkit kmp build "
                      "installs it as /etc/uefi/certs/HEX8.crt)",
                      mods.size(), signer, names, keys_->keys.size(),
                      refused ? fmt::format("the kernel refuses them ({})",
                                            force ? "CONFIG_MODULE_SIG_FORCE" : keys_->enforced_by)
                              : "loading them taints the kernel, and Secure Boot would refuse them"));
    }
  }

  // The packages of this kernel's modules: signed by a key the database does not trust is an error
  // (someone installed around the signature checks); unsigned (a repository built without
  // --gpg-key) one note for all of them.
  void check_package_signatures(const std::map<std::string, std::vector<std::string>>& owners) {
    if (!signatures_) return;
    std::set<std::string> packages, unsigned_packages;
    for (const auto& [path, who] : owners) packages.insert(who.begin(), who.end());
    for (const auto& p : packages) {
      auto it = signatures_->key_of.find(p);
      if (it == signatures_->key_of.end()) continue;
      if (it->second.empty()) {
        unsigned_packages.insert(p);
      } else if (!signatures_->is_trusted(it->second)) {
        add("package-signature", "unknown-package-key", Severity::Error, "", "", p,
            fmt::format("package {} is signed by key {}, which the package database does not trust (rpm --import "
                        "its public key, or reinstall the package from a trusted repository)",
                        p, it->second));
      }
    }
    if (!unsigned_packages.empty())
      add("package-signature", "unsigned-packages", Severity::Note, "", "", std::to_string(unsigned_packages.size()),
          fmt::format("{} packages of these modules have no signature (e.g. {}): their repository was built "
                      "without --gpg-key",
                      unsigned_packages.size(), *unsigned_packages.begin()));
  }

  void check_ownership(const std::vector<TreeEntry>& entries, std::map<std::string, std::vector<std::string>>& owners) {
    if (!db_) return;
    r_.package_db = db_->dbpath();
    auto skipped = [](const TreeEntry& e) {
      return is_generated(e.rel) || (e.link && in_weak_updates(e.rel));  // made by tools, owned by nobody
    };
    std::set<std::string> dirs;
    for (const auto& e : entries) {
      if (skipped(e)) continue;
      std::string in_root = "/lib/modules/" + r_.kver + "/" + e.rel;
      std::string dir = in_root.substr(0, in_root.rfind('/') + 1);
      dirs.insert(dir);
      dirs.insert("/usr" + dir);  // usrmerged roots package /usr/lib/modules
    }
    auto owned = db_->owners_in({dirs.begin(), dirs.end()});
    for (const auto& e : entries) {
      if (skipped(e)) continue;
      std::string in_root = "/lib/modules/" + r_.kver + "/" + e.rel;
      std::vector<std::string> who;
      if (auto it = owned.find(in_root); it != owned.end()) who = it->second;
      else if (auto u = owned.find("/usr" + in_root); u != owned.end()) who = u->second;
      if (who.empty())
        add("ownership", "unowned-file", Severity::Error, e.module ? module_name_from_path(e.rel) : "", e.rel, in_root,
            fmt::format("{} belongs to no installed package", in_root));
      else
        owners[e.rel] = std::move(who);
    }
  }

  const VerifyOptions& opt_;
  std::string root_;
  const PackageDb* db_;
  const rpmdb::PackageSignatures* signatures_;
  const KernelKeys* keys_;      // the running kernel's (or the test's) keys
  const std::string& keys_why_;  // why there are none
  KernelReport r_;
  std::vector<bool> loadable_;
};

// Each external KMP's service to each kernel checked (kmp_coverage: its own build, or a weak-updates
// link to another kernel's): a kernel it does not serve is an error (that kernel boots without the
// driver), one whose own module of that name is used a warning; both name the command to build it.
void check_external_kmps(const std::string& root, const std::vector<std::string>& kvers, VerifyReport& report) {
  std::vector<std::string> problems;
  auto records = kmp::installed_build_records(root, &problems);
  if (report.kernels.empty()) return;
  auto add = [&](KernelReport& k, const char* kind, Severity sev, std::string module, std::string path,
                 std::string subject, std::string message) {
    k.findings.push_back({"kmp", kind, sev, std::move(module), std::move(path), std::move(subject), std::move(message)});
    (sev == Severity::Error ? k.errors : sev == Severity::Warning ? k.warnings : k.notes)++;
    (sev == Severity::Error ? report.errors : sev == Severity::Warning ? report.warnings : report.notes)++;
  };
  for (const auto& p : problems)
    add(report.kernels.front(), "bad-build-record", Severity::Warning, "", "", "",
        p + ": which kernels this KMP serves is not checked (reinstall the KMP that owns it)");
  for (const auto& s : kmp::kmp_services(root, kvers, records)) {
    std::string command = s.how == kmp::Service::NotServed || s.how == kmp::Service::InBoxModule
                              ? kmp::rebuild_command(s.build, s.kver) : "";
    report.kmps.push_back({s.base_name, s.kver, kmp::service_name(s.how), s.build.package, command});
    auto k = std::find_if(report.kernels.begin(), report.kernels.end(), [&](const KernelReport& r) { return r.kver == s.kver; });
    if (command.empty() || k == report.kernels.end()) continue;
    const std::string& m = s.build.modules.front();
    if (s.how == kmp::Service::NotServed)
      add(*k, "kmp-does-not-fit", Severity::Error, module_name_from_path(m), m, s.build.package, kmp::coverage_message(s));
    else
      add(*k, "kmp-in-box-module-used", Severity::Warning, module_name_from_path(s.detail), s.detail, s.build.package,
          kmp::coverage_message(s));
  }
}

}  // namespace

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "?";
}

VerifyReport verify(const VerifyOptions& options) {
  VerifyReport report;
  std::string root = options.root == "/" ? "" : options.root;
  while (!root.empty() && root.back() == '/') root.pop_back();
  report.root = root.empty() ? "/" : root;
  std::string modules_base = root + "/lib/modules";
  std::error_code ec;
  if (!fs::is_directory(modules_base, ec)) throw Error(ErrorKind::Input, fmt::format("no {} directory", modules_base));
  std::vector<std::string> kvers = options.kernels;
  std::vector<std::string> stores;
  if (kvers.empty()) {
    for (fs::directory_iterator it(modules_base, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_directory(ec)) continue;
      std::string kver = it->path().filename().string();
      KernelTree t = locate_kernel_tree(root, kver);
      bool kernel = t.image || t.system_map || t.symvers || fs::exists(it->path() / "modules.dep", ec);
      (kernel ? kvers : stores).push_back(kver);
    }
    std::sort(kvers.begin(), kvers.end());
    std::sort(stores.begin(), stores.end());
  } else {
    for (const auto& k : kvers)
      if (!fs::is_directory(modules_base + "/" + k, ec))
        throw Error(ErrorKind::Input, fmt::format("no kernel {} in {}", k, modules_base));
  }

  std::string why;
  std::optional<PackageDb> db = PackageDb::open(root, options.dbpath, &why);
  std::optional<rpmdb::PackageSignatures> signatures;
  if (db) signatures = db->signatures();
  std::optional<KernelKeys> keys = options.kernel_keys;
  std::string keys_why = "the root is not the running system";
  if (!keys && root.empty()) keys = running_kernel_keys(&keys_why);
  for (const auto& kver : kvers) {
    KernelReport k = KernelCheck(options, root, kver, db ? &*db : nullptr, signatures ? &*signatures : nullptr,
                                 keys ? &*keys : nullptr, keys_why)
                         .run();
    if (!db) {
      k.findings.push_back(
          {"ownership", "no-package-database", Severity::Note, "", "", "", why + ": package ownership not checked"});
      k.notes++;
    }
    report.errors += k.errors;
    report.warnings += k.warnings;
    report.notes += k.notes;
    report.kernels.push_back(std::move(k));
  }
  check_external_kmps(root, kvers, report);
  if (!stores.empty()) {
    // Every file the kernels' weak-updates links lead to (inside the root).
    std::set<std::string> targets;
    for (const auto& kver : kvers) {
      std::string weak = modules_base + "/" + kver + "/weak-updates";
      if (!fs::is_directory(weak, ec)) continue;
      for (auto it = fs::recursive_directory_iterator(weak, ec); !ec && it != fs::recursive_directory_iterator();
           it.increment(ec))
        if (it->is_symlink(ec)) {
          std::string in_root = it->path().string().substr(root.size());
          auto c = fs::weakly_canonical(resolve_in_root(root, in_root), ec);
          if (!ec) targets.insert(c.string());
          ec.clear();
        }
    }
    for (const auto& kver : stores) {
      ModuleStore st;
      st.kver = kver;
      std::string dir = modules_base + "/" + kver;
      for (const auto& f : list_module_files(dir, {})) {
        std::string rel = f.substr(dir.size() + 1);
        if (rel.starts_with("weak-updates/")) continue;
        st.modules++;
        auto c = fs::weakly_canonical(f, ec);
        if (!ec && targets.count(c.string())) st.linked++;
        else st.unused.push_back(rel);
        ec.clear();
      }
      report.warnings += st.unused.size();
      report.stores.push_back(std::move(st));
    }
  }
  return report;
}

nlohmann::ordered_json verify_json(const VerifyReport& report, bool strict) {
  using json = nlohmann::ordered_json;
  json j;
  j["schema"] = 1;
  j["root"] = report.root;
  j["consistent"] = report.consistent(strict);
  j["strict"] = strict;
  j["errors"] = report.errors;
  j["warnings"] = report.warnings;
  j["notes"] = report.notes;
  json kernels = json::array();
  for (const auto& k : report.kernels) {
    json kj;
    kj["kver"] = k.kver;
    kj["module_dir"] = k.module_dir;
    kj["symvers"] = k.symvers;
    kj["vermagic"] = k.vermagic;
    kj["signing"] = k.signing;
    kj["kernel_signer"] = k.kernel_signer;
    kj["package_db"] = k.package_db;
    kj["signer_keys"] = k.signer_keys;
    json signers = json::array();
    for (const auto& c : k.signer_checks)
      signers.push_back({{"signer", c.signer}, {"modules", c.modules}, {"accepted", c.accepted},
                         {"keyring", c.keyring}, {"key", c.key}});
    kj["signers"] = std::move(signers);
    kj["errors"] = k.errors;
    kj["warnings"] = k.warnings;
    kj["notes"] = k.notes;
    json findings = json::array();
    for (const auto& f : k.findings)
      findings.push_back({{"check", f.check},
                          {"kind", f.kind},
                          {"severity", severity_name(f.severity)},
                          {"module", f.module},
                          {"path", f.path},
                          {"subject", f.subject},
                          {"message", f.message}});
    kj["findings"] = std::move(findings);
    json mods = json::array();
    for (const auto& m : k.modules) {
      json mj{{"name", m.name},         {"path", m.path},          {"loadable", m.loadable},
              {"signed", m.is_signed},  {"signer", m.signer},      {"support", m.support},
              {"vermagic", m.vermagic}, {"packages", m.packages}};
      if (!m.target.empty()) mj["target"] = m.target;
      mods.push_back(std::move(mj));
    }
    kj["modules"] = std::move(mods);
    kernels.push_back(std::move(kj));
  }
  j["kernels"] = std::move(kernels);
  json stores = json::array();
  for (const auto& st : report.stores)
    stores.push_back({{"kver", st.kver}, {"modules", st.modules}, {"linked", st.linked}, {"unused", st.unused}});
  j["module_stores"] = std::move(stores);
  json kmps = json::array();
  for (const auto& s : report.kmps)
    kmps.push_back({{"base_name", s.base_name}, {"kver", s.kver}, {"how", s.how}, {"package", s.package},
                    {"command", s.command}});
  j["external_kmps"] = std::move(kmps);
  return j;
}

std::string verify_text(const VerifyReport& report, bool strict, bool details) {
  std::string out;
  auto line = [&out](const std::string& s) { out += s + "\n"; };
  line(fmt::format("verify {}: {} kernel(s)", report.root, report.kernels.size()));
  for (const auto& k : report.kernels) {
    line("");
    size_t loadable = 0;
    std::map<std::string, size_t> support, signers;
    for (const auto& m : k.modules) {
      loadable += m.loadable;
      support[m.support]++;
      signers[m.is_signed ? m.signer : "(unsigned)"]++;
    }
    line(fmt::format("kernel {}: {} modules, {} loadable; {} error(s), {} warning(s)", k.kver, k.modules.size(),
                     loadable, k.errors, k.warnings));
    line(fmt::format("  vmlinux symbols  {}", k.symvers.empty() ? "(none found)" : k.symvers));
    line(fmt::format("  vermagic         {}", k.vermagic.empty() ? "(unknown)" : vermagic_flags_text(k.vermagic)));
    std::string s;
    for (const auto& [name, n] : support) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n, name);
    line(fmt::format("  support          {}", s.empty() ? "-" : s));
    s.clear();
    for (const auto& [name, n] : signers) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n, name);
    line(fmt::format("  signatures       {} (signing: {}{})", s.empty() ? "-" : s, k.signing,
                     k.kernel_signer.empty() ? "" : ", kernel key: " + k.kernel_signer));
    if (!k.signer_keys.empty()) {
      std::string checks;
      for (const auto& c : k.signer_checks)
        checks += fmt::format("; '{}' {}", c.signer, c.accepted ? "accepted (" + c.keyring + ")" : "NOT accepted");
      line(fmt::format("  signer keys      {}{}", k.signer_keys, checks));
    }
    line(fmt::format("  package database {}", k.package_db.empty() ? "(none)" : k.package_db));
    // Findings, errors first, grouped by check.
    std::vector<const Finding*> sorted;
    for (const auto& f : k.findings) sorted.push_back(&f);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Finding* a, const Finding* b) {
      return static_cast<int>(a->severity) < static_cast<int>(b->severity);
    });
    // Without details, at most kShown findings of each kind, then how many more.
    constexpr size_t kShown = 10;
    std::map<std::string, size_t> shown, hidden;
    std::map<std::string, std::string> check_of_kind;
    for (const Finding* f : sorted) {
      check_of_kind[f->kind] = f->check;
      if (!details && ++shown[f->kind] > kShown) {
        hidden[f->kind]++;
        continue;
      }
      std::string who = f->path.empty() ? std::string() : (f->module.empty() ? f->path : f->module + " (" + f->path + ")");
      line(fmt::format("  {:<7} {:<12} {}{}{}", severity_name(f->severity), f->check, who, who.empty() ? "" : ": ",
                       f->message));
    }
    // In the findings' own columns: the check, then how many more of which kind.
    for (const auto& [kind, n] : hidden)
      line(fmt::format("  {:<7} {:<12} ... and {} more {} finding(s) (--details lists all)", "", check_of_kind[kind], n,
                       kind));
    if (details)
      for (const auto& m : k.modules)
        line(fmt::format("  module  {:<40} {} {} {}{}", m.path, m.loadable ? "loadable" : "NOT-LOADABLE", m.support,
                         m.is_signed ? "signed:" + m.signer : "unsigned",
                         m.packages.empty() ? "" : " pkg:" + m.packages.front()));
  }
  for (const auto& st : report.stores) {
    line("");
    line(fmt::format("modules of {} (kernel not installed): {}, {} serving installed kernels through weak-updates",
                     st.kver, st.modules, st.linked));
    for (const auto& u : st.unused)
      line(fmt::format("  warning unused       {}: no installed kernel uses it (its KMP can be removed)", u));
  }
  if (!report.kmps.empty()) {
    line("");
    line("external KMPs (kmpkit kmp build), per kernel:");
    for (const auto& s : report.kmps)
      line(fmt::format("  {:<28} {:<20} {}{}", s.base_name, s.kver, s.how,
                       s.how == "not-served" || s.how == "in-box-module" ? " (build: " + s.command + ")"
                                                                          : " (" + s.package + ")"));
  }
  line("");
  if (report.consistent(strict))
    line(fmt::format("consistent ({} warning(s){})", report.warnings, strict ? ", strict" : ""));
  else
    line(fmt::format("NOT consistent: {} error(s), {} warning(s){}", report.errors, report.warnings,
                     strict ? " (strict: warnings count)" : ""));
  return out;
}

}  // namespace kmpkit::verify
