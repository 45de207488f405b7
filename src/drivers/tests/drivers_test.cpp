// kmpkit drivers on the real kernel: the offline index agrees with modprobe's alias resolution on the
// shared hardware profiles; a root holding one profile's drivers reports the other profile's missing
// drivers with their packages (oracle: Debian's modprobe on the root and on the whole build); the
// modprobe hint rules stay exact as modules come and go and never shadow an installed module.
#include <gtest/gtest.h>

#include <fnmatch.h>
#include <libkmod.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "drivers/driver_report.hpp"
#include "drivers/missing_rules.hpp"
#include "hardware/device_source.hpp"
#include "hardware/driver_index.hpp"
#include "module/inventory.hpp"
#include "package/plan.hpp"
#include "policy/policy.hpp"
#include "spec/driver_index_file.hpp"
#include "test_env.hpp"

namespace kmpkit::drivers {
namespace {

namespace fs = std::filesystem;
using namespace kmpkit::test;

std::set<std::string> words(const std::string& text) {
  std::set<std::string> out;
  for (const auto& l : split_lines(text))
    if (!l.empty()) out.insert(l);
  return out;
}

std::string module_name(const std::string& path) {
  std::string n = fs::path(path).filename().string();
  n = n.substr(0, n.find('.'));
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

// Shared by all tests: the real kernel's index (default policy), Debian's depmod output for the
// whole build, and a root holding what q35-virtio's devices need.
struct Fixture {
  std::string kver, full, root, no_config;
  hardware::DriverIndex index;
  std::vector<hardware::Device> q35, microvm;
  std::set<std::string> builtin;
  std::map<std::string, std::vector<std::string>> deps;  // module path → dependency paths (full build)
  std::map<std::string, std::string> path_of;            // module name → path

  // Debian's modprobe: the modules an alias resolves to under BASE (names; built-in ones too).
  std::set<std::string> modprobe_resolve(const std::string& base, const std::string& alias) const {
    auto r = run(fmt_cmd(base, alias));
    return words(r.out);
  }
  std::string fmt_cmd(const std::string& base, const std::string& alias) const {
    return "modprobe -C " + shell_quote(no_config) + " -d " + shell_quote(base) + " -S " + kver + " -R " +
           shell_quote(alias) + " 2>/dev/null";
  }

  void install_module(const std::string& name) const {
    const std::string rel = path_of.at(name);
    fs::create_directories(fs::path(root + "/lib/modules/" + kver + "/" + rel).parent_path());
    fs::copy_file(kernel_root() + "/lib/modules/" + kver + "/" + rel, root + "/lib/modules/" + kver + "/" + rel,
                  fs::copy_options::overwrite_existing);
  }
  void depmod_root() const {
    auto r = run("depmod -b " + shell_quote(root) + " " + kver + " 2>&1 | head -c 20000");
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }

  Fixture() {
    kver = kernel_release();
    auto inv = read_inventory(kernel_root(), kver);
    auto loaded = policy::load_policy_file(source_dir() + "/policies/default.toml");
    EXPECT_TRUE(loaded.policy);
    auto plan = package::make_plan(*loaded.policy, inv);
    index = spec::driver_index_of(plan.plan, inv);

    no_config = temp_dir("kmpkit-drivers-noconf");  // the host's modprobe.d must not change the oracle
    // The whole build's database by Debian's depmod (no --outdir in kmod 30: a tree linking the modules).
    full = temp_dir("kmpkit-drivers-full");
    const std::string fullmods = full + "/lib/modules/" + kver;
    fs::create_directories(fullmods);
    fs::create_directory_symlink(kernel_root() + "/lib/modules/" + kver + "/kernel", fullmods + "/kernel");
    for (const char* f : {"modules.builtin", "modules.builtin.modinfo", "modules.order"})
      fs::copy_file(kernel_root() + "/lib/modules/" + kver + "/" + f, fullmods + "/" + f);
    auto d = run("depmod -b " + shell_quote(full) + " " + kver + " 2>&1 | head -c 20000");
    EXPECT_EQ(d.exit_code, 0) << d.out;
    for (const auto& l : split_lines(read_text(fullmods + "/modules.dep"))) {
      auto colon = l.find(':');
      if (colon == std::string::npos) continue;
      std::string p = l.substr(0, colon);
      path_of[module_name(p)] = p;
      std::string rest = l.substr(colon + 1);
      for (size_t s = 0; s < rest.size();) {
        auto e = rest.find(' ', s);
        std::string w = rest.substr(s, e == std::string::npos ? std::string::npos : e - s);
        if (!w.empty()) deps[p].push_back(w);
        if (e == std::string::npos) break;
        s = e + 1;
      }
    }
    for (const auto& l : split_lines(read_text(kernel_root() + "/lib/modules/" + kver + "/modules.builtin")))
      builtin.insert(module_name(l));
    q35 = hardware::read_devices(hw_profiles_dir() + "/q35-virtio/modalias.tsv");
    microvm = hardware::read_devices(hw_profiles_dir() + "/cloud-microvm/modalias.tsv");

    // The root: what q35-virtio's devices resolve to in the whole build, with their dependencies.
    root = temp_dir("kmpkit-drivers-root");
    const std::string mods = root + "/lib/modules/" + kver;
    fs::create_directories(mods);
    for (const char* f : {"modules.builtin", "modules.builtin.modinfo", "modules.order"})
      fs::copy_file(kernel_root() + "/lib/modules/" + kver + "/" + f, mods + "/" + f);
    std::set<std::string> want;
    for (const auto& dev : q35)
      for (const auto& m : modprobe_resolve(full, dev.modalias))
        if (path_of.count(m)) want.insert(path_of[m]);
    std::vector<std::string> todo(want.begin(), want.end());
    while (!todo.empty()) {
      auto p = todo.back();
      todo.pop_back();
      for (const auto& dep : deps[p])
        if (want.insert(dep).second) todo.push_back(dep);
    }
    for (const auto& p : want) install_module(module_name(p));
    depmod_root();
    hardware::write_driver_index(index, root + hardware::driver_index_path(kver));
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

TEST(DriverIndexRealKernel, EveryModuleWithItsPackageAndModprobesMatchOnTheSharedProfiles) {
  auto& f = fixture();
  EXPECT_EQ(f.index.modules.size(), f.path_of.size());  // every module of the build, once
  for (const auto& [name, path] : f.path_of) {
    auto* m = f.index.find_module(name);
    ASSERT_NE(m, nullptr) << name;
    EXPECT_FALSE(m->package.empty()) << name;
  }
  size_t compared = 0;
  for (const auto* devices : {&f.q35, &f.microvm})
    for (const auto& dev : *devices) {
      std::set<std::string> expected;
      for (const auto& m : f.modprobe_resolve(f.full, dev.modalias))
        if (!f.builtin.count(m)) expected.insert(m);
      std::set<std::string> got;
      for (const auto* m : f.index.match(dev.modalias)) got.insert(m->name);
      EXPECT_EQ(got, expected) << dev.modalias;
      ++compared;
    }
  EXPECT_GT(compared, 50u);
  auto* e1000e = f.index.find_module("e1000e");
  ASSERT_NE(e1000e, nullptr);
  EXPECT_EQ(e1000e->package.rfind("e1000e-kmp-", 0), 0u) << e1000e->package;
}

TEST(DriversReport, AnotherMachinesDevicesNameThePackagesTheyLack) {
  auto& f = fixture();
  DriversRequest req;
  req.root = f.root;
  req.devices = f.microvm;
  auto rep = report_drivers(req);
  EXPECT_EQ(rep.kernel, f.kver);
  EXPECT_EQ(rep.index_path, hardware::driver_index_path(f.kver));
  ASSERT_EQ(rep.devices.size(), f.microvm.size());
  size_t lacking = 0;
  for (const auto& d : rep.devices) {
    // Oracle: Debian's modprobe on the root (what is there) and on the whole build (what exists).
    auto there = f.modprobe_resolve(f.root, d.device.modalias);
    std::set<std::string> exists;
    for (const auto& m : f.modprobe_resolve(f.full, d.device.modalias))
      if (!there.count(m) && !f.builtin.count(m)) exists.insert(m);
    std::set<std::string> got_there, got_index;
    for (const auto& c : d.drivers) {
      if (c.state == DriverState::Installed || c.state == DriverState::BuiltIn) got_there.insert(c.module);
      if (c.state == DriverState::InIndex) {
        got_index.insert(c.module);
        EXPECT_EQ(c.package, f.index.find_module(c.module)->package);
      }
      EXPECT_NE(c.state, DriverState::Loaded) << "a root is not the running system";
    }
    EXPECT_EQ(got_there, there) << d.device.modalias;
    EXPECT_EQ(got_index, exists) << d.device.modalias;
    if (!there.empty()) EXPECT_TRUE(d.state == DriverState::Installed || d.state == DriverState::BuiltIn);
    else if (!exists.empty()) {
      EXPECT_EQ(d.state, DriverState::InIndex);
      ++lacking;
    } else EXPECT_EQ(d.state, DriverState::None);
  }
  EXPECT_GT(lacking, 0u) << "cloud-microvm has devices q35-virtio's drivers do not drive (balloon, vsock)";
  std::set<std::string> packages;
  for (const auto& d : rep.devices)
    for (const auto& c : d.drivers)
      if (d.state == DriverState::InIndex && c.state == DriverState::InIndex) packages.insert(c.package);
  auto missing = rep.missing_packages();
  EXPECT_EQ(std::set<std::string>(missing.begin(), missing.end()), packages);
  // Its own devices: nothing lacking.
  req.devices = f.q35;
  for (const auto& d : report_drivers(req).devices)
    EXPECT_TRUE(d.state != DriverState::InIndex && d.state != DriverState::Available) << d.device.modalias;
}

TEST(DriversReport, ARepositoryThatHasThePackageMakesItAvailable) {
  auto& f = fixture();
  DriversRequest req;
  req.root = f.root;
  req.devices = f.microvm;
  auto before = report_drivers(req).missing_packages();
  ASSERT_FALSE(before.empty());
  const std::string offered = before.front();
  auto repo = temp_dir("kmpkit-drivers-repo");
  // The smallest rpm-md metadata that names the package: what repo_package_names reads.
  fs::create_directories(repo + "/repodata");
  write_text(repo + "/repodata/repomd.xml",
             "<repomd><data type=\"primary\"><location href=\"repodata/primary.xml.gz\"/></data></repomd>\n");
  auto r = run("printf '<metadata><package><name>" + offered + "</name></package></metadata>' | gzip > " +
               shell_quote(repo + "/repodata/primary.xml.gz"));
  ASSERT_EQ(r.exit_code, 0);
  req.repos = {repo};
  bool seen = false;
  for (const auto& d : report_drivers(req).devices)
    for (const auto& c : d.drivers)
      if (c.package == offered) {
        EXPECT_EQ(c.state, DriverState::Available) << c.module;
        seen = true;
      } else if (c.state == DriverState::Available) {
        ADD_FAILURE() << c.package << " is not in the repository";
      }
  EXPECT_TRUE(seen);
}

// What kmod itself resolves NAME to in ROOT with the modprobe.d directory CONFIG: module names, sorted.
std::vector<std::string> kmod_lookup(const std::string& moddir, const std::string& config, const std::string& name) {
  const char* configs[] = {config.c_str(), nullptr};
  kmod_ctx* ctx = kmod_new(moddir.c_str(), configs);
  kmod_list* list = nullptr;
  kmod_module_new_from_lookup(ctx, name.c_str(), &list);
  std::vector<std::string> out;
  kmod_list* l = nullptr;
  kmod_list_foreach(l, list) {
    kmod_module* m = kmod_module_get_module(l);
    out.push_back(kmod_module_get_name(m));
    kmod_module_unref(m);
  }
  kmod_module_unref_list(list);
  kmod_unref(ctx);
  std::sort(out.begin(), out.end());
  return out;
}

bool any_pattern_matches(const MissingRules& rules, const std::string& name) {
  for (const auto& p : rules.patterns)
    if (::fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}

TEST(MissingRules, ExactAsModulesComeAndGoAndNeverShadowAnInstalledModule) {
  auto& f = fixture();
  auto rules = missing_driver_rules(f.root);
  const std::string moddir = f.root + "/lib/modules/" + f.kver;
  std::set<std::string> present;
  for (const auto& l : split_lines(read_text(moddir + "/modules.dep")))
    if (!l.empty()) present.insert(module_name(l.substr(0, l.find(':'))));
  std::set<std::string> expected;
  for (const auto& m : f.index.modules)
    if (!present.count(m.name) && !f.builtin.count(m.name)) expected.insert(m.name);
  EXPECT_EQ(std::set<std::string>(rules.modules.begin(), rules.modules.end()), expected);
  // A few hundred globs, not a line per module: kmod parses every line at each start.
  EXPECT_LT(rules.patterns.size(), rules.modules.size() / 5) << rules.patterns.size();
  EXPECT_TRUE(rules.uncovered.empty()) << rules.uncovered.front();
  ASSERT_TRUE(write_missing_driver_rules(f.root, rules));
  EXPECT_FALSE(write_missing_driver_rules(f.root, rules));  // unchanged: not rewritten
  std::cout << rules.modules.size() << " missing modules, " << rules.patterns.size() << " alias patterns, "
            << read_text(f.root + kMissingRulesPath).size() << " bytes\n";

  // kmod's own lookup with and without the rules: whatever resolves today resolves the same (module
  // names, built-in ones, the root's aliases, both profiles' devices, the build's plain-word aliases
  // such as "fs-ext4"), and each missing module resolves to the hint.
  const std::string conf = f.root + "/etc/modprobe.d";
  std::set<std::string> names(present.begin(), present.end());
  names.insert(f.builtin.begin(), f.builtin.end());
  for (const auto& d : f.q35) names.insert(d.modalias);
  for (const auto& d : f.microvm) names.insert(d.modalias);
  for (const auto& a : f.index.aliases)
    if (a.pattern.find_first_of("*?[") == std::string::npos) names.insert(a.pattern);
  for (const auto& l : split_lines(read_text(moddir + "/modules.alias")))
    if (l.starts_with("alias ") && l.find_first_of("*?[") == std::string::npos) names.insert(l.substr(6, l.find(' ', 6) - 6));
  size_t resolving = 0;
  for (const auto& name : names) {
    auto without = kmod_lookup(moddir, f.no_config, name);
    if (without.empty()) continue;
    ++resolving;
    EXPECT_EQ(kmod_lookup(moddir, conf, name), without) << name;
  }
  EXPECT_GT(resolving, 500u);
  for (const auto& m : rules.modules) EXPECT_EQ(kmod_lookup(moddir, conf, m), std::vector<std::string>{kHintModule}) << m;

  auto dry = [&](const std::string& m) {
    return run("modprobe -n -v -d " + shell_quote(f.root) + " -C " + shell_quote(conf) + " -S " + f.kver + " " + m +
               " 2>&1");
  };
  auto absent = dry("e1000e");
  EXPECT_NE(absent.out.find("install /usr/bin/kmpkit drivers --modprobe-hint"), std::string::npos) << absent.out;
  auto there = dry("virtio_net");
  EXPECT_EQ(there.out.find("--modprobe-hint"), std::string::npos) << there.out;
  EXPECT_NE(there.out.find("insmod"), std::string::npos) << there.out;

  auto hint = modprobe_hint(f.root, f.kver, "e1000e");
  EXPECT_EQ(hint.kind, ModprobeHint::Kind::Missing);
  EXPECT_NE(hint.message.find("zypper install " + f.index.find_module("e1000e")->package), std::string::npos);
  EXPECT_EQ(modprobe_hint(f.root, f.kver, "e1000e_nonsense").kind, ModprobeHint::Kind::Unknown);
  // An alias of a missing module names its package too.
  auto xfs = modprobe_hint(f.root, f.kver, "fs-xfs");
  EXPECT_EQ(xfs.kind, ModprobeHint::Kind::Missing);
  EXPECT_NE(xfs.message.find(f.index.find_module("xfs")->package), std::string::npos) << xfs.message;

  // Installing the module takes it out of every pattern; removing it puts it back.
  f.install_module("e1000e");
  f.depmod_root();
  auto after = missing_driver_rules(f.root);
  ASSERT_TRUE(write_missing_driver_rules(f.root, after));
  EXPECT_FALSE(any_pattern_matches(after, "e1000e"));
  EXPECT_EQ(modprobe_hint(f.root, f.kver, "e1000e").kind, ModprobeHint::Kind::Present);  // the hint loads it
  EXPECT_NE(dry("e1000e").out.find("insmod"), std::string::npos);
  fs::remove(moddir + "/" + f.path_of.at("e1000e"));
  f.depmod_root();
  auto back = missing_driver_rules(f.root);
  ASSERT_TRUE(write_missing_driver_rules(f.root, back));
  EXPECT_TRUE(any_pattern_matches(back, "e1000e"));
  EXPECT_EQ(back.text, rules.text);
}

TEST(DriversCommand, JsonReportRulesAndTheHint) {
  auto& f = fixture();
  const std::string kmpkit = kmpkit_binary();
  auto profile = hw_profiles_dir() + "/cloud-microvm/modalias.tsv";
  auto r = run(kmpkit + " drivers --root " + shell_quote(f.root) + " --hardware " + shell_quote(profile) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"missing_packages\""), std::string::npos);
  EXPECT_NE(r.out.find("\"state\": \"in-index\""), std::string::npos) << r.out.substr(0, 2000);
  auto human = run(kmpkit + " drivers --root " + shell_quote(f.root) + " --hardware " + shell_quote(profile) + " --missing");
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("kmpkit drivers --install --root " + f.root), std::string::npos) << human.out;
  // The hint as modprobe runs it: the rules with this kmpkit, the asked name read from modprobe's
  // command line (its -d and -S too).
  write_missing_driver_rules(f.root, missing_driver_rules(f.root));
  auto conf = temp_dir("kmpkit-drivers-hintconf");
  std::string rules = read_text(f.root + kMissingRulesPath);
  rules.replace(rules.find("/usr/bin/kmpkit"), std::string("/usr/bin/kmpkit").size(), kmpkit);
  write_text(conf + "/90-kmpkit-missing-drivers.conf", rules);
  const std::string modprobe = "modprobe -C " + shell_quote(conf) + " -d " + shell_quote(f.root) + " -S " + f.kver;
  auto hint = run(modprobe + " e1000e");
  EXPECT_NE(hint.exit_code, 0);
  EXPECT_NE(hint.err.find("kmpkit: module e1000e is not installed for " + f.kver + ": package " +
                          f.index.find_module("e1000e")->package),
            std::string::npos)
      << hint.err;
  auto quiet = run(modprobe + " -q e1000e");
  EXPECT_NE(quiet.exit_code, 0);
  EXPECT_EQ(quiet.err, "");
  auto unknown = run(modprobe + " e1000e_nonsense");
  EXPECT_NE(unknown.err.find("Module e1000e_nonsense not found"), std::string::npos) << unknown.err;
  auto direct = run("MODPROBE_MODULE=kmpkit_hint " + kmpkit + " drivers --modprobe-hint");
  EXPECT_EQ(direct.exit_code, 3);  // no modprobe parent: no name to hint
  auto bad = run(kmpkit + " drivers --root " + shell_quote(f.root) + " --kernel 9.9.9-nope --hardware " + shell_quote(profile));
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_NE(bad.err.find("installed: " + f.kver), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace kmpkit::drivers
