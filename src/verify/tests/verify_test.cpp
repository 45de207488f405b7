// kmpkit verify: a small consistent root made of the real test modules, then broken in exactly
// one way per test, expecting exactly that finding.
#include <gtest/gtest.h>

#include "depmod/config.hpp"
#include "depmod/module_set.hpp"
#include "kabi/tests/kabi_fixtures.hpp"
#include "module/tree_walk.hpp"
#include "verify/verify.hpp"

using namespace kmpkit;
using namespace kmpkit::kabi::testing;
using kmpkit::test::shell_quote;

namespace {

using Findings = std::multiset<std::string>;

Kmpkit verify(const std::string& root, const std::string& extra = "") {
  return kmpkit_run("verify --root " + shell_quote(root) + " --json " + extra);
}

std::string md(const std::string& root) { return module_dir_of(root); }

// The module statuses of the first kernel, by name.
std::map<std::string, nlohmann::json> statuses(const nlohmann::json& report) {
  std::map<std::string, nlohmann::json> out;
  for (auto& m : report["kernels"][0]["modules"]) out[m["name"]] = m;
  return out;
}

TEST(kabi_verify, CleanRootIsConsistent) {
  auto root = make_root();
  auto r = verify(root);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.json["consistent"]);
  EXPECT_EQ(findings_of(r.json), Findings{});
  EXPECT_EQ(findings_of(r.json, true), Findings{"ownership/no-package-database//"});
  ASSERT_EQ(r.json["kernels"].size(), 1u);
  auto& k = r.json["kernels"][0];
  EXPECT_EQ(k["kver"], test_kver());
  EXPECT_EQ(k["signing"], "none");
  EXPECT_EQ(k["modules"].size(), 7u);
  for (auto& m : k["modules"]) {
    EXPECT_TRUE(m["loadable"]) << m;
    EXPECT_EQ(m["support"], "out-of-tree");
    EXPECT_FALSE(m["signed"]);
  }
  auto text = kmpkit_run("verify --root " + shell_quote(root));
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("consistent (0 warning(s))"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("7 modules, 7 loadable"), std::string::npos) << text.out;
}

TEST(kabi_verify, KsymCrcMismatch) {
  auto [symbol, module] = lone_vmlinux_import();
  ASSERT_FALSE(symbol.empty());
  auto root = make_root();
  edit_symvers(md(root) + "/Module.symvers", symbol, false);
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_FALSE(r.json["consistent"]);
  EXPECT_EQ(findings_of(r.json), Findings{"ksym/crc-mismatch/" + module + "/" + symbol});
  EXPECT_FALSE(statuses(r.json).at(module)["loadable"]);
}

TEST(kabi_verify, KsymUnknownSymbol) {
  auto [symbol, module] = lone_vmlinux_import();
  auto root = make_root();
  edit_symvers(md(root) + "/Module.symvers", symbol, true);
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(findings_of(r.json), Findings{"ksym/unknown-symbol/" + module + "/" + symbol});
}

TEST(kabi_verify, KsymFailureOfAProviderReachesItsUsers) {
  // kmpt_core built with other vermagic flags: it fails, and so does every module needing it.
  auto root = make_root();
  std::string bad = test_kver() + " SMP mod_unload modversions ";
  set_modinfo(md(root) + "/extra/kmpt_core.ko", "vermagic", bad);
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 6);
  auto f = findings_of(r.json);
  EXPECT_EQ(f.count("vermagic/vermagic-mismatch/kmpt_core/" + bad), 1u);
  for (auto& line : f)
    if (line.find("vermagic") == std::string::npos) {
      EXPECT_EQ(line.find("ksym/needs-unloadable-module/"), 0u) << line;
    }
  EXPECT_TRUE(f.count("ksym/needs-unloadable-module/kmpt_mid/kmpt_core_add"));
  EXPECT_TRUE(f.count("ksym/needs-unloadable-module/kmpt_weak/kmpt_core_add"));
  auto st = statuses(r.json);
  for (const char* m : {"kmpt_core", "kmpt_mid", "kmpt_leaf", "kmpt_weak"}) EXPECT_FALSE(st.at(m)["loadable"]) << m;
  for (const char* m : {"kmpt_alias", "kmpt_extra", "kmpt_dash"}) EXPECT_TRUE(st.at(m)["loadable"]) << m;
}

