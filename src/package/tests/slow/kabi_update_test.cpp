// The kabi naming scheme end to end, on two real Debian kernel ABIs picked at run time
// (scripts/fetch-kernel-pair.sh): ABI A packaged whole, ABI B packaged with A's repository as
// baseline (only KMPs whose KABI changed are built), then zypper in a private root: the q35-virtio
// machine's KMPs for A, `zypper up` to B (B beside A; A's compatible KMPs serve B through
// weak-updates without reinstall, the others come as B's builds), a KMP version update in place,
// and the removal of kernel A. After every step kmpkit verify is clean and each kernel's module
// database is byte-identical to Debian's depmod of the same tree.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "../pipeline_support.hpp"

namespace kmpkit::test {
namespace {

namespace pl = pipeline;
namespace fs = std::filesystem;
using pl::q;

struct Kernel {
  std::string root, kver;
};

// The pair of a fetch-kernel-pair.sh mode; ok = false when the registry has none.
std::pair<Kernel, Kernel> kernel_pair(const std::string& mode, bool& ok) {
  auto roots = kernel_pair_roots(mode);
  ok = roots.has_value();
  if (!ok) return {};
  return {{roots->first, release_of_root(roots->first)}, {roots->second, release_of_root(roots->second)}};
}

// The shipped default policy with the kabi naming scheme.
std::string kabi_policy() {
  std::string text = pl::read_text(source_dir() + "/policies/default.toml");
  auto pos = text.find("[naming]\n");
  if (pos == std::string::npos) throw std::runtime_error("default.toml has no [naming]");
  text.insert(pos + 9, "scheme = \"kabi\"\n");
  std::string path = temp_dir("kmpkit-kabi-policy") + "/kabi.toml";
  pl::write_text(path, text);
  return path;
}

struct Repo {
  std::string split, repo;
  nlohmann::json manifest;
};

// `kmpkit package` of a kernel with the kabi policy (cached per kmpkit binary under the kmpkit cache).
Repo package(const Kernel& k, const std::string& tag, const std::string& extra_args) {
  std::string dir = pl::cached_dir(
      pl::cache_base() + "/kabi-" + tag + "-" + k.kver + "-" + pl::binary_key(),
      [&](const std::string& tmp) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = run(q(kmpkit_binary()) + " package --policy " + q(kabi_policy()) + " -b " + q(k.root) + " " +
                     q(k.kver) + " --out " + q(tmp + "/split") + " " + extra_args);
        if (r.exit_code != 0) throw std::runtime_error("kmpkit package failed: " + r.out + r.err);
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        pl::write_text(tmp + "/package.out", r.out + "seconds " + std::to_string(secs) + "\n");
      },
      "kabi-" + tag + "-" + k.kver + "-");
  Repo repo{dir + "/split", dir + "/split/repo", {}};
  repo.manifest = nlohmann::json::parse(pl::read_text(repo.split + "/kmpkit-split.json"));
  std::cout << "== " << tag << " " << k.kver << ": " << dir << "\n" << pl::read_text(dir + "/package.out");
  return repo;
}

std::set<std::string> package_names_in(const std::string& repo) {
  std::set<std::string> out;
  auto r = run("find " + q(repo) + " -name '*.rpm' -print0 | xargs -0 rpm -qp --qf '%{NAME}\\n' 2>/dev/null");
  for (auto& l : split_lines(r.out))
    if (!l.empty()) out.insert(l);
  return out;
}

// A root for zypper: rpm database, multiversion kernels (read from the root's own zypp config),
// the host base (/bin/sh, kmpkit, depmod for the scriptlets), q35-virtio's devices.
struct Root {
  std::string dir, sysfs;
};

Root make_root(const std::string& host_base_repo) {
  Root r{pl::new_root("kmpkit-kabi-root"), ""};
  pl::write_text(r.dir + "/etc/zypp/multiversion.d/kernel.conf", "provides:multiversion(kernel)\n");
  std::string profiles = hw_profiles_dir();
  r.sysfs = temp_dir("kmpkit-kabi-sysfs");
  for (auto& l : split_lines(pl::read_text(profiles + "/q35-virtio/modalias.tsv"))) {
    auto tab = l.find('\t');
    if (tab == std::string::npos) continue;
    pl::write_text(r.sysfs + l.substr(0, tab), l.substr(tab + 1) + "\n");
  }
  auto hb = run(pl::rpm_in(r.dir) + "-i " + q(host_base_repo) + "/x86_64/kmpkit-host-base-*.rpm 2>&1");
  EXPECT_EQ(hb.exit_code, 0) << hb.out;
  return r;
}

CommandResult zypper(const Root& r, const std::string& args) { return pl::zypper(r.dir, args, r.sysfs); }

// name → "version-release installtime" of the installed packages.
std::map<std::string, std::string> installed_state(const Root& r) {
  std::map<std::string, std::string> out;
  auto res = run(pl::rpm_in(r.dir) + "-qa --qf '%{NAME} %{VERSION}-%{RELEASE} %{INSTALLTIME}\\n'");
  for (auto& l : split_lines(res.out)) {
    auto sp = l.find(' ');
    if (sp != std::string::npos) out[l.substr(0, sp)] += (out[l.substr(0, sp)].empty() ? "" : ";") + l.substr(sp + 1);
  }
  return out;
}

nlohmann::json verify_json(const Root& r) {
  auto v = run(q(kmpkit_binary()) + " verify --json --root " + q(r.dir));
  EXPECT_EQ(v.exit_code, 0) << run(q(kmpkit_binary()) + " verify --root " + q(r.dir)).out;
  return nlohmann::json::parse(v.out);
}

// Debian's depmod on a copy of the root's whole lib/modules (weak-updates links are relative and
// lead into other kernels' directories), compared with the database the triggers left.
void expect_database_like_depmod(const Root& r, const std::string& kver) {
  std::string out = temp_dir("kmpkit-kabi-depmod");
  fs::create_directories(out + "/lib");
  ASSERT_EQ(run("cp -a " + q(r.dir + "/lib/modules") + " " + q(out + "/lib/")).exit_code, 0);
  auto d = run("timeout 300 /sbin/depmod -b " + q(out) + " " + q(kver) + " 2>&1 | head -c 100000");
  ASSERT_TRUE(fs::exists(out + "/lib/modules/" + kver + "/modules.dep")) << d.out;
  EXPECT_EQ(pl::database_differences(r.dir + "/lib/modules/" + kver, out + "/lib/modules/" + kver),
            std::vector<std::string>{})
      << kver;
  // And depmod finds every symbol with its CRC (weak-updates modules included).
  auto e = run("timeout 300 /sbin/depmod -n -e -E " + q(r.dir + "/lib/modules/" + kver + "/Module.symvers") + " -b " +
               q(out) + " " + q(kver) + " 2>&1 >/dev/null | head -c 100000");
  EXPECT_EQ(e.out, "") << kver;
}

// verify's warnings other than missing firmware (the root has no firmware packages).
size_t warnings_but_firmware(const nlohmann::json& v) {
  size_t n = 0;
  for (const auto& k : v["kernels"])
    for (const auto& f : k["findings"]) n += f["severity"] == "warning" && f["check"] != "firmware";
  for (const auto& st : v["module_stores"]) n += st["unused"].size();
  return n;
}

std::set<std::string> weak_links(const Root& r, const std::string& kver) {
  std::set<std::string> out;
  std::string dir = r.dir + "/lib/modules/" + kver + "/weak-updates";
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_symlink()) {
      EXPECT_TRUE(fs::exists(e.path())) << "dangling " << e.path();
      out.insert(e.path().string().substr(dir.size() + 1));
    }
  return out;
}

