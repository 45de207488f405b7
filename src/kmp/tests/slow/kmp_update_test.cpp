// Issue 11, part 3: external KMPs (kmpkit kmp build of Debian's vpoll-dkms and acpi-call-dkms)
// across a real kernel update with zypper, in a private root. Kernel A and the KMPs built for A;
// `zypper up` to kernel B (a real ABI pair with a partial KABI change, picked at run time:
// -53 -> -54 keeps acpi-call's interface and changes vpoll's). The KMP whose KABI fits B serves it
// through weak-updates, with no new package; the one that does not is named at the end of the
// zypper transaction and by kmpkit verify, with the exact command that builds it for B; that
// command adds a package beside A's build and each kernel keeps the build that fits it; removing
// kernel A leaves B's modules working. Only the kernel packages are made (`--only kernel-amd64`,
// cached per kmpkit binary), so the test spends its time on the three driver builds and zypper.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

#include "kmp/tests/slow/dkms_sources.hpp"
#include "package/tests/slow/kabi_support.hpp"

namespace kmpkit::test {
namespace {

struct Driver {
  std::string dkms_package, base, module;  // vpoll-dkms, vpoll-kmp-amd64, vpoll
  std::string package_a;                   // its build for kernel A
};

// kmpkit kmp build --json of one source for one kernel root; the package it made.
std::string build_kmp(const std::string& src, const std::string& kernel_root, const std::string& repo) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = run(q(kmpkit_binary()) + " kmp build " + q(src) + " -b " + q(kernel_root) + " --out " + q(repo) + " --json");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return {};
  auto j = nlohmann::json::parse(r.out);
  std::string rpm = j["rpms"].back().get<std::string>();
  std::cout << "== " << j["package"].get<std::string>() << " (" << fs::path(src).filename().string() << " for "
            << j["kver"].get<std::string>() << ") built in " << secs << " s (compile " << j["compile_seconds"]
            << " s, package " << j["package_seconds"] << " s)\n"
            << run("rpm -qp --provides --requires --supplements " + q(rpm) + " 2>/dev/null").out;
  return j["package"];
}

// The file modprobe loads for MODULE in KVER's tree of the root (modprobe --show-depends), without
// the root prefix; and the file it really is (links followed).
std::pair<std::string, std::string> modprobe_file(const std::string& root, const std::string& kver, const std::string& module) {
  auto r = run("modprobe -d " + q(root) + " -S " + q(kver) + " --show-depends " + q(module) + " 2>&1");
  std::string last;
  for (const auto& l : split_lines(r.out))
    if (l.rfind("insmod ", 0) == 0) last = l.substr(7, l.find(' ', 7) - 7);
  if (last.rfind(root, 0) != 0) return {r.out, ""};
  std::error_code ec;
  std::string real = fs::canonical(last, ec).string();
  return {last.substr(root.size()), ec ? "" : real.substr(root.size())};
}

// The external KMPs' services from verify --json: "base kver" -> how.
std::map<std::string, std::string> services(const nlohmann::json& v) {
  std::map<std::string, std::string> out;
  for (const auto& s : v["external_kmps"]) out[s["base_name"].get<std::string>() + " " + s["kver"].get<std::string>()] = s["how"];
  return out;
}

size_t findings_of_kind(const nlohmann::json& v, const std::string& kind) {
  size_t n = 0;
  for (const auto& k : v["kernels"])
    for (const auto& f : k["findings"]) n += f["kind"] == kind;
  return n;
}

nlohmann::json verify_any(const Root& r) {
  return nlohmann::json::parse(run(q(kmpkit_binary()) + " verify --json --root " + q(r.dir)).out);
}

TEST(RealDkms, KernelUpdateWithZypperKeepsTheFittingKmpAndNamesTheRebuild) {
  bool ok = false;
  auto [a, b] = kernel_pair("partial", ok);
  if (!ok) GTEST_SKIP() << "the registry offers no pair of ABIs with a partial KABI change";
  ASSERT_FALSE(dkms_sources().empty()) << "scripts/fetch-dkms-sources.sh failed (apt-get download)";
  auto t0 = std::chrono::steady_clock::now();
  Repo ka = package(a, "kernel-only-a", "--only kernel-amd64 --host-base");
  Repo kb = package(b, "kernel-only-b", "--only kernel-amd64");
  const std::string kmps = temp_dir("kmpkit-kmp-update") + "/kmps";
  std::vector<Driver> drivers = {{"vpoll-dkms", "vpoll-kmp-amd64", "vpoll", ""},
                                 {"acpi-call-dkms", "acpi-call-kmp-amd64", "acpi_call", ""}};
  for (auto& d : drivers) {
    d.package_a = build_kmp(dkms_source(d.dkms_package), a.root, kmps);
    ASSERT_FALSE(d.package_a.empty()) << d.dkms_package;
  }

  // Kernel A with both KMPs.
  Root r = make_root(ka.repo);
  ASSERT_EQ(pl::zypper_add_repo(r.dir, ka.repo).exit_code, 0);
  ASSERT_EQ(pl::zypper_add_repo(r.dir, kmps, "kmps").exit_code, 0);
  auto in = zypper(r, "in kernel-amd64 vpoll-kmp-amd64 acpi-call-kmp-amd64");
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  auto before = installed_state(r);
  for (const auto& d : drivers) EXPECT_TRUE(before.count(d.package_a)) << d.package_a;
  auto v0 = verify_json(r);
  for (const auto& d : drivers) EXPECT_EQ(services(v0)[d.base + " " + a.kver], "own-build") << v0["external_kmps"];

  // zypper up to kernel B: only the kernel comes; what fits B serves it, what does not is named.
  ASSERT_EQ(pl::zypper_add_repo(r.dir, kb.repo, "b").exit_code, 0);
  auto up = zypper(r, "up");
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  std::cout << "== zypper up to " << b.kver << ":\n" << up.out << up.err;
  auto after = installed_state(r);
  ASSERT_NE(after["kernel-amd64"].find(';'), std::string::npos) << "two kernels: " << after["kernel-amd64"];
  EXPECT_EQ(after.size(), before.size()) << "no package but the kernel";
  for (const auto& [n, st] : before)
    if (n != "kernel-amd64") {
      EXPECT_EQ(after[n], st) << n << " untouched";
    }
  auto links = weak_links(r, b.kver);
  auto v1 = verify_any(r);
  std::vector<const Driver*> fitting, not_fitting;
  std::string command;  // the one the transaction printed
  for (const auto& d : drivers) {
    bool linked = links.count("updates/" + d.module + ".ko") > 0;
    (linked ? fitting : not_fitting).push_back(&d);
    std::string said = "kmpkit refresh: " + d.package_a + " (";
    size_t at = (up.out + up.err).find(said);
    auto how = services(v1)[d.base + " " + b.kver];
    if (linked) {
      EXPECT_EQ(at, std::string::npos) << d.base << " fits " << b.kver << " but the transaction says otherwise";
      EXPECT_EQ(how, "weak-updates");
      EXPECT_EQ(modprobe_file(r.dir, b.kver, d.module).second, "/lib/modules/" + a.kver + "/updates/" + d.module + ".ko");
      continue;
    }
    EXPECT_EQ(how, "not-served");
    ASSERT_NE(at, std::string::npos) << "no message about " << d.package_a << " at the end of zypper up";
    std::string message = (up.out + up.err).substr(at, (up.out + up.err).find('\n', at) - at);
    EXPECT_NE(message.find("does not fit kernel " + b.kver), std::string::npos) << message;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(message, m, std::regex("`(kmpkit kmp build [^`]*)`"))) << message;
    command = m[1];
    EXPECT_EQ(command, "kmpkit kmp build " + dkms_source(d.dkms_package) + " " + b.kver + " --out " + kmps);
    EXPECT_FALSE(modprobe_file(r.dir, b.kver, d.module).first.starts_with("/lib/modules/")) << d.module << " in " << b.kver;
  }
  // The real pair has both kinds (-53 -> -54: acpi-call keeps its interface, vpoll does not).
  ASSERT_EQ(fitting.size(), 1u);
  ASSERT_EQ(not_fitting.size(), 1u);
  EXPECT_EQ(v1["errors"], 1) << run(q(kmpkit_binary()) + " verify --root " + q(r.dir)).out;
  EXPECT_EQ(findings_of_kind(v1, "kmp-does-not-fit"), 1u);
  EXPECT_NE(run(q(kmpkit_binary()) + " verify --root " + q(r.dir)).exit_code, 0);
  expect_database_like_depmod(r, b.kver);