TEST(kabi_verify, VermagicMismatch) {
  auto root = make_root();
  std::string bad = test_kver() + " SMP preempt modversions ";
  set_modinfo(md(root) + "/extra/kmpt_alias.ko", "vermagic", bad);
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(findings_of(r.json), Findings{"vermagic/vermagic-mismatch/kmpt_alias/" + bad});
  // Another release with the same flags is fine (modversions: the kernel skips the release).
  auto root2 = make_root();
  set_modinfo(md(root2) + "/extra/kmpt_alias.ko", "vermagic", "6.1.0-1-amd64 SMP preempt mod_unload modversions ");
  EXPECT_EQ(verify(root2).exit_code, 0);
}

TEST(kabi_verify, MissingDependency) {
  auto root = make_root();
  set_modinfo(md(root) + "/extra/kmpt-dash.ko", "depends", "kmpt_extra,kmpt-gone");
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(findings_of(r.json), Findings{"depends/missing-dependency/kmpt_dash/kmpt-gone"});
  // A dependency that is built into the kernel counts as present.
  write_text(md(root) + "/modules.builtin", "kernel/drivers/misc/kmpt_gone.ko\n");
  EXPECT_EQ(verify(root).exit_code, 0);
}

TEST(kabi_verify, AModuleFileOfABuiltInModule) {
  // A KMP of another kernel configuration: this kernel has kmpt_extra built in.
  auto root = make_root();
  write_text(md(root) + "/modules.builtin", "kernel/drivers/misc/kmpt_extra.ko\n");
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // a warning
  EXPECT_EQ(findings_of(r.json), Findings{"builtin/built-in-module-file/kmpt_extra/kmpt_extra"});
  EXPECT_EQ(verify(root, "--strict").exit_code, 6);
}

TEST(kabi_verify, MissingFirmware) {
  auto root = make_root();
  fs::remove(root + "/lib/firmware/kmpt/fw-2.bin.xz");
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 0);  // a warning: firmware packages are optional
  EXPECT_EQ(findings_of(r.json), Findings{"firmware/missing-firmware/kmpt_leaf/kmpt/fw-2.bin"});
  EXPECT_EQ(r.json["warnings"], 1);
  EXPECT_EQ(verify(root, "--strict").exit_code, 6);
  // .zst in updates/ and a per-release directory count as present.
  write_text(root + "/lib/firmware/updates/kmpt/fw-2.bin.zst", "x");
  EXPECT_EQ(findings_of(verify(root).json), Findings{});
  fs::remove_all(root + "/lib/firmware/updates");
  write_text(root + "/lib/firmware/" + test_kver() + "/kmpt/fw-2.bin", "x");
  EXPECT_EQ(findings_of(verify(root).json), Findings{});
}

TEST(kabi_verify, SignatureStatusAndUnsignedModules) {
  auto root = make_root();
  for (auto& f : fs::directory_iterator(md(root) + "/extra")) sign_module(f.path().string());
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  for (auto& [name, m] : statuses(r.json)) {
    EXPECT_TRUE(m["signed"]) << name;
    EXPECT_EQ(m["signer"], "kmpkit verify test key") << name;
  }
  // A kernel that signs its modules (CONFIG_MODULE_SIG=y): one unsigned module is a warning.
  write_text(root + "/boot/config-" + test_kver(), "CONFIG_MODULES=y\nCONFIG_MODULE_SIG=y\n");
  EXPECT_EQ(findings_of(verify(root).json), Findings{});
  fs::copy_file(kmpkit::test::test_modules_dir() + "/plain/kmpt_alias.ko", md(root) + "/extra/kmpt_alias.ko",
                fs::copy_options::overwrite_existing);
  auto u = verify(root);
  EXPECT_EQ(u.exit_code, 0);
  EXPECT_EQ(findings_of(u.json), Findings{"signature/unsigned-module/kmpt_alias/"});
  EXPECT_EQ(u.json["kernels"][0]["signing"], "used");
  EXPECT_FALSE(statuses(u.json).at("kmpt_alias")["signed"]);
  EXPECT_EQ(verify(root, "--strict").exit_code, 6);
  // CONFIG_MODULE_SIG_FORCE: the kernel refuses it, an error.
  write_text(root + "/boot/config-" + test_kver(), "CONFIG_MODULES=y\nCONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_FORCE=y\n");
  auto forced = verify(root);
  EXPECT_EQ(forced.exit_code, 6);
  EXPECT_EQ(forced.json["kernels"][0]["findings"][0]["severity"], "error");
}