TEST(KabiScheme, ZypperUpdateAcrossAPartialKabiChange) {
  bool ok = false;
  auto [a, b] = kernel_pair("partial", ok);
  if (!ok) GTEST_SKIP() << "the registry offers no pair of ABIs with a partial KABI change";
  Repo ra = package(a, "a", "--host-base");
  Repo rb = package(b, "b-after-" + a.kver, "--baseline " + q(ra.repo));
  auto names_a = package_names_in(ra.repo), names_b = package_names_in(rb.repo);

  // B publishes only what changed: every KMP it leaves out is in A's repository, every KMP it
  // builds is new (a new KABI), and it has its kernel.
  size_t kmps_b = rb.manifest["specs"].size();
  std::set<std::string> not_built(rb.manifest["kmps_not_built"].begin(), rb.manifest["kmps_not_built"].end());
  for (const auto& n : not_built) EXPECT_TRUE(names_a.count(n)) << n;
  for (const auto& n : names_b)
    if (n.find("-kmp-") != std::string::npos) EXPECT_FALSE(names_a.count(n)) << n;
  EXPECT_TRUE(names_b.count("kernel-amd64"));
  EXPECT_GT(not_built.size(), 0u);
  std::cout << "B builds " << names_b.size() << " packages in " << kmps_b << " specs; " << not_built.size()
            << " KMPs of A keep their KABI and are not rebuilt\n";

  Root r = make_root(ra.repo);
  ASSERT_EQ(pl::zypper_add_repo(r.dir, ra.repo).exit_code, 0);
  auto in = zypper(r, "in kernel-amd64");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  auto before = installed_state(r);
  std::set<std::string> kmps_a;
  for (const auto& [n, s] : before)
    if (n.find("-kmp-") != std::string::npos) kmps_a.insert(n);
  ASSERT_GT(kmps_a.size(), 20u);
  verify_json(r);
  expect_database_like_depmod(r, a.kver);

  // zypper up with B's repository: B beside A.
  ASSERT_EQ(zypper(r, "ar -G " + q("file://" + rb.repo) + " b").exit_code, 0);
  auto up = zypper(r, "up");
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto after = installed_state(r);
  ASSERT_NE(after["kernel-amd64"].find(';'), std::string::npos) << "two kernels: " << after["kernel-amd64"];
  auto links = weak_links(r, b.kver);
  size_t served = 0, replaced = 0;
  for (const auto& n : kmps_a) {
    // Every KMP of A stays, untouched (same version, same install time).
    EXPECT_EQ(after[n], before[n]) << n;
    std::string base = n.substr(0, n.rfind('-'));
    if (not_built.count(n)) {
      // Compatible: serves B through weak-updates, its modules linked.
      auto files = split_lines(run(pl::rpm_in(r.dir) + "-ql " + q(n)).out);
      for (const auto& f : files) {
        std::string prefix = "/lib/modules/" + a.kver + "/";
        if (f.find(".ko") == std::string::npos) continue;
        EXPECT_TRUE(links.count(f.substr(prefix.size()))) << f << " not linked for " << b.kver;
      }
      ++served;
    } else {
      // Not compatible: B's own build of it (another KABI, same base name) is installed.
      auto who = run(pl::rpm_in(r.dir) + "-q --whatprovides " + q(base) + " --qf '%{NAME}\\n'");
      auto owners = split_lines(who.out);
      EXPECT_EQ(owners.size(), 2u) << base << ": " << who.out;
      ++replaced;
    }
  }
  std::cout << "after zypper up: " << served << " KMPs of A serve " << b.kver << " through " << links.size()
            << " weak-updates links, " << replaced << " replaced by " << b.kver << "'s builds\n";
  EXPECT_GT(served, 0u);
  EXPECT_GT(replaced, 0u);
  auto v = verify_json(r);
  EXPECT_EQ(v["kernels"].size(), 2u);
  expect_database_like_depmod(r, a.kver);
  expect_database_like_depmod(r, b.kver);

  // A KMP version update with the same KABI: in place (same name, newer release).
  std::string target;
  for (const auto& n : names_b)
    if (n.find("-kmp-") != std::string::npos && after.count(n)) {
      target = n;
      break;
    }
  ASSERT_FALSE(target.empty());
  std::string base = target.substr(0, target.rfind('-'));
  std::string release = rb.manifest["release"].get<std::string>() + ".1";
  Repo rc = package(b, "c-" + base, "--only " + q(base) + " --release " + release);
  EXPECT_EQ(package_names_in(rc.repo), std::set<std::string>{target});
  ASSERT_EQ(zypper(r, "ar -G " + q("file://" + rc.repo) + " c").exit_code, 0);
  auto up2 = zypper(r, "up");
  ASSERT_EQ(up2.exit_code, 0) << up2.out << up2.err;
  auto updated = installed_state(r);
  EXPECT_EQ(updated[target].substr(0, updated[target].find(' ')),
            rb.manifest["version"].get<std::string>() + "-" + release)
      << updated[target];
  EXPECT_EQ(updated.size(), after.size());
  verify_json(r);
  expect_database_like_depmod(r, b.kver);

  // Removing kernel A: B stays consistent; A's KMPs that serve B stay with their files.
  std::string a_evr = ra.manifest["version"].get<std::string>() + "-" + ra.manifest["release"].get<std::string>();
  auto rm = zypper(r, "rm " + q("kernel-amd64 = " + a_evr));
  ASSERT_EQ(rm.exit_code, 0) << rm.out << rm.err;
  auto last = installed_state(r);
  EXPECT_EQ(last["kernel-amd64"].find(';'), std::string::npos) << last["kernel-amd64"];
  auto v2 = verify_json(r);
  ASSERT_EQ(v2["kernels"].size(), 1u);
  EXPECT_EQ(v2["kernels"][0]["kver"], b.kver);
  EXPECT_EQ(weak_links(r, b.kver), links);
  // What stays of A's directory serves B, except builds of A that B replaced by its own (B does
  // not declare them): verify names those as unused, and warns about nothing else.
  size_t unused = 0;
  for (const auto& st : v2["module_stores"]) unused += st["unused"].size();
  EXPECT_EQ(warnings_but_firmware(v2), unused) << run(q(kmpkit_binary()) + " verify --root " + q(r.dir)).out;
  for (const auto& st : v2["module_stores"])
    for (const auto& u : st["unused"]) {
      auto owner = split_lines(run(pl::rpm_in(r.dir) + "-qf --qf '%{NAME}\\n' " +
                                   q("/lib/modules/" + a.kver + "/" + u.get<std::string>())).out);
      ASSERT_EQ(owner.size(), 1u) << u;
      EXPECT_FALSE(not_built.count(owner[0])) << owner[0] << " is one of " << b.kver << "'s KMPs";
    }
  std::cout << "after removing " << a.kver << ": " << unused << " module(s) of builds " << b.kver
            << " replaced stay installed unused (verify warns)\n";
  EXPECT_FALSE(fs::exists(r.dir + "/lib/modules/" + a.kver + "/modules.dep"));
  expect_database_like_depmod(r, b.kver);
}

