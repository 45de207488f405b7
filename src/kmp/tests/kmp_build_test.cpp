// `kmpkit kmp build` on the tiny DKMS source of tests/kmp-sources against the unpacked real
// kernel: the KMP and its dependencies as rpm prints them, signing, and every bad input with its
// message and exit code, nothing published.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "gpg_key.hpp"
#include "test_env.hpp"

namespace fs = std::filesystem;

namespace kmpkit::test {
namespace {

CommandResult kmpkit(const std::string& args) { return run(shell_quote(kmpkit_binary()) + " " + args); }

// A copy of the tiny DKMS source to change.
std::string tiny_source(const std::string& hint) {
  std::string dir = temp_dir(hint) + "/kmpt-dkms-1.0";
  fs::copy(source_dir() + "/tests/kmp-sources/kmpt-dkms-1.0", dir, fs::copy_options::recursive);
  return dir;
}

std::string build_args(const std::string& src, const std::string& repo, const std::string& extra = "") {
  return "kmp build " + shell_quote(src) + " -b " + shell_quote(kernel_root()) + " --out " + shell_quote(repo) + " -j 2 --work " +
         shell_quote(temp_dir("kmpkit-kmp-work")) + " " + extra;
}

bool has_rpms(const std::string& repo) {
  std::error_code ec;
  if (!fs::exists(repo, ec)) return false;
  for (auto& e : fs::recursive_directory_iterator(repo, ec))
    if (e.path().extension() == ".rpm") return true;
  return false;
}

std::string rpm_query(const std::string& rpm, const std::string& what) {
  auto r = run("rpm -qp " + what + " " + shell_quote(rpm) + " 2>/dev/null");
  return r.out;
}

std::string the_rpm(const std::string& repo, const std::string& prefix) {
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(repo, ec))
    if (e.path().extension() == ".rpm" && e.path().filename().string().rfind(prefix, 0) == 0) return e.path().string();
  return {};
}

// The CRC kernel's Module.symvers gives a symbol, as rpm prints it in ksym() (lower-case hex, no 0x).
std::string symvers_crc(const std::string& symbol) {
  std::string kver = kernel_release();
  auto r = run("awk -v s=" + shell_quote(symbol) + " '$2 == s { print $1; exit }' " +
               shell_quote(kernel_root() + "/usr/src/linux-headers-" + kver + "/Module.symvers"));
  std::string crc = r.out.substr(0, r.out.find('\n'));
  if (crc.rfind("0x", 0) == 0) crc = crc.substr(2);
  while (crc.size() > 1 && crc[0] == '0') crc.erase(0, 1);
  return crc;
}

// One compile (the costly part): signed, so the signature and the certificate package are checked too.
TEST(KmpBuild, TinyDkmsSourceBecomesASignedKabiNamedKmp) {
  std::string src = tiny_source("kmpkit-kmp-ok");
  std::string keys = temp_dir("kmpkit-kmp-keys");
  auto gen = run("openssl req -new -x509 -newkey rsa:2048 -nodes -days 1 -subj '/CN=kmpkit test signing key/' -keyout " +
                 shell_quote(keys + "/key.pem") + " -out " + shell_quote(keys + "/cert.pem") + " 2>&1");
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  std::string repo = temp_dir("kmpkit-kmp-repo") + "/repo";
  GpgSigningKey gpg;  // and the rpms and the repository signed for zypper's checks
  auto r = run(gpg.env() + shell_quote(kmpkit_binary()) + " " +
               build_args(src, repo, "--sign-key " + shell_quote(keys + "/key.pem") + " --sign-cert " +
                                         shell_quote(keys + "/cert.pem") + " --gpg-key " + shell_quote(gpg.id) +
                                         " --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string kver = kernel_release();
  std::string rpm = the_rpm(repo, "kmpt-dkms-kmp-amd64-"), cert = the_rpm(repo, "kmp-signing-cert-");
  ASSERT_FALSE(rpm.empty()) << r.out;
  ASSERT_FALSE(cert.empty()) << r.out;
  EXPECT_TRUE(fs::exists(repo + "/repodata/repomd.xml"));
  EXPECT_NE(r.out.find("\"source_kind\": \"dkms\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"signer\": \"kmpkit test signing key\""), std::string::npos) << r.out;
  EXPECT_EQ(rpm_query(rpm, "--qf '%{VERSION}-%{RELEASE}'"), "1.0-1");
  std::string name = rpm_query(rpm, "--qf '%{NAME}'");
  EXPECT_EQ(rpm_query(rpm, "-l"), "/lib/modules/" + kver + "\n/lib/modules/" + kver + "/updates\n/lib/modules/" + kver +
                                      "/updates/kmpt_dkms.ko\n/usr/lib/kmpkit/kmp\n/usr/lib/kmpkit/kmp/" + name + ".build\n");
  // Its build record: how to build the same driver, named and signed the same way, for another kernel.
  std::string record = run("rpm2cpio " + shell_quote(rpm) + " | cpio -i --to-stdout ./usr/lib/kmpkit/kmp/" + name +
                           ".build 2>/dev/null").out;
  const std::vector<std::string> lines = {"package=" + name + "\n",
                                          "base_name=kmpt-dkms-kmp-amd64\n",
                                          "kver=" + kver + "\n",
                                          "module=updates/kmpt_dkms.ko\n",
                                          "source_dir=" + fs::canonical(src).string() + "\n",
                                          "repo_dir=" + repo + "\n",
                                          "option=--sign-key\noption=" + keys + "/key.pem\n",
                                          "option=--gpg-key\noption=" + gpg.id + "\n"};
  for (const auto& line : lines)
    EXPECT_NE(record.find(line), std::string::npos) << line << " not in\n" << record;
  std::string provides = rpm_query(rpm, "--provides");
  EXPECT_NE(provides.find("kmod(kmpt_dkms.ko)\n"), std::string::npos) << provides;
  EXPECT_NE(provides.find("ksym(amd64:kmpt_dkms_answer) = "), std::string::npos) << provides;
  EXPECT_NE(provides.find("kmpt-dkms-kmp-amd64 = 1.0-1\n"), std::string::npos) << provides;
  std::string requires_ = rpm_query(rpm, "--requires");
  EXPECT_NE(requires_.find("ksym(amd64:_printk) = " + symvers_crc("_printk") + "\n"), std::string::npos) << requires_;
  EXPECT_NE(requires_.find("ksym(amd64:module_layout) = " + symvers_crc("module_layout") + "\n"), std::string::npos)
      << requires_;
  EXPECT_EQ(requires_.find("kernel-uname-r"), std::string::npos) << "a KABI-named KMP serves every kernel it fits";
  std::string supplements = rpm_query(rpm, "--supplements");
  EXPECT_NE(supplements.find("modalias(kernel-amd64:pci:v00001AF4d0000FFF0sv*sd*bc*sc*i*)"), std::string::npos)
      << supplements;
  EXPECT_NE(supplements.find("(kmpt-dkms-kmp-amd64 and kernel-uname-r = " + kver + ")"), std::string::npos)
      << supplements;
  // Signed: the KMP requires the certificate's package, which installs it where SUSE's do.
  std::string cert_name = rpm_query(cert, "--qf '%{NAME}'");
  EXPECT_NE(requires_.find(cert_name + "\n"), std::string::npos) << requires_;
  EXPECT_NE(rpm_query(cert, "-l").find("/etc/uefi/certs/"), std::string::npos);
  // The packaged module carries the signature: extract it and ask modinfo.
  std::string x = temp_dir("kmpkit-kmp-signed-x");
  auto ex = run("cd " + shell_quote(x) + " && rpm2cpio " + shell_quote(rpm) + " | cpio -idm --quiet && modinfo -F signer " +
                "lib/modules/*/updates/kmpt_dkms.ko");
  EXPECT_EQ(ex.out, "kmpkit test signing key\n") << ex.err;
  // --gpg-key: both rpms signed, repomd.xml signed, the public key published.
  for (const auto& p : {rpm, cert})
    EXPECT_NE(rpm_query(p, "--qf '%{RSAHEADER:pgpsig}'").find("Key ID"), std::string::npos) << p;
  auto v = run(gpg.env() + "gpg --batch --verify " + shell_quote(repo + "/repodata/repomd.xml.asc") + " " +
               shell_quote(repo + "/repodata/repomd.xml") + " 2>&1");
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_TRUE(fs::exists(repo + "/RPM-GPG-KEY-kmpkit"));
  // A signed repository stays signed: a build without the key is refused before it compiles.
  auto unsigned_build = kmpkit(build_args(src, repo));
  EXPECT_EQ(unsigned_build.exit_code, 2) << unsigned_build.out << unsigned_build.err;
  EXPECT_NE(unsigned_build.err.find("is a signed repository (repodata/repomd.xml.asc): give --gpg-key"),
            std::string::npos)
      << unsigned_build.err;
}

// dkms.conf's PATCH[] (with PATCH_MATCH), PRE_BUILD and POST_BUILD, as DKMS runs them.
TEST(KmpBuild, DkmsPatchesAndBuildScripts) {
  std::string src = tiny_source("kmpkit-kmp-patch");
  fs::create_directories(src + "/patches");
  write_text(src + "/patches/describe.patch",
             "--- a/kmpt_dkms.c\n+++ b/kmpt_dkms.c\n@@ -22 +22 @@\n"
             "-MODULE_DESCRIPTION(\"kmpkit test module from a DKMS source\");\n"
             "+MODULE_DESCRIPTION(\"patched by dkms.conf PATCH\");\n");
  write_text(src + "/patches/old-kernels.patch", "this is no patch: applying it would fail\n");
  write_text(src + "/pre.sh", "#!/bin/sh\necho \"$kernelver $1\" > pre-ran\n");
  write_text(src + "/post.sh", "#!/bin/sh\ntest -f kmpt_dkms.ko && echo built > post-ran\n");
  fs::permissions(src + "/pre.sh", fs::perms::owner_exec, fs::perm_options::add);
  fs::permissions(src + "/post.sh", fs::perms::owner_exec, fs::perm_options::add);
  write_text(src + "/dkms.conf", read_text(src + "/dkms.conf") +
                                     "PATCH[0]=\"describe.patch\"\nPATCH[1]=\"old-kernels.patch\"\n"
                                     "PATCH_MATCH[1]=\"^4\\.\"\nPRE_BUILD=\"pre.sh first\"\nPOST_BUILD=\"post.sh\"\n");
  std::string repo = temp_dir("kmpkit-kmp-patch-repo") + "/repo", work = temp_dir("kmpkit-kmp-patch-work");
  auto r = kmpkit("kmp build " + shell_quote(src) + " -b " + shell_quote(kernel_root()) + " --out " + shell_quote(repo) +
                  " -j 2 --keep-work --work " + shell_quote(work) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["notes"], nlohmann::json::array({"applied patches/describe.patch (dkms.conf PATCH)",
                                               "ran PRE_BUILD `pre.sh first`", "ran POST_BUILD `post.sh`"}));
  const std::string build = work + "/dkms/kmpt-dkms/1.0/build";
  EXPECT_EQ(read_text(build + "/pre-ran"), kernel_release() + " first\n");
  EXPECT_EQ(read_text(build + "/post-ran"), "built\n");
  std::string rpm = the_rpm(repo, "kmpt-dkms-kmp-amd64-");
  ASSERT_FALSE(rpm.empty());
  std::string x = temp_dir("kmpkit-kmp-patch-x");
  auto ex = run("cd " + shell_quote(x) + " && rpm2cpio " + shell_quote(rpm) +
                " | cpio -idm --quiet && modinfo -F description lib/modules/*/updates/kmpt_dkms.ko");
  EXPECT_EQ(ex.out, "patched by dkms.conf PATCH\n") << ex.err;
  // A patch that does not apply: named, nothing published.
  write_text(src + "/dkms.conf", read_text(src + "/dkms.conf") + "PATCH_MATCH[1]=\"^6\\.\"\n");
  std::string repo2 = temp_dir("kmpkit-kmp-patch-repo2") + "/repo";
  auto bad = kmpkit(build_args(src, repo2));
  EXPECT_EQ(bad.exit_code, 5) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("dkms.conf's PATCH old-kernels.patch does not apply"), std::string::npos) << bad.err;
  EXPECT_FALSE(has_rpms(repo2));
}

TEST(KmpBuild, BuildExclusiveThatExcludesTheKernelIsAnErrorOfItsOwn) {
  std::string src = tiny_source("kmpkit-kmp-excl");
  write_text(src + "/dkms.conf", read_text(src + "/dkms.conf") + "BUILD_EXCLUSIVE_KERNEL=\"^5\\.\"\n");
  std::string repo = temp_dir("kmpkit-kmp-excl-repo") + "/repo";
  auto r = kmpkit(build_args(src, repo));
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_EQ(r.err, "kmpkit kmp build: kmpt-dkms 1.0 does not build for " + kernel_release() +
                       ": BUILD_EXCLUSIVE_KERNEL=\"^5\\.\" does not match " + kernel_release() +
                       " (dkms.conf); nothing was built\n");
  EXPECT_FALSE(has_rpms(repo));
  write_text(src + "/dkms.conf", read_text(src + "/dkms.conf") + "BUILD_EXCLUSIVE_KERNEL=\nBUILD_EXCLUSIVE_CONFIG=\"CONFIG_NOT_THERE\"\n");
  r = kmpkit(build_args(src, repo));
  EXPECT_EQ(r.exit_code, 8) << r.err;
  EXPECT_NE(r.err.find("BUILD_EXCLUSIVE_CONFIG needs CONFIG_NOT_THERE"), std::string::npos) << r.err;
}

TEST(KmpBuild, MissingHeadersOrHeadersOfAnotherKernel) {
  std::string src = tiny_source("kmpkit-kmp-hdr");
  std::string repo = temp_dir("kmpkit-kmp-hdr-repo") + "/repo";
  std::string empty = temp_dir("kmpkit-kmp-noheaders");
  fs::create_directories(empty + "/lib/modules/6.1.0-99-amd64");
  auto r = kmpkit("kmp build " + shell_quote(src) + " -b " + shell_quote(empty) + " --out " + shell_quote(repo));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("kmpkit kmp build: no build tree (kernel headers) for 6.1.0-99-amd64"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("install linux-headers-6.1.0-99-amd64"), std::string::npos) << r.err;
  // Headers that say they are another kernel's.
  std::string kver = kernel_release();
  fs::create_directories(empty + "/usr/src");
  fs::create_directory_symlink(kernel_root() + "/usr/src/linux-headers-" + kver, empty + "/usr/src/linux-headers-6.1.0-99-amd64");
  r = kmpkit("kmp build " + shell_quote(src) + " -b " + shell_quote(empty) + " 6.1.0-99-amd64 --out " + shell_quote(repo));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("are of kernel " + kver + ", not 6.1.0-99-amd64"), std::string::npos) << r.err;
  EXPECT_FALSE(has_rpms(repo));
}

TEST(KmpBuild, NotAModuleSourceAndBadOptions) {
  std::string dir = temp_dir("kmpkit-kmp-notsrc");
  std::string repo = temp_dir("kmpkit-kmp-notsrc-repo") + "/repo";
  auto r = kmpkit(build_args(dir, repo));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("has neither dkms.conf nor a Kbuild or Makefile"), std::string::npos) << r.err;
  r = kmpkit(build_args(dir, repo, "--sign-key " + shell_quote(dir)));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--sign-key and --sign-cert go together"), std::string::npos) << r.err;
  r = kmpkit("kmp build " + shell_quote(dir));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("kmpkit kmp build: the option --out is required", 0), 0u) << r.err;
  EXPECT_EQ(kmpkit("kmp build --help").exit_code, 0);
}