// Whether the running kernel's keys accept each signer (the keys given as the running kernel's).
TEST(kabi_verify, SignersCheckedAgainstTheRunningKernelsKeys) {
  auto root = make_root();
  for (auto& f : fs::directory_iterator(md(root) + "/extra")) sign_module(f.path().string());
  write_text(root + "/boot/config-" + test_kver(), "CONFIG_MODULES=y\nCONFIG_MODULE_SIG=y\n");
  verify::VerifyOptions o;
  o.root = root;
  o.kernel_keys = verify::KernelKeys{};
  o.kernel_keys->release = test_kver();
  auto findings = [](const verify::VerifyReport& r) {
    Findings out;
    for (const auto& f : r.kernels.at(0).findings)
      if (f.check == "signature")
        out.insert(f.check + "/" + f.kind + "/" + verify::severity_name(f.severity) + "/" + f.subject);
    return out;
  };
  // Not among the keys: a warning (the module loads, tainting the kernel), one for the signer.
  auto r = verify::verify(o);
  EXPECT_EQ(findings(r), Findings{"signature/untrusted-signer/warning/kmpkit verify test key"});
  ASSERT_EQ(r.kernels[0].signer_checks.size(), 1u);
  EXPECT_FALSE(r.kernels[0].signer_checks[0].accepted);
  EXPECT_GT(r.kernels[0].signer_checks[0].modules, 1u);
  // The kernel refuses unverifiable modules (lockdown): an error.
  o.kernel_keys->enforced = true;
  o.kernel_keys->enforced_by = "lockdown integrity";
  r = verify::verify(o);
  EXPECT_EQ(findings(r), Findings{"signature/untrusted-signer/error/kmpkit verify test key"});
  EXPECT_NE(r.kernels[0].findings.at(0).message.find("refuses them (lockdown integrity)"), std::string::npos);
  // The certificate enrolled (a MOK key): accepted, no finding.
  o.kernel_keys->keys.push_back({".machine", "kmpkit verify test key: 0a1b2c: X509.rsa 0a1b2c []", "kmpkit verify test key"});
  r = verify::verify(o);
  EXPECT_EQ(findings(r), Findings{});
  ASSERT_EQ(r.kernels[0].signer_checks.size(), 1u);
  EXPECT_TRUE(r.kernels[0].signer_checks[0].accepted);
  EXPECT_EQ(r.kernels[0].signer_checks[0].keyring, ".machine");
  auto text = verify::verify_text(r, false, false);
  EXPECT_NE(text.find("'kmpkit verify test key' accepted (.machine)"), std::string::npos) << text;
  auto j = verify::verify_json(r, false);
  EXPECT_EQ(j["kernels"][0]["signers"][0]["accepted"], true);
  // Keys of another kernel release decide nothing for this one.
  o.kernel_keys->keys.clear();
  o.kernel_keys->release = "9.9.9-other";
  r = verify::verify(o);
  EXPECT_EQ(findings(r), Findings{});
  EXPECT_EQ(r.kernels[0].signer_keys, "not checked: the running kernel is 9.9.9-other");
  // A root that is not the running system: not checked, and said so.
  o.kernel_keys.reset();
  r = verify::verify(o);
  EXPECT_EQ(r.kernels[0].signer_keys, "not checked: the root is not the running system");
}

