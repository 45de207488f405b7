// The whole pipeline on a tiny real kernel tree (the real kernel's image files and Module.symvers,
// the seven compiled test modules): kmpkit package → rpms and a repository → installs with plain
// rpm and with zypper (by name, by hardware, by pattern), the module database kept by the kernel
// package's file triggers. Built once per kmpkit binary and shared by the test processes.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include <nlohmann/json.hpp>

#include "fixture_repo.hpp"
#include "pipeline_support.hpp"
#include "build/generated_check.hpp"
#include "installed_check.hpp"

namespace kmpkit::test {
namespace {

namespace pl = pipeline;
namespace fs = std::filesystem;
using pl::q;

std::string rpm_of(const std::string& name) {
  for (const auto& f : pl::repo_rpms(fixture().repo))
    if (fs::path(f).filename().string().rfind(name + "-", 0) == 0) {
      // name-VERSION-RELEASE.ARCH.rpm: the next part must be the version.
      std::string rest = fs::path(f).filename().string().substr(name.size() + 1);
      if (!rest.empty() && std::isdigit(static_cast<unsigned char>(rest[0]))) return f;
    }
  return {};
}

std::string rpmq(const std::string& args) {
  auto r = run("rpm -qp " + args + " 2>/dev/null");
  return r.out;
}

std::set<std::string> lines_set(const std::string& s) {
  auto l = split_lines(s);
  return {l.begin(), l.end()};
}

TEST(Pipeline, BuildsEveryPlannedPackage) {
  const auto& f = fixture();
  auto rpms = pl::repo_rpms(f.repo);
  std::set<std::string> names;
  for (auto& r : rpms) names.insert(split_lines(rpmq("--qf '%{NAME}\\n' " + q(r)))[0]);
  std::set<std::string> want = {"kernel-amd64",          "kmpt_core-kmp-amd64", "kmpt-chain-kmp-amd64",
                                "kmpt_weak-kmp-amd64",   "kmpt_alias-kmp-amd64", "kmpt_extra-kmp-amd64",
                                "kmpt_dash-kmp-amd64",   "patterns-kmpt-all",    "patterns-kmpt-extra",
                                "kmpkit-host-base",      "kmpkit"};
  EXPECT_EQ(names, want);
  EXPECT_TRUE(fs::exists(f.repo + "/repodata/repomd.xml"));
  auto repomd = pl::read_text(f.repo + "/repodata/repomd.xml");
  EXPECT_NE(repomd.find("type=\"patterns\""), std::string::npos) << repomd;
}

TEST(Pipeline, ModuleFilesAreByteIdenticalAndInOnePackageEach) {
  const auto& f = fixture();
  std::map<std::string, int> owners;
  std::string tmp = temp_dir("kmpkit-extract");
  for (const auto& r : pl::repo_rpms(f.repo)) {
    for (auto& path : split_lines(rpmq("--qf '[%{FILENAMES}\\n]' " + q(r)))) owners[path]++;
    auto x = run("cd " + q(tmp) + " && rpm2cpio " + q(r) + " | cpio -idm --quiet");
    ASSERT_EQ(x.exit_code, 0) << x.err;
  }
  const std::string md = "/lib/modules/" + f.kver + "/";
  for (const auto& m : pl::fixture_modules()) {
    EXPECT_EQ(owners[md + m.dest], 1) << m.dest;
    auto c = run("cmp " + q(tmp + md + m.dest) + " " + q(f.root + md + m.dest));
    EXPECT_EQ(c.exit_code, 0) << m.dest << ": " << c.out;
  }
  for (const auto& [path, n] : owners) {
    if (!fs::is_directory(tmp + path)) {
      EXPECT_EQ(n, 1) << path << " is in " << n << " packages";
    }
  }
}

TEST(Pipeline, KernelPackageContents) {
  const auto& f = fixture();
  std::string k = rpm_of("kernel-amd64");
  ASSERT_FALSE(k.empty());
  auto files = rpmq("--qf '[%{FILEFLAGS:fflags} %{FILENAMES}\\n]' " + q(k));
  const std::string md = "/lib/modules/" + f.kver;
  for (const char* want : {"/vmlinuz", "/System.map", "/config", "/Module.symvers", "/modules.order",
                           "/modules.builtin", "/modules.builtin.modinfo"})
    EXPECT_NE(files.find(" " + md + want + "\n"), std::string::npos) << want << "\n" << files;
  for (const auto& g : pl::database_files()) EXPECT_NE(files.find("g " + md + "/" + g + "\n"), std::string::npos) << g;
  // kmpkit depmod's cache and staging directory are owned too (rpm -Va clean, nothing unowned).
  EXPECT_NE(files.find("g " + md + "/modules.kmpkit-cache\n"), std::string::npos) << files;
  EXPECT_NE(files.find("g " + md + "/.kmpkit-depmod.staging\n"), std::string::npos) << files;
  EXPECT_NE(files.find("/boot/vmlinuz-" + f.kver), std::string::npos);
  EXPECT_NE(files.find("l /usr/share/licenses/kernel-amd64/COPYING"), std::string::npos) << files;
  EXPECT_EQ(files.find(".ko"), std::string::npos) << "no module stays in the kernel package by default";
  auto provides = lines_set(rpmq("--provides " + q(k)));
  EXPECT_TRUE(provides.count("kernel-amd64"));
  EXPECT_TRUE(provides.count("kernel-uname-r = " + f.kver));
  EXPECT_TRUE(provides.count("ksym(amd64:_printk) = 92997ed8"));
  EXPECT_TRUE(provides.count("kmod(unix.ko)"));  // a builtin module
  auto triggers = rpmq("--filetriggers " + q(k));
  EXPECT_NE(triggers.find("transfiletriggerin"), std::string::npos) << triggers;
  EXPECT_NE(triggers.find("transfiletriggerpostun"), std::string::npos) << triggers;
  // The triggers and the packages' %posttrans run the kernel's refresh script, which runs the
  // policy's depmod command and then kmpkit initrd.
  EXPECT_NE(triggers.find("/usr/lib/kmpkit/refresh/" + f.kver + " triggerin"), std::string::npos) << triggers;
  EXPECT_NE(files.find(" /usr/lib/kmpkit/refresh/" + f.kver + "\n"), std::string::npos) << files;
  auto spec = pl::read_text(f.split + "/kernel.spec");
  EXPECT_NE(spec.find("%{kmpkit_depmod_command} || { [ $? -le 1 ] || rc=1; }\n"
                      "/usr/bin/kmpkit drivers --write-rules -q || :\n"
                      "if [ \"$1\" = triggerpostun ]; then /usr/bin/kmpkit initrd trigger"),
            std::string::npos);
  EXPECT_NE(rpmq("--scripts " + q(k)).find("/var/lib/kmpkit/refresh-pending"), std::string::npos);
  EXPECT_NE(rpmq("--changelog " + q(k)).find("split by kmpkit"), std::string::npos);
  // The license text is only here.
  for (const auto& r : pl::repo_rpms(f.repo)) {
    if (r != k) {
      EXPECT_EQ(rpmq("-l " + q(r)).find("/usr/share/licenses/"), std::string::npos) << r;
    }
  }
}

TEST(Pipeline, KmpDependenciesComeFromTheGenerator) {
  std::string core = rpm_of("kmpt_core-kmp-amd64"), chain = rpm_of("kmpt-chain-kmp-amd64"),
              alias = rpm_of("kmpt_alias-kmp-amd64"), dash = rpm_of("kmpt_dash-kmp-amd64");
  auto p = lines_set(rpmq("--provides " + q(core)));
  EXPECT_TRUE(p.count("kmod(kmpt_core.ko)"));
  EXPECT_TRUE(p.count("ksym(amd64:kmpt_core_add) = dc62c26e"));
  auto r = lines_set(rpmq("--requires " + q(chain)));
  EXPECT_TRUE(r.count("ksym(amd64:kmpt_core_add) = dc62c26e")) << rpmq("--requires " + q(chain));
  EXPECT_TRUE(r.count("ksym(amd64:_printk) = 92997ed8"));
  auto d = lines_set(rpmq("--requires " + q(dash)));
  EXPECT_TRUE(d.count("ksym(amd64:kmpt_extra_fn) = ea005691"));
  auto s = rpmq("--supplements " + q(alias));
  EXPECT_NE(s.find("modalias(kernel-amd64:pci:v00008086d0000150[ABC]sv*sd*bc*sc*i*)"), std::string::npos) << s;
  auto rec = lines_set(rpmq("--recommends " + q(chain)));
  EXPECT_TRUE(rec.count("firmware(kmpt/fw-1.bin)")) << rpmq("--recommends " + q(chain));
  auto info = rpmq("-i " + q(core));
  EXPECT_NE(info.find("kmpt_core"), std::string::npos);
  EXPECT_NE(rpmq("--qf '%{SUMMARY}' " + q(chain)), "");
}

TEST(Pipeline, PatternPackages) {
  auto pat = rpm_of("patterns-kmpt-extra");
  ASSERT_FALSE(pat.empty());
  auto p = lines_set(rpmq("--provides " + q(pat)));
  EXPECT_TRUE(p.count("pattern() = kmpt_extra"));
  EXPECT_TRUE(p.count("pattern-visible()"));
  EXPECT_TRUE(p.count("pattern-order() = 110"));
  auto r = lines_set(rpmq("--requires " + q(pat)));
  EXPECT_TRUE(r.count("kmpt_dash-kmp-amd64"));
  EXPECT_EQ(rpmq("--qf '%{ARCH}' " + q(pat)), "noarch");
}

TEST(Pipeline, PlainRpmInstallOfEverything) {
  const auto& f = fixture();
  std::string root = pl::new_root("kmpkit-rpm-all");
  std::string rpms;
  for (const auto& r : pl::repo_rpms(f.repo)) rpms += " " + q(r);
  auto inst = run(pl::rpm_in(root) + "-i -vv" + rpms + " 2>&1");
  ASSERT_EQ(inst.exit_code, 0) << inst.out.substr(inst.out.size() > 4000 ? inst.out.size() - 4000 : 0);
  // One rpm transaction: the module database is made once, not once per package.
  std::regex trig("%transfiletriggerin\\(kernel-amd64[^)]*\\): scriptlet start");
  auto n = std::distance(std::sregex_iterator(inst.out.begin(), inst.out.end(), trig), std::sregex_iterator());
  EXPECT_EQ(n, 1) << "trigger runs";
  EXPECT_EQ(inst.out.find("kmpkit depmod:"), std::string::npos) << "the trigger complained";
  auto problems = pl::verify_problems(root);
  EXPECT_TRUE(problems.empty()) << problems.front();
  std::string md = root + "/lib/modules/" + f.kver;
  // The trigger ran kmpkit depmod (its cache is there, its staging area gone), in the chroot.
  EXPECT_TRUE(fs::exists(md + "/modules.kmpkit-cache"));
  EXPECT_FALSE(fs::exists(md + "/.kmpkit-depmod.staging"));
  auto cache = pl::read_text(md + "/modules.kmpkit-cache");
  EXPECT_NE(cache.find("/lib/modules/" + f.kver), std::string::npos);
  EXPECT_EQ(cache.find(root), std::string::npos) << "the cache is made for the module directory inside the root";
  auto diff = pl::database_differences(md, f.reference);
  EXPECT_TRUE(diff.empty()) << "differs from Debian's depmod: " << diff.front();
  for (const auto& m : pl::fixture_modules()) {
    std::string name = fs::path(m.dest).filename().string();
    name = name.substr(0, name.find('.'));
    auto r = run("modprobe -d " + q(root) + " -S " + q(f.kver) + " --show-depends " + q(name));
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
  }
  auto deps = check_installed(root);
  EXPECT_EQ(deps.error, "");
  EXPECT_EQ(deps.packages, pl::repo_rpms(f.repo).size());
  EXPECT_TRUE(deps.unsatisfied.empty()) << deps.unsatisfied.front().dependency;
  // Removing a KMP updates the database (the postun trigger).
  auto e = run(pl::rpm_in(root) + "-e kmpt_dash-kmp-amd64 patterns-kmpt-all patterns-kmpt-extra 2>&1");
  ASSERT_EQ(e.exit_code, 0) << e.out;
  auto dep = pl::read_modules_dep(md + "/modules.dep");
  EXPECT_FALSE(dep.count("extra/kmpt-dash.ko"));
  EXPECT_TRUE(dep.count("extra/kmpt_extra.ko"));
  std::string ref = temp_dir("kmpkit-rpm-all-ref");
  ASSERT_EQ(pl::reference_depmod(root, f.kver, ref).exit_code, 0);
  diff = pl::database_differences(md, ref + "/lib/modules/" + f.kver);
  EXPECT_TRUE(diff.empty()) << "after a removal, differs from Debian's depmod: " << diff.front();
  // The libsolv check sees a broken dependency like rpm -V does.
  ASSERT_EQ(run(pl::rpm_in(root) + "-e --nodeps kmpt_core-kmp-amd64 2>&1").exit_code, 0);
  deps = check_installed(root);
  bool found = false;
  for (auto& u : deps.unsatisfied) found |= u.dependency == "ksym(amd64:kmpt_core_add) = dc62c26e";
  std::string seen;
  for (auto& u : deps.unsatisfied) seen += u.package + ": " + u.dependency + "\n";
  EXPECT_TRUE(found) << deps.packages << " packages, " << deps.requires_checked << " requires, unsatisfied:\n" << seen;
  EXPECT_FALSE(pl::verify_problems(root).empty());
}

TEST(Pipeline, ZypperInstallsAKmpWithItsDependencies) {
  const auto& f = fixture();
  std::string root = pl::new_root("kmpkit-zypper-name");
  ASSERT_EQ(pl::zypper_add_repo(root, f.repo).exit_code, 0);
  auto r = pl::zypper(root, "in kmpt_dash-kmp-amd64");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(pl::installed(root), (std::set<std::string>{"kmpkit-host-base", "kmpkit", "kernel-amd64",
                                                       "kmpt_dash-kmp-amd64", "kmpt_extra-kmp-amd64"}));
  const std::string md = root + "/lib/modules/" + f.kver;
  // zypper runs one rpm per package (without rpm's transaction triggers) and the %posttrans scripts
  // at the end, the first of which refreshes the database (kmpkit depmod): what Debian's depmod
  // makes of the installed tree.
  auto same_as_depmod = [&](const std::string& step) {
    EXPECT_TRUE(fs::exists(md + "/modules.kmpkit-cache")) << step << ": the trigger did not run kmpkit depmod";
    std::string ref = temp_dir("kmpkit-zypper-ref");
    ASSERT_EQ(pl::reference_depmod(root, f.kver, ref).exit_code, 0);
    auto diff = pl::database_differences(md, ref + "/lib/modules/" + f.kver);
    EXPECT_TRUE(diff.empty()) << step << ": differs from Debian's depmod: " << diff.front();
  };
  same_as_depmod("kmpt_dash");
  auto dep = pl::read_modules_dep(md + "/modules.dep");
  EXPECT_EQ(dep["extra/kmpt-dash.ko"], "extra/kmpt_extra.ko");
  EXPECT_EQ(dep.size(), 2u);
  auto chain = pl::zypper(root, "in kmpt-chain-kmp-amd64");
  ASSERT_EQ(chain.exit_code, 0) << chain.out << chain.err;
  EXPECT_TRUE(pl::installed(root).count("kmpt_core-kmp-amd64"));
  same_as_depmod("kmpt-chain");
  dep = pl::read_modules_dep(md + "/modules.dep");
  EXPECT_EQ(dep["kernel/drivers/misc/kmpt/kmpt_leaf.ko"],
            "kernel/drivers/misc/kmpt/kmpt_mid.ko kernel/drivers/misc/kmpt/kmpt_core.ko");
  auto problems = pl::verify_problems(root);
  EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST(Pipeline, ZypperInstallsByHardware) {
  const auto& f = fixture();
  std::string root = pl::new_root("kmpkit-zypper-hw");
  std::string hw = root + "/.modalias";
  // A device kmpt_alias drives (pci:v00008086d0000150[ABC]...), and one nothing drives.
  pl::write_text(hw, "pci:v00008086d0000150Bsv00001AF4sd00001100bc02sc00i00\npci:v00001234d00005678sv0sd0bc00sc00i00\n");
  ASSERT_EQ(pl::zypper_add_repo(root, f.repo).exit_code, 0);
  auto r = pl::zypper(root, "in kernel-amd64", hw);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(pl::installed(root), (std::set<std::string>{"kmpkit-host-base", "kmpkit", "kernel-amd64", "kmpt_alias-kmp-amd64"}));
  auto dep = pl::read_modules_dep(root + "/lib/modules/" + f.kver + "/modules.dep");
  EXPECT_TRUE(dep.count("kernel/drivers/pci/kmpt/kmpt_alias.ko.xz"));
}

TEST(Pipeline, ZypperPatterns) {
  const auto& f = fixture();
  std::string root = pl::new_root("kmpkit-zypper-pattern");
  ASSERT_EQ(pl::zypper_add_repo(root, f.repo).exit_code, 0);
  auto list = pl::zypper(root, "patterns");
  ASSERT_EQ(list.exit_code, 0) << list.out << list.err;
  EXPECT_NE(list.out.find("kmpt-all"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("kmpt-extra"), std::string::npos) << list.out;
  auto r = pl::zypper(root, "in -t pattern kmpt-extra");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto got = pl::installed(root);
  EXPECT_TRUE(got.count("patterns-kmpt-extra"));
  EXPECT_TRUE(got.count("kmpt_dash-kmp-amd64"));
  EXPECT_TRUE(got.count("kmpt_extra-kmp-amd64"));
  EXPECT_FALSE(got.count("kmpt_core-kmp-amd64"));
}

TEST(Pipeline, SplitWithAFlavorAndShards) {
  const auto& f = fixture();
  std::string out = temp_dir("kmpkit-split") + "/out";
  auto r = run(q(kmpkit_binary()) + " split --policy " + q(f.dir + "/policy.toml") + " -b " + q(f.root) + " " +
               q(f.kver) + " --out " + q(out) + " --flavor default --shards 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(out + "/kernel.spec"));
  EXPECT_TRUE(fs::exists(out + "/kmps-01.spec"));
  EXPECT_TRUE(fs::exists(out + "/kmps-02.spec"));
  EXPECT_FALSE(fs::exists(out + "/kmps-03.spec"));
  EXPECT_FALSE(fs::exists(out + "/host-base.spec"));
  auto kernel = pl::read_text(out + "/kernel.spec");
  EXPECT_NE(kernel.find("Name: kernel-default\n"), std::string::npos);
  EXPECT_NE(kernel.find("%global kmpkit_depgen_opts --flavor default "), std::string::npos);
  EXPECT_NE(kernel.find("%kmpkit_keep_modules_intact\n"), std::string::npos);
  EXPECT_NE(kernel.find("%transfiletriggerin -- /lib/modules/" + f.kver + "/\n"), std::string::npos);
  EXPECT_NE(kernel.find("%changelog\n"), std::string::npos);
  // Each module file in exactly one file list, each KMP in exactly one spec.
  std::map<std::string, int> files;
  for (const auto& e : fs::directory_iterator(out + "/lists"))
    if (e.path().extension() == ".files")
      for (auto& l : split_lines(pl::read_text(e.path().string())))
        if (l.find(".ko") != std::string::npos) files[l]++;
  EXPECT_EQ(files.size(), pl::fixture_modules().size());
  for (auto& [path, n] : files) EXPECT_EQ(n, 1) << path;
  auto manifest = pl::read_text(out + "/kmpkit-split.json");
  EXPECT_NE(manifest.find("\"flavor\": \"default\""), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("kmpt_core-kmp-default"), std::string::npos);
  std::string shard = pl::read_text(out + "/kmps-01.spec") + pl::read_text(out + "/kmps-02.spec");
  EXPECT_NE(shard.find("%global __supplements_exclude_from ^/lib/modules/"), std::string::npos);
  EXPECT_NE(shard.find("%files -n kmpt_alias-kmp-default -f %{_sourcedir}/lists/kmpt_alias-kmp-default.files"),
            std::string::npos);
}

TEST(Pipeline, PolicyCanChooseDebiansDepmod) {
  const auto& f = fixture();
  std::string dir = temp_dir("kmpkit-debian-depmod");
  pl::write_text(dir + "/policy.toml", std::string(kFixturePolicy) + "[kernel]\ndepmod = \"/sbin/depmod -a {kver}\"\n");
  auto r = run(q(kmpkit_binary()) + " split --policy " + q(dir + "/policy.toml") + " -b " + q(f.root) + " " +
               q(f.kver) + " --out " + q(dir + "/out") + " --host-base");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto kernel = pl::read_text(dir + "/out/kernel.spec");
  EXPECT_NE(kernel.find("%global kmpkit_depmod_command /sbin/depmod -a " + f.kver + "\n"), std::string::npos);
  // The host base carries both engines whichever the policy chooses (kmpkit in its own package).
  auto base = pl::read_text(dir + "/out/host-base.spec");
  EXPECT_NE(base.find("\n/sbin/depmod\n"), std::string::npos) << base;
  EXPECT_NE(pl::read_text(dir + "/out/kmpkit-tool.spec").find("\n/usr/bin/kmpkit\n"), std::string::npos);
  EXPECT_NE(kernel.find("Requires: /sbin/depmod\nRequires: /usr/bin/kmpkit\n"), std::string::npos) << kernel;
  // The default: kmpkit depmod.
  auto def = pl::read_text(f.split + "/kernel.spec");
  EXPECT_NE(def.find("%global kmpkit_depmod_command /usr/bin/kmpkit depmod -a --skip-unreadable " + f.kver + "\n"), std::string::npos);
}

TEST(Pipeline, KabiSchemeSplit) {
  const auto& f = fixture();
  std::string dir = temp_dir("kmpkit-kabi-split");
  std::string policy = std::string(kFixturePolicy) + "[naming]\nscheme = \"kabi\"\n";
  pl::write_text(dir + "/policy.toml", policy);
  auto split = [&](const std::string& out, const std::string& extra) {
    return run(q(kmpkit_binary()) + " split --policy " + q(dir + "/policy.toml") + " -b " + q(f.root) + " " +
               q(f.kver) + " --out " + q(dir + "/" + out) + " " + extra);
  };
  auto r = split("out", "");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto kernel = pl::read_text(dir + "/out/kernel.spec");
  EXPECT_NE(kernel.find("Provides: multiversion(kernel)\n"), std::string::npos);
  // Triggers on every kernel's modules: this kernel's weak-updates links, then its database.
  EXPECT_NE(kernel.find("%global kmpkit_weak_updates_command /usr/bin/kmpkit weak-updates -q " + f.kver + "\n"),
            std::string::npos);
  EXPECT_NE(kernel.find("%transfiletriggerin -- /lib/modules/\n/usr/lib/kmpkit/refresh/" + f.kver + " triggerin\n"),
            std::string::npos);
  // Both run even when the first fails; a failure (beyond "partial") fails the script, so that
  // `kmpkit refresh` keeps the refresh pending.
  EXPECT_NE(kernel.find("\nrc=0\n%{kmpkit_weak_updates_command} || { [ $? -le 1 ] || rc=1; }\n"
                        "%{kmpkit_depmod_command} || { [ $? -le 1 ] || rc=1; }\n"),
            std::string::npos);
  EXPECT_NE(kernel.find("\nexit $rc\nEOF\n"), std::string::npos);
  EXPECT_NE(kernel.find("%transfiletriggerpostun -- /lib/modules/\n"), std::string::npos);
  EXPECT_NE(kernel.find("%preun\nif [ \"$1\" = 0 ]; then %{kmpkit_weak_updates_command} --clear || :; fi\n"),
            std::string::npos);
  // The kernel declares its builds; their hardware supplements are conditioned on that.
  EXPECT_NE(kernel.find("--modalias-prefix-map %{_sourcedir}/modalias-prefixes"), std::string::npos);
  auto prefixes = pl::read_text(dir + "/out/modalias-prefixes");
  EXPECT_TRUE(std::regex_search(prefixes, std::regex("(^|\n)kmpt_alias kmp-for\\(kmpt_alias-kmp-amd64-[0-9a-f]{8}\\)\n")))
      << prefixes;
  EXPECT_TRUE(std::regex_search(kernel, std::regex("Provides: kmp-for\\(kmpt_alias-kmp-amd64-[0-9a-f]{8}\\)\n")));
  auto manifest = nlohmann::json::parse(pl::read_text(dir + "/out/kmpkit-split.json"));
  EXPECT_EQ(manifest["scheme"], "kabi");
  std::string shards;
  for (const auto& e : fs::directory_iterator(dir + "/out"))
    if (e.path().filename().string().starts_with("kmps-")) shards += pl::read_text(e.path().string());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(shards, m, std::regex("%package -n (kmpt_core-kmp-amd64-[0-9a-f]{8})\n")));
  std::string core = m[1];
  EXPECT_NE(shards.find("Provides: kmpt_core-kmp-amd64 = "), std::string::npos);
  EXPECT_NE(shards.find("Supplements: (kmpt_core-kmp-amd64 and kernel-uname-r = " + f.kver + ")\n"),
            std::string::npos);
  // KMPs own their directories too (they may outlive their kernel package).
  auto files = pl::read_text(dir + "/out/lists/" + core + ".files");
  EXPECT_NE(files.find("%dir /lib/modules/" + f.kver + "/kernel/drivers/misc/kmpt\n"), std::string::npos) << files;

  // --baseline: a repository that has kmpt_core's build → not built again.
  pl::write_text(dir + "/baseline/x86_64/" + core + "-6.1.0-1.x86_64.rpm", "");
  auto b = split("base", "--baseline " + q(dir + "/baseline"));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto bm = nlohmann::json::parse(pl::read_text(dir + "/base/kmpkit-split.json"));
  EXPECT_EQ(bm["kmps_not_built"], nlohmann::json::array({core}));
  EXPECT_FALSE(fs::exists(dir + "/base/lists/" + core + ".files"));
  EXPECT_TRUE(fs::exists(dir + "/base/kernel.spec"));
  EXPECT_EQ(split("x", "--baseline " + q(dir + "/nonexistent")).exit_code, 3);
  // --only: those KMPs, no kernel package unless named; --with-deps adds what they need.
  auto o = split("only", "--only kmpt_weak --release 7.1");
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_FALSE(fs::exists(dir + "/only/kernel.spec"));
  auto om = nlohmann::json::parse(pl::read_text(dir + "/only/kmpkit-split.json"));
  EXPECT_EQ(om["release"], "7.1");
  size_t built = 0;
  for (const auto& e : fs::directory_iterator(dir + "/only/lists"))
    built += e.path().extension() == ".files" && e.path().filename().string().find("-kmp-") != std::string::npos;
  EXPECT_EQ(built, 1u);
  ASSERT_EQ(split("deps", "--only kmpt_weak --only 'kernel-*' --with-deps").exit_code, 0);
  EXPECT_TRUE(fs::exists(dir + "/deps/kernel.spec"));
  auto dm = nlohmann::json::parse(pl::read_text(dir + "/deps/kmpkit-split.json"));
  std::string not_built = dm["kmps_not_built"].dump();
  EXPECT_EQ(not_built.find("kmpt_core"), std::string::npos) << not_built;  // kmpt_weak needs it
  EXPECT_NE(not_built.find("kmpt_alias"), std::string::npos) << not_built;
  EXPECT_EQ(split("y", "--only nosuch").exit_code, 2);
  EXPECT_EQ(split("z", "--release 1-2").exit_code, 2);
  // --scheme overrides the policy's.
  auto sch = run(q(kmpkit_binary()) + " split --policy " + q(f.dir + "/policy.toml") + " -b " + q(f.root) + " " +
                 q(f.kver) + " --out " + q(dir + "/scheme") + " --scheme kabi");
  ASSERT_EQ(sch.exit_code, 0) << sch.err;
  EXPECT_EQ(nlohmann::json::parse(pl::read_text(dir + "/scheme/kmpkit-split.json"))["scheme"], "kabi");
  EXPECT_EQ(split("w", "--scheme abi").exit_code, 2);
  // The kernel-version scheme has no baseline.
  auto old = run(q(kmpkit_binary()) + " split --policy " + q(f.dir + "/policy.toml") + " -b " + q(f.root) + " " +
                 q(f.kver) + " --out " + q(dir + "/old") + " --baseline " + q(dir + "/baseline"));
  EXPECT_EQ(old.exit_code, 2);
  EXPECT_NE(old.err.find("a baseline needs [naming] scheme = \"kabi\""), std::string::npos) << old.err;
}

TEST(Pipeline, PackagesWithoutTheirGeneratedDependenciesAreFound) {
  const auto& f = fixture();
  EXPECT_EQ(build::packages_missing_generated_dependencies(f.repo).size(), 0u);
  // A KMP built with the generator switched off for its file: no kmod() provide.
  std::string dir = temp_dir("kmpkit-nodeps");
  pl::write_text(dir + "/src/kmpt_core.ko", pl::read_text(test_modules_dir() + "/plain/kmpt_core.ko"));
  pl::write_text(dir + "/nodeps.spec", "Name: nodeps-kmp-amd64\nVersion: 1\nRelease: 1\nSummary: s\nLicense: GPL\n"
                                       "%global __kmpkit_path ^/nothing$\n%kmpkit_keep_modules_intact\n"
                                       "%description\nd\n%install\n"
                                       "install -D -m 0644 %{_sourcedir}/kmpt_core.ko "
                                       "%{buildroot}/lib/modules/" + f.kver + "/extra/kmpt_core.ko\n"
                                       "%files\n/lib/modules/" + f.kver + "/extra/kmpt_core.ko\n");
  auto b = run("rpmbuild -bb --define " + q("_topdir " + dir + "/top") + " --define " + q("_sourcedir " + dir + "/src") +
               " --define " + q("_rpmdir " + dir + "/repo") + " " + q(dir + "/nodeps.spec") + " 2>&1");
  ASSERT_EQ(b.exit_code, 0) << b.out;
  auto missing = build::packages_missing_generated_dependencies(dir + "/repo");
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].package, "nodeps-kmp-amd64");
  EXPECT_EQ(missing[0].module, "/lib/modules/" + f.kver + "/extra/kmpt_core.ko");
}

TEST(Pipeline, CommandLineErrors) {
  const auto& f = fixture();
  std::string dir = temp_dir("kmpkit-cli");
  pl::write_text(dir + "/bad.toml", "format = 1\n[kernel]\nflavour = \"x\"\n[[set]]\nname = \"s\"\nmodules = [\"nosuch\"]\n");
  auto bad = run(q(kmpkit_binary()) + " split --policy " + q(dir + "/bad.toml") + " -b " + q(f.root) + " " +
                 q(f.kver) + " --out " + q(dir + "/out"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("unknown key 'flavour' in [kernel]"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir + "/out"));
  pl::write_text(dir + "/nomatch.toml", "format = 1\n[[set]]\nname = \"s\"\nmodules = [\"nosuch\"]\n");
  auto nomatch = run(q(kmpkit_binary()) + " split --strict --policy " + q(dir + "/nomatch.toml") + " -b " + q(f.root) + " " +
                     q(f.kver) + " --out " + q(dir + "/out"));
  EXPECT_EQ(nomatch.exit_code, 2);
  EXPECT_NE(nomatch.err.find("module \"nosuch\" matches no module"), std::string::npos) << nomatch.err;
  EXPECT_FALSE(fs::exists(dir + "/out"));
  auto check = run(q(kmpkit_binary()) + " split --check --policy " + q(f.dir + "/policy.toml") + " -b " + q(f.root) +
                   " " + q(f.kver));
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_NE(check.out.find("6 KMPs"), std::string::npos) << check.out;
  auto missing = run(q(kmpkit_binary()) + " split --policy " + q(f.dir + "/policy.toml") + " -b " + q(dir) + " " +
                     q(f.kver) + " --out " + q(dir + "/out"));
  EXPECT_EQ(missing.exit_code, 3) << missing.err;
  auto nobuild = run(q(kmpkit_binary()) + " build " + q(dir + "/nothing"));
  EXPECT_EQ(nobuild.exit_code, 3) << nobuild.err;
}

}  // namespace
}  // namespace kmpkit::test