  // The command it named (plus -b: B's headers are in the unpacked kernel, not on this host).
  auto t_rebuild = std::chrono::steady_clock::now();
  auto rebuilt = run(q(kmpkit_binary()) + command.substr(6) + " -b " + q(b.root));
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.out << rebuilt.err;
  std::cout << "== " << command << " -b " << b.root << " ("
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - t_rebuild).count() << " s):\n"
            << rebuilt.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(rebuilt.out, m, std::regex("zypper in ([^ \n]+)"))) << rebuilt.out;
  const std::string package_b = m[1];
  EXPECT_NE(package_b, not_fitting[0]->package_a) << "a new KABI, a new name";
  std::cout << run("rpm -qp --provides --requires --supplements " + q(kmps) + "/x86_64/" + package_b + "-*.rpm 2>/dev/null").out;
  ASSERT_EQ(zypper(r, "ref").exit_code, 0);
  auto add = zypper(r, "in " + q(package_b));
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  auto both = installed_state(r);
  EXPECT_EQ(both.size(), before.size() + 1) << "B's build beside A's";
  EXPECT_EQ(both[not_fitting[0]->package_a], before[not_fitting[0]->package_a]) << "A's build untouched";
  auto v2 = verify_json(r);
  const Driver& nf = *not_fitting[0];
  const Driver& f = *fitting[0];
  EXPECT_EQ(services(v2)[nf.base + " " + a.kver], "own-build");
  EXPECT_EQ(services(v2)[nf.base + " " + b.kver], "own-build");
  EXPECT_EQ(services(v2)[f.base + " " + b.kver], "weak-updates");
  for (const auto& s : v2["external_kmps"]) std::cout << "serves: " << s.dump() << "\n";
  EXPECT_EQ(modprobe_file(r.dir, a.kver, nf.module).second, "/lib/modules/" + a.kver + "/updates/" + nf.module + ".ko");
  EXPECT_EQ(modprobe_file(r.dir, b.kver, nf.module).second, "/lib/modules/" + b.kver + "/updates/" + nf.module + ".ko");
  expect_database_like_depmod(r, a.kver);
  expect_database_like_depmod(r, b.kver);

  // Removing kernel A: B keeps both modules, the fitting one still A's build through its link.
  std::string a_evr = ka.manifest["version"].get<std::string>() + "-" + ka.manifest["release"].get<std::string>();
  auto rm = zypper(r, "rm " + q("kernel-amd64 = " + a_evr));
  ASSERT_EQ(rm.exit_code, 0) << rm.out << rm.err;
  std::cout << "== zypper rm kernel A:\n" << rm.out;
  auto last = installed_state(r);
  EXPECT_EQ(last["kernel-amd64"].find(';'), std::string::npos) << last["kernel-amd64"];
  EXPECT_TRUE(last.count(f.package_a)) << "A's " << f.base << " serves B";
  auto v3 = verify_json(r);
  EXPECT_EQ(services(v3)[nf.base + " " + b.kver], "own-build");
  EXPECT_EQ(services(v3)[f.base + " " + b.kver], "weak-updates");
  auto [shown, real] = modprobe_file(r.dir, b.kver, f.module);
  EXPECT_EQ(shown, "/lib/modules/" + b.kver + "/weak-updates/updates/" + f.module + ".ko");
  EXPECT_EQ(real, "/lib/modules/" + a.kver + "/updates/" + f.module + ".ko");
  EXPECT_EQ(modprobe_file(r.dir, b.kver, nf.module).second, "/lib/modules/" + b.kver + "/updates/" + nf.module + ".ko");
  auto dep = pl::read_modules_dep(r.dir + "/lib/modules/" + b.kver + "/modules.dep");
  EXPECT_TRUE(dep.count("weak-updates/updates/" + f.module + ".ko")) << "modules.dep of " << b.kver;
  EXPECT_TRUE(dep.count("updates/" + nf.module + ".ko")) << "modules.dep of " << b.kver;
  expect_database_like_depmod(r, b.kver);
  std::cout << "after removing " << a.kver << ": " << last.size() << " packages; "
            << (last.count(nf.package_a) ? "A's " + nf.package_a + " stays" : "A's " + nf.package_a + " went with it")
            << "; whole test " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s\n";
}

}  // namespace
}  // namespace kmpkit::test