TEST(kabi_verify, SupportStatus) {
  auto root = make_root();
  set_modinfo(md(root) + "/extra/kmpt_alias.ko", "supported", "no");
  set_modinfo(md(root) + "/extra/kmpt_extra.ko", "supported", "external");
  set_modinfo(md(root) + "/extra/kmpt_core.ko", "supported", "yes");
  set_modinfo(md(root) + "/extra/kmpt_mid.ko", "intree", "Y");
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(findings_of(r.json), Findings{"support/unsupported-module/kmpt_alias/supported=no"});
  auto st = statuses(r.json);
  EXPECT_EQ(st.at("kmpt_alias")["support"], "unsupported");
  EXPECT_EQ(st.at("kmpt_extra")["support"], "external");
  EXPECT_EQ(st.at("kmpt_core")["support"], "supported");
  EXPECT_EQ(st.at("kmpt_mid")["support"], "in-tree");
  EXPECT_EQ(st.at("kmpt_leaf")["support"], "out-of-tree");
  EXPECT_EQ(verify(root, "--strict").exit_code, 6);
}

TEST(kabi_verify, DuplicateModuleAndWhichCopyWins) {
  auto root = make_root();
  fs::create_directories(md(root) + "/updates");
  fs::copy_file(md(root) + "/extra/kmpt_alias.ko", md(root) + "/updates/kmpt_alias.ko");
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(findings_of(r.json), Findings{"duplicate/duplicate-module/kmpt_alias/updates/kmpt_alias.ko"});
  EXPECT_EQ(statuses(r.json).at("kmpt_alias")["path"], "updates/kmpt_alias.ko");
  // The root's own depmod.d decides: built-in before updates keeps extra/.
  write_text(root + "/etc/depmod.d/order.conf", "search built-in updates\n");
  auto r2 = verify(root);
  EXPECT_EQ(findings_of(r2.json), Findings{"duplicate/duplicate-module/kmpt_alias/extra/kmpt_alias.ko"});
}

// The copy kmpkit picks equals the one Debian's depmod writes to modules.dep, for several
// search orders and a tree with copies in updates/, extra/, weak-updates/ and kernel/.
TEST(kabi_verify, DuplicateWinnerMatchesDepmod) {
  auto root = kmpkit::test::temp_dir("kmpkit-kabi-dups");
  std::string kver = test_kver();
  std::string m = root + "/lib/modules/" + kver;
  auto put = [&](const std::string& module, const std::string& dir) {
    fs::create_directories(m + "/" + dir);
    fs::copy_file(kmpkit::test::test_modules_dir() + "/plain/" + module, m + "/" + dir + "/" + module);
  };
  put("kmpt_core.ko", "kernel/a");
  put("kmpt_core.ko", "weak-updates/b");
  put("kmpt_mid.ko", "kernel/a");
  put("kmpt_mid.ko", "extra/d");
  put("kmpt_leaf.ko", "updates/c");
  put("kmpt_leaf.ko", "weak-updates/b");
  put("kmpt_extra.ko", "extra/d");
  put("kmpt_extra.ko", "extra/e");
  put("kmpt_alias.ko", "updates/c");
  put("kmpt_alias.ko", "updates/f");
  put("kmpt_weak.ko", "updates/dkms");
  put("kmpt_weak.ko", "updates");
  put("kmpt-dash.ko", "extra");
  std::vector<std::string> paths;
  for (auto& f : list_module_files(m)) paths.push_back(f.substr(m.size() + 1));
  for (std::string conf :
       {"", "search weak-updates built-in", "search built-in weak-updates", "search updates weak-updates built-in",
        "search updates extra weak-updates built-in", "search weak-updates", "search updates/dkms updates built-in",
        "search built-in", "override kmpt_mid * extra/d\nsearch built-in updates",
        "override kmpt_core * kernel/a\nsearch weak-updates built-in"}) {
    SCOPED_TRACE(conf);
    std::string cdir = kmpkit::test::temp_dir("kmpkit-kabi-conf");
    if (!conf.empty()) write_text(cdir + "/x.conf", conf + "\n");
    sh("timeout 60 /sbin/depmod -C " + shell_quote(cdir) + " -b " + shell_quote(root) + " " + kver + " 2>/dev/null");
    std::set<std::string> theirs;
    for (auto& line : kmpkit::test::split_lines(read_text(m + "/modules.dep")))
      theirs.insert(line.substr(0, line.find(':')));
    // The one depmod.d parser and depmod's own duplicate rules (what verify uses too).
    auto config = depmod::load_config({cdir}, kver);
    std::vector<depmod::ModuleFile> copies;
    for (const auto& p : paths) copies.push_back({m + "/" + p, p, module_name_from_path(p)});
    auto keep = depmod::choose_module_copies(copies, config);
    std::set<std::string> ours;
    for (size_t i = 0; i < paths.size(); ++i)
      if (keep[i]) ours.insert(paths[i]);
    EXPECT_EQ(ours, theirs);
  }
}

