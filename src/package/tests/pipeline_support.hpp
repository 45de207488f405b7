#pragma once
// Shared by the package tests (fast: a tiny kernel tree of the real kernel's image files plus the
// test modules) and the slow tests (the whole real kernel): building trees and repositories once
// per test run (a cache keyed by the kmpkit binary, shared by test processes under a lock), and
// installing into roots with rpm and zypper.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "gpg_key.hpp"
#include "test_env.hpp"

namespace kmpkit::test::pipeline {

namespace fs = std::filesystem;

inline std::string q(const std::string& s) { return shell_quote(s); }

using kmpkit::test::read_text;
using kmpkit::test::write_text;

inline std::string sha256_of(const std::string& path) {
  auto r = run("sha256sum " + q(path) + " | cut -d' ' -f1");
  if (r.exit_code != 0) throw std::runtime_error("sha256sum " + path + ": " + r.err);
  auto lines = split_lines(r.out);
  return lines.empty() ? "" : lines[0];
}

inline std::string cache_base() {
  const char* c = std::getenv("KMPKIT_CACHE");
  return c && *c ? c : "/var/cache/kmpkit";
}

// The binary's identity (cached per process): caches built by another kmpkit are not reused.
inline const std::string& binary_key() {
  static std::string key = sha256_of(kmpkit_binary()).substr(0, 16);
  return key;
}

// Builds `dir` once: the first caller (any process) runs make(tmp) under an exclusive lock, then
// renames tmp to dir; later callers find dir complete. Older siblings with the same prefix (other
// binaries) are removed when `prune_prefix` is given.
inline std::string cached_dir(const std::string& dir, const std::function<void(const std::string&)>& make,
                              const std::string& prune_prefix = {}) {
  const std::string done = dir + "/.complete";
  if (fs::exists(done)) return dir;
  fs::create_directories(fs::path(dir).parent_path());
  int fd = ::open((dir + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open lock " + dir + ".lock");
  ::flock(fd, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() {
      ::flock(fd, LOCK_UN);
      ::close(fd);
    }
  } unlock{fd};
  if (fs::exists(done)) return dir;
  if (!prune_prefix.empty()) {
    fs::path parent = fs::path(dir).parent_path();
    for (const auto& e : fs::directory_iterator(parent)) {
      std::string name = e.path().filename().string();
      if (name.rfind(prune_prefix, 0) == 0 && e.path().string() != dir && e.path().string() != dir + ".lock")
        run("rm -rf " + q(e.path().string()));  // other binaries' trees and their lock files
    }
  }
  std::string tmp = dir + ".tmp";
  run("rm -rf " + q(tmp) + " " + q(dir));
  fs::create_directories(tmp);
  make(tmp);
  write_text(tmp + "/.complete", "ok\n");
  fs::rename(tmp, dir);
  return dir;
}

// ---- the fast fixture: a tiny kernel tree ----

struct FixtureModule {
  const char* file;  // in the test modules dir: plain/<file> or xz/<file>.xz ...
  const char* variant;
  const char* dest;  // path relative to lib/modules/KVER
};

inline const std::vector<FixtureModule>& fixture_modules() {
  static const std::vector<FixtureModule> m = {
      {"kmpt_core.ko", "plain", "kernel/drivers/misc/kmpt/kmpt_core.ko"},
      {"kmpt_mid.ko", "plain", "kernel/drivers/misc/kmpt/kmpt_mid.ko"},
      {"kmpt_leaf.ko", "plain", "kernel/drivers/misc/kmpt/kmpt_leaf.ko"},
      {"kmpt_weak.ko", "zst", "kernel/drivers/misc/kmpt/kmpt_weak.ko.zst"},
      {"kmpt_alias.ko", "xz", "kernel/drivers/pci/kmpt/kmpt_alias.ko.xz"},
      {"kmpt_extra.ko", "plain", "extra/kmpt_extra.ko"},
      {"kmpt-dash.ko", "plain", "extra/kmpt-dash.ko"},
  };
  return m;
}

// ROOT with boot/ (real image, System.map, config), the real Module.symvers in the headers'
// place, the real modules.builtin(.modinfo), the license text, and the test modules.
inline void make_fixture_tree(const std::string& root) {
  const std::string kver = kernel_release(), src = kernel_root();
  const std::string md = root + "/lib/modules/" + kver;
  fs::create_directories(md);
  fs::create_directories(root + "/boot");
  for (const char* f : {"vmlinuz-", "System.map-", "config-"})
    fs::copy_file(src + "/boot/" + f + kver, root + "/boot/" + f + kver);
  fs::create_directories(root + "/usr/src/linux-headers-" + kver);
  fs::copy_file(src + "/usr/src/linux-headers-" + kver + "/Module.symvers",
                root + "/usr/src/linux-headers-" + kver + "/Module.symvers");
  for (const char* f : {"modules.builtin", "modules.builtin.modinfo"})
    fs::copy_file(src + "/lib/modules/" + kver + "/" + f, md + "/" + f);
  std::string doc = "/usr/share/doc/linux-image-" + kver + "-unsigned/copyright";
  if (fs::exists(src + doc)) {
    fs::create_directories(fs::path(root + doc).parent_path());
    fs::copy_file(src + doc, root + doc);
  }
  std::string order;
  const std::string mods = test_modules_dir();
  for (const auto& m : fixture_modules()) {
    std::string from = mods + "/" + m.variant + "/" + m.file;
    if (std::string(m.variant) == "xz") from += ".xz";
    if (std::string(m.variant) == "zst") from += ".zst";
    fs::create_directories(fs::path(md + "/" + m.dest).parent_path());
    fs::copy_file(from, md + "/" + m.dest);
    std::string ko = m.dest;
    for (const char* ext : {".xz", ".zst"})
      if (ko.size() > 4 && ko.substr(ko.size() - std::string(ext).size()) == ext)
        ko.resize(ko.size() - std::string(ext).size());
    order += ko + "\n";
  }
  write_text(md + "/modules.order", order);
}

// ---- installing ----

// rpm on a root: Debian's rpm keeps its database in ~/.rpmdb unless told; zypper uses /var/lib/rpm.
inline std::string rpm_in(const std::string& root) { return "rpm --root " + q(root) + " --dbpath /var/lib/rpm "; }

// A root ready for rpm/zypper (rpmdb in var/lib/rpm, not root/.rpmdb).
inline std::string new_root(const std::string& hint) {
  std::string r = temp_dir(hint);
  fs::create_directories(r + "/var/lib/rpm");
  return r;
}

// Environment for zypper in a private root: its own lock, log, and fake hardware ("" = none).
inline std::string zypper_env(const std::string& root, const std::string& modalias) {
  std::string hw = modalias;
  if (hw.empty()) {
    hw = root + "/.no-hardware";
    if (!fs::exists(hw)) write_text(hw, "");
  }
  return "ZYPP_LOCKFILE_ROOT=" + q(root) + " ZYPP_MODALIAS_SYSFS=" + q(hw) + " ZYPP_LOGFILE=" + q(root + "/zypper.log") +
         " ";
}

// zypper with its signature checks on (the repositories decide: see zypper_add_repo).
inline CommandResult zypper(const std::string& root, const std::string& args, const std::string& modalias = {}) {
  return run(zypper_env(root, modalias) + "zypper --root " + q(root) + " --non-interactive " + args);
}

// A signed repository (repomd.xml.asc and the key kmpkit publishes, as the shared test repositories
// are) is added with every signature checked (--gpgcheck-strict: the packages' too), its key trusted
// in the root first; an unsigned one (a test's own) without checks (-G).
inline CommandResult zypper_add_repo(const std::string& root, const std::string& repo, const std::string& alias = "kmp") {
  const std::string key = repo + "/RPM-GPG-KEY-kmpkit";
  if (fs::exists(repo + "/repodata/repomd.xml.asc") && fs::exists(key)) {
    auto imp = run(rpm_in(root) + "--import " + q(key) + " 2>&1");
    if (imp.exit_code != 0) return imp;
    return zypper(root, "ar --gpgcheck-strict " + q("file://" + repo) + " " + q(alias));
  }
  return zypper(root, "ar -G " + q("file://" + repo) + " " + q(alias));
}

// Installed package names (rpm -qa), without the trusted keys (gpg-pubkey).
inline std::set<std::string> installed(const std::string& root) {
  auto r = run(rpm_in(root) + "-qa --qf '%{NAME}\\n'");
  std::set<std::string> out;
  for (auto& l : split_lines(r.out))
    if (l != "gpg-pubkey") out.insert(l);
  return out;
}

// Files of installed packages under /lib/modules/KVER that are modules, relative to it.
inline std::set<std::string> installed_module_paths(const std::string& root, const std::string& kver) {
  std::set<std::string> out;
  const std::string prefix = "/lib/modules/" + kver + "/";
  auto r = run(rpm_in(root) + "-qa --qf '[%{FILENAMES}\\n]'");
  for (auto& l : split_lines(r.out)) {
    if (l.rfind(prefix, 0) != 0) continue;
    std::string rel = l.substr(prefix.size());
    if (rel.find(".ko") != std::string::npos) out.insert(rel);
  }
  return out;
}

// modules.dep of a tree, as a map module path → its dependency paths (the line after ':').
inline std::map<std::string, std::string> read_modules_dep(const std::string& file) {
  std::map<std::string, std::string> out;
  for (auto& l : split_lines(read_text(file))) {
    auto c = l.find(':');
    if (c == std::string::npos) continue;
    std::string deps = l.substr(c + 1);
    if (!deps.empty() && deps[0] == ' ') deps.erase(0, 1);
    out[l.substr(0, c)] = deps;
  }
  return out;
}

// Debian's depmod over a copy (hard links) of ROOT/lib/modules/KVER in `outdir` (depmod 30 has no
// output directory option); the result is outdir/lib/modules/KVER/modules.*. Capped: depmod 30
// loops forever on a dependency cycle.
inline CommandResult reference_depmod(const std::string& basedir, const std::string& kver, const std::string& outdir) {
  const std::string md = "/lib/modules/" + kver;
  fs::create_directories(outdir + "/lib/modules");
  auto cp = run("cp -al " + q(basedir + md) + " " + q(outdir + "/lib/modules/") + " || cp -a " + q(basedir + md) +
                " " + q(outdir + "/lib/modules/"));
  if (cp.exit_code != 0) return cp;
  auto r = run("timeout 300 /sbin/depmod -b " + q(outdir) + " " + q(kver) + " 2>&1 | head -c 1000000");
  if (!fs::exists(outdir + md + "/modules.dep")) r.exit_code = r.exit_code ? r.exit_code : 1;
  return r;
}

inline const std::vector<std::string>& database_files() {
  static const std::vector<std::string> f = {
      "modules.alias",       "modules.alias.bin",   "modules.builtin.alias.bin", "modules.builtin.bin",
      "modules.dep",         "modules.dep.bin",     "modules.devname",           "modules.softdep",
      "modules.symbols",     "modules.symbols.bin",
  };
  return f;
}

// The database files that differ between two module directories (empty = byte-identical).
inline std::vector<std::string> database_differences(const std::string& a, const std::string& b) {
  std::vector<std::string> diff;
  for (const auto& f : database_files()) {
    auto r = run("cmp -s " + q(a + "/" + f) + " " + q(b + "/" + f));
    if (r.exit_code != 0) diff.push_back(f);
  }
  return diff;
}

// Lines of `rpm -Va` that report a problem (the "use Alien" warnings of Debian's rpm dropped).
// `nodeps`: files only (rpm's dependency part costs ~3 ms a ksym() requires; see solver/installed_check).
inline std::vector<std::string> verify_problems(const std::string& root, bool nodeps = false) {
  auto r = run(rpm_in(root) + "-Va" + (nodeps ? " --nodeps" : "") + " 2>&1");
  std::vector<std::string> out;
  for (auto& l : split_lines(r.out))
    if (!l.empty() && l.find("use Alien") == std::string::npos && l.find("assuming you know") == std::string::npos)
      out.push_back(l);
  return out;
}

// The rpm files of a built repository.
inline std::vector<std::string> repo_rpms(const std::string& repo) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(repo))
    if (e.path().extension() == ".rpm") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace kmpkit::test::pipeline