TEST(KabiScheme, FreshInstallFromBothRepositoriesTakesOnlyTheNewKernelsBuilds) {
  bool ok = false;
  auto [a, b] = kernel_pair("partial", ok);
  if (!ok) GTEST_SKIP() << "the registry offers no pair of ABIs with a partial KABI change";
  Repo ra = package(a, "a", "--host-base");
  Repo rb = package(b, "b-after-" + a.kver, "--baseline " + q(ra.repo));
  auto names_b = package_names_in(rb.repo);
  std::set<std::string> kept(rb.manifest["kmps_not_built"].begin(), rb.manifest["kmps_not_built"].end());
  Root r = make_root(ra.repo);
  ASSERT_EQ(pl::zypper_add_repo(r.dir, ra.repo).exit_code, 0);
  ASSERT_EQ(zypper(r, "ar -G " + q("file://" + rb.repo) + " b").exit_code, 0);
  auto in = zypper(r, "in kernel-amd64");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  auto state = installed_state(r);
  EXPECT_EQ(state["kernel-amd64"].find(';'), std::string::npos) << state["kernel-amd64"];
  size_t kmps = 0;
  for (const auto& [n, s] : state)
    if (n.find("-kmp-") != std::string::npos) {
      ++kmps;
      EXPECT_TRUE(names_b.count(n) || kept.count(n)) << n << " is a build for " << a.kver << " only";
    }
  EXPECT_GT(kmps, 20u);
  auto v = verify_json(r);
  EXPECT_EQ(warnings_but_firmware(v), 0u) << run(q(kmpkit_binary()) + " verify --root " + q(r.dir)).out;
  expect_database_like_depmod(r, b.kver);
}