TEST(kabi_verify, UnownedFilesWithAPackageDatabase) {
  auto root = make_root();
  std::string kver = test_kver();
  // A tiny package owning every test module but kmpt_alias.ko (and the Module.symvers).
  std::string top = kmpkit::test::temp_dir("kmpkit-kabi-rpm");
  std::string files;
  for (auto& f : test_module_files())
    if (fs::path(f).filename() != "kmpt_alias.ko") files += "/lib/modules/" + kver + "/extra/" + fs::path(f).filename().string() + "\n";
  files += "/lib/modules/" + kver + "/Module.symvers\n";
  write_text(top + "/SPECS/t.spec",
       "Name: kmpt-verify-test\nVersion: 1\nRelease: 1\nSummary: t\nLicense: GPL\nBuildArch: noarch\n"
       "AutoReqProv: no\n%global __os_install_post %{nil}\n%global debug_package %{nil}\n"
       "%description\nt\n%install\nmkdir -p %{buildroot}/lib/modules/" + kver + "/extra\n"
       "cp -a " + md(root) + "/extra/*.ko %{buildroot}/lib/modules/" + kver + "/extra/\n"
       "rm %{buildroot}/lib/modules/" + kver + "/extra/kmpt_alias.ko\n"
       "cp -a " + md(root) + "/Module.symvers %{buildroot}/lib/modules/" + kver + "/\n"
       "%files\n" + files);
  sh("rpmbuild --quiet --define " + shell_quote("_topdir " + top) + " -bb " + shell_quote(top + "/SPECS/t.spec") +
     " 2>&1");
  sh("mkdir -p " + shell_quote(root + "/var/lib/rpm") + " && rpm --root " + shell_quote(root) +
     " --dbpath /var/lib/rpm -i --nodeps --noscripts " + shell_quote(top) + "/RPMS/noarch/*.rpm 2>&1");
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 6) << r.out << r.err;
  // The test package is not signed: one note says so.
  EXPECT_EQ(findings_of(r.json, true),
            (Findings{"ownership/unowned-file/kmpt_alias//lib/modules/" + kver + "/extra/kmpt_alias.ko",
                      "package-signature/unsigned-packages//1"}));
  EXPECT_EQ(r.json["kernels"][0]["package_db"], "/var/lib/rpm");
  auto st = statuses(r.json);
  EXPECT_EQ(st.at("kmpt_core")["packages"], nlohmann::json::array({"kmpt-verify-test"}));
  EXPECT_TRUE(st.at("kmpt_alias")["packages"].empty());
  // depmod's own output files belong to nobody and are not reported.
  sh("/sbin/depmod -b " + shell_quote(root) + " " + kver + " 2>/dev/null");
  EXPECT_EQ(findings_of(verify(root).json, true).size(), 2u);
}

