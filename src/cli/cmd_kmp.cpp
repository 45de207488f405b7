// kmpkit kmp build: an external module source (DKMS or Kbuild) into a KABI-named KMP in a repository.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "kmp/kmp_build.hpp"

namespace fs = std::filesystem;

namespace kmpkit::cli {
namespace {

struct KmpBuildArgs {
  std::string source, root, kver, out, key, cert, gpg_key, name, version, release = "1", work;
  bool keep_work = false, json = false;
  unsigned jobs = 0;
};

std::string self_binary() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

int run_kmp_build(const KmpBuildArgs& a) {
  kmp::KmpBuildOptions o;
  o.source_dir = a.source;
  o.root = a.root;
  o.kver = a.kver;
  o.repo_dir = a.out;
  o.sign_key = a.key;
  o.sign_cert = a.cert;
  o.gpg_key = a.gpg_key;
  o.name = a.name;
  o.version = a.version;
  o.release = a.release;
  o.work_dir = a.work;
  o.keep_work = a.keep_work;
  o.jobs = a.jobs;
  o.kmpkit_binary = self_binary();
  kmp::KmpBuildResult r;
  try {
    r = kmp::build_kmp(o);
  } catch (const kmp::KernelExcluded& e) {
    fmt::print(stderr, "kmpkit kmp build: {}\n", e.what());
    return exit_code::excluded;
  } catch (const Error& e) {
    fmt::print(stderr, "kmpkit kmp build: {}\n", e.what());
    return exit_code::of(e.kind());
  }
  if (a.json) std::cout << kmp::kmp_build_json(r).dump(1) << "\n";
  else std::cout << kmp::kmp_build_text(r);
  std::cout.flush();
  return std::cout ? exit_code::ok : exit_code::io_error;
}

}  // namespace

void add_kmp_command(CLI::App& app, int& exit_code) {
  auto* kmp_cmd = app.add_subcommand("kmp", "External kernel module packages (DKMS and Kbuild sources; docs/external-kmps.md)");
  kmp_cmd->require_subcommand(1);
  auto a = std::make_shared<KmpBuildArgs>();
  auto* build = kmp_cmd->add_subcommand(
      "build", "Build a module source (DKMS dkms.conf or a Kbuild directory) into a KMP for one kernel, added to a repository");
  build->footer(
      "Compiles SRC_DIR against KVER's build tree (ROOT/lib/modules/KVER/build or\n"
      "ROOT/usr/src/linux-headers-KVER; -b an unpacked kernel, default this system) as DKMS would\n"
      "(dkms.conf sourced by bash: MAKE[], BUILT_MODULE_*[], DEST_MODULE_LOCATION[], BUILD_EXCLUSIVE_*)\n"
      "or with kbuild (make -C BUILD_TREE M=SRC modules), installs the modules under\n"
      "/lib/modules/KVER/updates/ in a KMP named NAME-kmp-FLAVOR-KABI (version: the driver's), with the\n"
      "ksym()/kmod()/modalias()/firmware dependencies of kmpkit's KMPs, and adds it to REPO_DIR\n"
      "(createrepo_c --update). With --sign-key/--sign-cert the modules are signed with the tree's\n"
      "scripts/sign-file and the KMP requires kmp-signing-cert-HEX8, which ships the certificate.\n"
      "Nothing is published when anything fails. docs/external-kmps.md.\n"
      "Exit: 0 built and published, 2 bad options or dkms.conf, 3 source, build tree or tool missing,\n"
      "or headers of another kernel, 5 does not compile / a module dkms.conf names was not made /\n"
      "rpmbuild failed, 7 write error, 8 BUILD_EXCLUSIVE_* excludes the kernel.");
  build->add_option("source", a->source, "The module source directory (dkms.conf, or Kbuild/Makefile)")->required();
  build->add_option("kver", a->kver, "Kernel release (default: ROOT/KVER, the one kernel in ROOT/lib/modules, or uname -r)");
  build->add_option("-b,--basedir", a->root, "Root holding the kernel and its headers (an unpacked kernel), as depmod -b");
  build->add_option("-o,--out", a->out, "The rpm-md repository to add the KMP to (created when missing)")->required();
  build->add_option("--sign-key", a->key, "Private key (PEM) to sign the modules with (with --sign-cert)");
  build->add_option("--sign-cert", a->cert, "Its X.509 certificate (PEM or DER), shipped in kmp-signing-cert-HEX8");
  build->add_option("--gpg-key", a->gpg_key,
                    "Sign the rpms (rpmsign) and the repository metadata (repomd.xml.asc) with this key of GNUPGHOME and "
                    "publish its public key; a signed repository needs it for every later build (docs/signing.md)");
  build->add_option("--name", a->name, "Driver name (default: PACKAGE_NAME, or the directory's name before -VERSION)");
  build->add_option("--version", a->version, "Driver version (default: PACKAGE_VERSION, or the directory's, or modinfo's)");
  build->add_option("--release", a->release, "Package release (default 1; raise it for a rebuild of the same version)");
  build->add_option("--work", a->work, "Work directory (default: a new one under $TMPDIR, removed after success)");
  build->add_flag("--keep-work", a->keep_work, "Keep the work directory (sources, make.log, specs, rpmbuild logs)");
  build->add_option("-j,--jobs", a->jobs, "make -j (default: CPUs)");
  build->add_flag("--json", a->json, "JSON: the package, its modules, the rpms, the times");
  build->callback([a, &exit_code] { exit_code = run_kmp_build(*a); });
}

}  // namespace kmpkit::cli