TEST(KabiScheme, UnchangedKabiPublishesOnlyTheKernel) {
  bool ok = false;
  auto [a, b] = kernel_pair("zero", ok);
  if (!ok) GTEST_SKIP() << "the registry offers no pair of ABIs without a KABI change";
  Repo ra = package(a, "a", "--host-base");
  Repo rb = package(b, "b-after-" + a.kver, "--baseline " + q(ra.repo));
  auto names_b = package_names_in(rb.repo);
  std::set<std::string> kmps_b;
  for (const auto& n : names_b)
    if (n.find("-kmp-") != std::string::npos) kmps_b.insert(n);
  // Every module keeps its KABI id: B's repository has its kernel and patterns, no KMP.
  EXPECT_EQ(kmps_b, std::set<std::string>{});
  EXPECT_TRUE(names_b.count("kernel-amd64"));
  std::cout << b.kver << " after " << a.kver << ": " << names_b.size() << " packages built, "
            << rb.manifest["kmps_not_built"].size() << " KMPs of " << a.kver << " serve it\n";

  Root r = make_root(ra.repo);
  ASSERT_EQ(pl::zypper_add_repo(r.dir, ra.repo).exit_code, 0);
  ASSERT_EQ(zypper(r, "in kernel-amd64").exit_code, 0);
  auto before = installed_state(r);
  ASSERT_EQ(zypper(r, "ar -G " + q("file://" + rb.repo) + " b").exit_code, 0);
  auto up = zypper(r, "up");
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  auto after = installed_state(r);
  ASSERT_NE(after["kernel-amd64"].find(';'), std::string::npos) << after["kernel-amd64"];
  size_t modules_a = pl::installed_module_paths(r.dir, a.kver).size();
  EXPECT_EQ(weak_links(r, b.kver).size(), modules_a);
  for (const auto& [n, s] : before)
    if (n != "kernel-amd64") EXPECT_EQ(after[n], s) << n;
  auto v = verify_json(r);
  EXPECT_EQ(v["kernels"].size(), 2u);
  expect_database_like_depmod(r, b.kver);
}

}  // namespace
}  // namespace kmpkit::test
