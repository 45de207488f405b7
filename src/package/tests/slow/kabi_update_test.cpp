// The kabi naming scheme end to end, on two real Debian kernel ABIs picked at run time
// (scripts/fetch-kernel-pair.sh): ABI A packaged whole, ABI B packaged with A's repository as
// baseline (only KMPs whose KABI changed are built), then zypper in a private root: the q35-virtio
// machine's KMPs for A, `zypper up` to B (B beside A; A's compatible KMPs serve B through
// weak-updates without reinstall, the others come as B's builds), a KMP version update in place,
// and the removal of kernel A. After every step kmpkit verify is clean and each kernel's module
// database is byte-identical to Debian's depmod of the same tree.
#include <gtest/gtest.h>

#include <chrono>
#include <tuple>
#include <iostream>
#include <nlohmann/json.hpp>

#include "kabi_support.hpp"

namespace kmpkit::test {
namespace {

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
  ASSERT_EQ(pl::zypper_add_repo(r.dir, rb.repo, "b").exit_code, 0);
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
  // Every module of the machine resolves for both kernels (issue 18).
  for (const Kernel* k : {&a, &b}) {
    auto unresolved = ground_truth_unresolved(r.dir, k->kver);
    EXPECT_TRUE(unresolved.empty()) << k->kver << ": " << unresolved.front();
  }
  std::cout << "zypper up to " << b.kver << " (partial KABI change): downloads " << zypper_download_bytes(up.out) / 1e6
            << " MB\n";

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
  ASSERT_EQ(pl::zypper_add_repo(r.dir, rc.repo, "c").exit_code, 0);
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
  ASSERT_EQ(pl::zypper_add_repo(r.dir, rb.repo, "b").exit_code, 0);
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

// Issue 18: kernel updates with the shipped defaults. Three consecutive kernels without a KABI
// change (A, B, C): B's and C's repositories hold only their kernel (every KMP of A keeps its
// KABI id); `zypper up` installs each new kernel beside the running one (the kernel package ships
// the multiversion setting), every module of the machine resolves for every kernel, verify is
// clean; then kmpkit purge-kernels keeps the newest, the one before and the running one: not
// while an older kernel runs, and after C has booted only A's kernel package goes, while A's KMP
// builds stay, serving B and C.
TEST(KabiScheme, UnchangedKabiPublishesOnlyTheKernelAndPurgeKeepsTwo) {
  auto chain = kernel_chain();
  if (chain.empty()) GTEST_SKIP() << "the registry offers no three consecutive ABIs without a KABI change";
  const Kernel &a = chain[0], &b = chain[1], &c = chain[2];
  Repo ra = package(a, "a", "--host-base");
  Repo rb = package(b, "b-after-" + a.kver, "--baseline " + q(ra.repo));
  Repo rc = package(c, "c-after-" + b.kver, "--baseline " + q(ra.repo) + " --baseline " + q(rb.repo));
  for (const Repo* rr : {&rb, &rc}) {
    auto names = package_names_in(rr->repo);
    std::set<std::string> kmps;
    for (const auto& n : names)
      if (n.find("-kmp-") != std::string::npos) kmps.insert(n);
    // Every module keeps its KABI id: the repository has its kernel and patterns, no KMP.
    EXPECT_EQ(kmps, std::set<std::string>{});
    EXPECT_TRUE(names.count("kernel-amd64"));
  }
  std::cout << b.kver << " and " << c.kver << " after " << a.kver << ": " << rb.manifest["kmps_not_built"].size()
            << " KMPs of " << a.kver << " serve them\n";

  Root r = make_root(ra.repo);
  ASSERT_EQ(pl::zypper_add_repo(r.dir, ra.repo).exit_code, 0);
  auto in = zypper(r, "in kernel-amd64");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  // The setting that keeps kernels side by side comes with the kernel package.
  EXPECT_EQ(pl::read_text(r.dir + "/etc/zypp/multiversion.d/kmpkit-kernels.conf"), "provides:multiversion(kernel)\n");
  auto before = installed_state(r);
  for (const auto& [repo, name, k] : {std::tuple{&rb, "b", &b}, std::tuple{&rc, "c", &c}}) {
    ASSERT_EQ(pl::zypper_add_repo(r.dir, repo->repo, name).exit_code, 0);
    auto up = zypper(r, "up");
    ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
    std::cout << "zypper up to " << k->kver << " (no KABI change): downloads " << zypper_download_bytes(up.out) / 1e6
              << " MB\n";
  }
  auto after = installed_state(r);
  EXPECT_EQ(std::count(after["kernel-amd64"].begin(), after["kernel-amd64"].end(), ';'), 2) << after["kernel-amd64"];
  size_t modules_a = pl::installed_module_paths(r.dir, a.kver).size();
  for (const Kernel* k : {&b, &c}) EXPECT_EQ(weak_links(r, k->kver).size(), modules_a) << k->kver;
  for (const auto& [n, st] : before)
    if (n != "kernel-amd64") EXPECT_EQ(after[n], st) << n;
  for (const Kernel* k : {&a, &b, &c}) {
    auto unresolved = ground_truth_unresolved(r.dir, k->kver);
    EXPECT_TRUE(unresolved.empty()) << k->kver << ": " << unresolved.front();
  }
  auto v = verify_json(r);
  EXPECT_EQ(v["kernels"].size(), 3u);
  expect_database_like_depmod(r, c.kver);

  // The purge: never while an older kernel runs (a fallback boot), then A goes once C runs.
  auto purge = [&](const std::string& running) {
    auto res = run(q(kmpkit_binary()) + " purge-kernels --json --root " + q(r.dir) + " --running " + q(running));
    EXPECT_EQ(res.exit_code, 0) << res.out << res.err;
    auto at = res.out.rfind("\n{");  // the JSON object is the last thing printed
    return nlohmann::json::parse(res.out.substr(at == std::string::npos ? res.out.find('{') : at + 1));
  };
  auto held = purge(a.kver);
  EXPECT_FALSE(held["done"].get<bool>());
  EXPECT_EQ(installed_state(r)["kernel-amd64"], after["kernel-amd64"]);
  auto done = purge(c.kver);
  EXPECT_TRUE(done["done"].get<bool>()) << done;
  EXPECT_EQ(done["remove"], nlohmann::json::array({a.kver}));
  auto last = installed_state(r);
  EXPECT_EQ(std::count(last["kernel-amd64"].begin(), last["kernel-amd64"].end(), ';'), 1) << last["kernel-amd64"];
  for (const auto& [n, st] : before)
    if (n != "kernel-amd64") EXPECT_EQ(last[n], st) << n << " (A's builds serve B and C)";
  for (const Kernel* k : {&b, &c}) {
    auto unresolved = ground_truth_unresolved(r.dir, k->kver);
    EXPECT_TRUE(unresolved.empty()) << k->kver << ": " << unresolved.front();
  }
  auto v2 = verify_json(r);
  EXPECT_EQ(v2["kernels"].size(), 2u);
  expect_database_like_depmod(r, c.kver);
}

}  // namespace
}  // namespace kmpkit::test