TEST(KmpBuild, ASourceThatDoesNotCompileOrLacksAModule) {
  std::string src = tiny_source("kmpkit-kmp-broken");
  std::string repo = temp_dir("kmpkit-kmp-broken-repo") + "/repo";
  write_text(src + "/kmpt_dkms.c", read_text(src + "/kmpt_dkms.c") + "\nint kmpt_broken(void) { return undeclared_thing; }\n");
  auto r = kmpkit(build_args(src, repo));
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("kmpkit kmp build: the module source does not compile against " + kernel_release()),
            std::string::npos) << r.err;
  EXPECT_NE(r.err.find("error: 'undeclared_thing' undeclared"), std::string::npos) << r.err;  // the first error, C locale
  EXPECT_NE(r.err.find("work directory kept: "), std::string::npos) << r.err;
  EXPECT_FALSE(has_rpms(repo));

  // The build runs, but does not make the module dkms.conf names (a MAKE line standing in for a
  // Makefile that builds under another name: no compiler needed to show the check).
  src = tiny_source("kmpkit-kmp-missing");
  write_text(src + "/dkms.conf", read_text(src + "/dkms.conf") + "MAKE[0]=\"touch kmpt_other.ko\"\n");
  r = kmpkit(build_args(src, repo));
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("the build made no kmpt_dkms.ko, which dkms.conf names (BUILT_MODULE_NAME[0]); it made: kmpt_other.ko"),
            std::string::npos) << r.err;
  EXPECT_FALSE(has_rpms(repo));
}

}  // namespace
}  // namespace kmpkit::test