TEST(kabi_verify, StaleWeakUpdatesLinks) {
  auto root = make_root();
  std::string kver = test_kver();
  std::string old_kver = "6.1.0-1-amd64";  // an older kernel the KMP was installed for
  std::string old_md = root + "/lib/modules/" + old_kver + "/extra";
  fs::create_directories(old_md);
  fs::create_directories(md(root) + "/weak-updates");
  fs::rename(md(root) + "/extra/kmpt_alias.ko", old_md + "/kmpt_alias.ko");
  // Absolute links, as weak-modules2 makes them: resolved inside the root, not on the host.
  fs::create_symlink("/lib/modules/" + old_kver + "/extra/kmpt_alias.ko", md(root) + "/weak-updates/kmpt_alias.ko");
  auto ok = verify(root, "--kernel " + kver);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(findings_of(ok.json), Findings{});
  EXPECT_EQ(statuses(ok.json).at("kmpt_alias")["target"], "/lib/modules/" + old_kver + "/extra/kmpt_alias.ko");

  // The new kernel's KABI no longer fits the linked module.
  auto [symbol, module] = lone_vmlinux_import();
  ASSERT_EQ(module, "kmpt_alias") << "the test picks kmpt_alias as the linked KMP";
  edit_symvers(md(root) + "/Module.symvers", symbol, false);
  auto stale = verify(root, "--kernel " + kver);
  EXPECT_EQ(stale.exit_code, 6);
  EXPECT_EQ(findings_of(stale.json),
            Findings{"weak-updates/stale-weak-updates-link/kmpt_alias//lib/modules/" + old_kver + "/extra/kmpt_alias.ko"});

  // The target is gone (the old kernel's KMP was removed).
  auto root2 = make_root();
  fs::create_directories(md(root2) + "/weak-updates/extra");
  fs::create_symlink("/lib/modules/" + old_kver + "/extra/kmpt_gone.ko", md(root2) + "/weak-updates/extra/kmpt_gone.ko");
  auto dangling = verify(root2);
  EXPECT_EQ(dangling.exit_code, 6);
  EXPECT_EQ(findings_of(dangling.json),
            Findings{"weak-updates/stale-weak-updates-link/kmpt_gone//lib/modules/" + old_kver + "/extra/kmpt_gone.ko"});
}

// An external KMP (kmpkit kmp build, known by the record it ships) built for an older kernel: the
// kernel it does not serve is an error naming the KMP and the command to build it for that kernel;
// once weak-updates links its module (its KABI fits), the kernel is clean.
TEST(kabi_verify, ExternalKmpThatDoesNotServeAKernel) {
  auto root = make_root();
  std::string kver = test_kver(), old_kver = "6.1.0-1-amd64";
  fs::create_directories(root + "/lib/modules/" + old_kver + "/updates");
  fs::rename(md(root) + "/extra/kmpt_alias.ko", root + "/lib/modules/" + old_kver + "/updates/kmpt_alias.ko");
  write_text(root + "/usr/lib/kmpkit/kmp/kmpt-alias-kmp-amd64-aaaaaaaa.build",
             "package=kmpt-alias-kmp-amd64-aaaaaaaa\nbase_name=kmpt-alias-kmp-amd64\ndriver=kmpt-alias\nversion=1.0\n"
             "release=1\nkver=" + old_kver + "\nmodule=updates/kmpt_alias.ko\nsource_dir=/usr/src/kmpt-alias-1.0\n"
             "repo_dir=/srv/kmps\n");
  auto r = verify(root, "--kernel " + kver);
  EXPECT_EQ(r.exit_code, 6) << r.out;
  EXPECT_EQ(findings_of(r.json), Findings{"kmp/kmp-does-not-fit/kmpt_alias/kmpt-alias-kmp-amd64-aaaaaaaa"});
  ASSERT_EQ(r.json["external_kmps"].size(), 1u);
  EXPECT_EQ(r.json["external_kmps"][0]["how"], "not-served");
  EXPECT_EQ(r.json["external_kmps"][0]["command"],
            "kmpkit kmp build /usr/src/kmpt-alias-1.0 " + kver + " --out /srv/kmps");
  auto text = kmpkit_run("verify --root " + shell_quote(root) + " --kernel " + kver);
  EXPECT_NE(text.out.find("does not fit kernel " + kver), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("`kmpkit kmp build /usr/src/kmpt-alias-1.0 " + kver + " --out /srv/kmps`"), std::string::npos)
      << text.out;

  // weak-updates linked it (absolute, as weak-modules2 does; resolved inside the root): served.
  fs::create_directories(md(root) + "/weak-updates/updates");
  fs::create_symlink("/lib/modules/" + old_kver + "/updates/kmpt_alias.ko", md(root) + "/weak-updates/updates/kmpt_alias.ko");
  auto ok = verify(root, "--kernel " + kver);
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(findings_of(ok.json), Findings{});
  EXPECT_EQ(ok.json["external_kmps"][0]["how"], "weak-updates");
  EXPECT_EQ(ok.json["external_kmps"][0]["package"], "kmpt-alias-kmp-amd64-aaaaaaaa");
}

TEST(kabi_verify, UnreadableModuleAndMissingSymvers) {
  auto root = make_root();
  write_text(md(root) + "/extra/broken.ko", "garbage");
  auto r = verify(root);
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_EQ(findings_of(r.json), Findings{"read/unreadable-module/broken/"});
  auto root2 = make_root();
  fs::remove(md(root2) + "/Module.symvers");
  write_text(md(root2) + "/System.map", "");  // the kernel is there, its Module.symvers is not
  auto r2 = verify(root2);
  EXPECT_EQ(r2.exit_code, 0);
  EXPECT_EQ(findings_of(r2.json), Findings{"symvers/no-symvers//"});
}

TEST(kabi_verify, EveryKernelOfTheRootAndUsage) {
  auto root = make_root();
  fs::create_directories(root + "/lib/modules/6.1.0-1-amd64/extra");
  fs::copy_file(kmpkit::test::test_modules_dir() + "/plain/kmpt_extra.ko",
                root + "/lib/modules/6.1.0-1-amd64/extra/kmpt_extra.ko");
  // Only a module, no kernel files, no modules.dep: the kernel is not installed, the directory
  // only keeps a KMP (kabi scheme) that no kernel links to: a warning.
  auto store = verify(root);
  ASSERT_EQ(store.json["kernels"].size(), 1u);
  ASSERT_EQ(store.json["module_stores"].size(), 1u);
  EXPECT_EQ(store.json["module_stores"][0]["kver"], "6.1.0-1-amd64");
  EXPECT_EQ(store.json["module_stores"][0]["unused"], nlohmann::json::array({"extra/kmpt_extra.ko"}));
  EXPECT_EQ(store.json["warnings"], 1);
  EXPECT_EQ(store.exit_code, 0);
  // With its System.map it is a kernel.
  write_text(root + "/lib/modules/6.1.0-1-amd64/System.map", "");
  auto r = verify(root);
  ASSERT_EQ(r.json["kernels"].size(), 2u);
  EXPECT_EQ(r.json["kernels"][0]["kver"], "6.1.0-1-amd64");
  // That kernel has no Module.symvers: a warning, still consistent.
  EXPECT_EQ(findings_of(r.json), Findings{"symvers/no-symvers//"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(verify(root, "--kernel " + test_kver()).json["kernels"].size(), 1u);
  EXPECT_EQ(verify(root, "--kernel 9.9.9").exit_code, 3);
  EXPECT_EQ(kmpkit_run("verify --root /nonexistent-root").exit_code, 3);
}

}  // namespace

namespace kmpkit::verify {
namespace {

// The human report speaks one vocabulary (issue 14): "... and N more" sits in the findings' own
// columns, under the check name the shown findings carry, then the kind.
TEST(kabi_verify, AndNMoreUsesTheFindingsColumns) {
  VerifyReport report;
  report.root = "/r";
  KernelReport k;
  k.kver = "6.1.0-57-amd64";
  for (int i = 0; i < 12; ++i)
    k.findings.push_back({"ksym", "crc-mismatch", Severity::Error, "m" + std::to_string(i), "kernel/m.ko", "s", "x"});
  k.errors = 12;
  report.kernels.push_back(k);
  std::string text = verify_text(report, false, false);
  EXPECT_NE(text.find("  error   ksym         m0 (kernel/m.ko): x\n"), std::string::npos) << text;
  EXPECT_NE(text.find("          ksym         ... and 2 more crc-mismatch finding(s) (--details lists all)\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace kmpkit::verify
