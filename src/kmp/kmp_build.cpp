#include "kmp/kmp_build.hpp"

#include <sys/utsname.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "build/repo_builder.hpp"
#include "build/repo_signing.hpp"
#include "depgen/depgen.hpp"
#include "depgen/softdep_targets.hpp"
#include "kabi/kabi_id.hpp"
#include "kmp/build_record.hpp"
#include "kmp/dkms_conf.hpp"
#include "kmp/kbuild_run.hpp"
#include "kmp/kernel_headers.hpp"
#include "kmp/kmp_spec.hpp"
#include "kmp/module_signing.hpp"
#include "module/module_reader.hpp"
#include "package/plan.hpp"
#include "spec/manifest.hpp"
#include "spec/spec_text.hpp"
#include "spec/split.hpp"
#include "util/error.hpp"
#include "util/process.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace kmpkit::kmp {
namespace {

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string read_all(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string machine() {
  struct utsname u {};
  return uname(&u) == 0 ? u.machine : "x86_64";
}

std::string make_work_dir(const KmpBuildOptions& o) {
  std::error_code ec;
  if (!o.work_dir.empty()) {
    fs::create_directories(o.work_dir, ec);
    if (ec) throw Error(ErrorKind::Write, fmt::format("cannot create {}: {}", o.work_dir, ec.message()));
    return fs::absolute(o.work_dir).lexically_normal().string();
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string tmpl = (fs::path(tmp && *tmp ? tmp : "/tmp") / "kmpkit-kmp-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw Error(ErrorKind::Write, fmt::format("cannot create a work directory {}", tmpl));
  return tmpl;
}

void copy_tree(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::remove_all(to, ec);
  fs::create_directories(to.parent_path(), ec);
  fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) throw Error(ErrorKind::Write, fmt::format("cannot copy {} to {}: {}", from.string(), to.string(), ec.message()));
}

// What to build and where the modules go.
struct Source {
  std::string kind;  // "dkms" or "kbuild"
  std::string driver, version;
  std::string build_dir;     // the copy make runs in
  std::string make_command;  // "" = kbuild's default
  std::vector<DkmsModule> modules;  // dkms: named; kbuild: filled after the build
  std::vector<std::string> patches;           // dkms: PATCH[] for this kernel
  std::string pre_build, post_build;          // dkms: PRE_BUILD, POST_BUILD
  std::vector<std::string> script_env;        // what DKMS's scripts see: kernelver, arch, ...
};

// A plain Kbuild directory's name and version from "NAME-VERSION" (the /usr/src layout), else the name.
std::pair<std::string, std::string> name_version_of_dir(const fs::path& dir) {
  std::string base = dir.filename().string();
  static const std::regex re(R"(^(.+)-([0-9][A-Za-z0-9.+~_]*)$)");
  std::smatch m;
  if (std::regex_match(base, m, re)) return {m[1].str(), m[2].str()};
  return {base, ""};
}

Source describe_source(const KmpBuildOptions& o, const fs::path& src, const KernelHeaders& h, const std::string& arch,
                       const fs::path& work) {
  Source s;
  std::error_code ec;
  const fs::path conf = src / "dkms.conf";
  if (fs::is_regular_file(conf, ec)) {
    DkmsContext ctx{h.kver, arch, h.make_dir, (work / "dkms").string(), src.parent_path().string()};
    DkmsConf c = read_dkms_conf(conf.string(), ctx);
    if (auto why = exclusion_reason(c, h.kver, arch, read_all(h.config_file)))
      throw KernelExcluded(fmt::format("{} {} does not build for {}: {} (dkms.conf); nothing was built", c.package_name,
                              c.package_version, h.kver, *why));
    s.kind = "dkms";
    s.driver = o.name.empty() ? c.package_name : o.name;
    s.version = o.version.empty() ? c.package_version : o.version;
    s.build_dir = (work / "dkms" / c.package_name / c.package_version / "build").string();
    s.make_command = c.make_command;
    s.modules = c.modules;
    s.patches = c.patches;
    s.pre_build = c.pre_build;
    s.post_build = c.post_build;
    s.script_env = {"kernelver=" + h.kver, "arch=" + arch, "kernel_source_dir=" + h.make_dir,
                    "dkms_tree=" + ctx.dkms_tree, "source_tree=" + ctx.source_tree};
    return s;
  }
  if (!fs::is_regular_file(src / "Kbuild", ec) && !fs::is_regular_file(src / "Makefile", ec))
    throw Error(ErrorKind::Usage,
                fmt::format("{} has neither dkms.conf nor a Kbuild or Makefile: not a module source", src.string()));
  auto [name, version] = name_version_of_dir(src);
  s.kind = "kbuild";
  s.driver = o.name.empty() ? name : o.name;
  s.version = o.version.empty() ? version : o.version;
  s.build_dir = (work / "build" / src.filename()).string();
  return s;
}

// The modules the build made, checked against what dkms.conf names; kbuild: every .ko.
// Returns (file in the build, path under lib/modules/KVER, strip).
struct MadeModule {
  fs::path built;
  std::string dest;  // updates/...NAME.ko
  bool strip = true;
};

std::vector<MadeModule> made_modules(Source& s) {
  std::vector<MadeModule> out;
  auto made = built_module_files(s.build_dir);
  auto list_made = [&] {
    std::string l;
    for (const auto& m : made) l += (l.empty() ? "" : ", ") + m;
    return l.empty() ? std::string("no .ko at all") : l;
  };
  if (s.kind == "kbuild") {
    if (made.empty()) throw Error(ErrorKind::Tool, fmt::format("the build in {} made no module (.ko)", s.build_dir));
    for (const auto& m : made)
      out.push_back({fs::path(s.build_dir) / m, "updates/" + fs::path(m).filename().string(), true});
    return out;
  }
  for (size_t i = 0; i < s.modules.size(); ++i) {
    const auto& m = s.modules[i];
    fs::path file = fs::path(s.build_dir) / m.built_location / (m.name + ".ko");
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
      throw Error(ErrorKind::Tool,
                  fmt::format("the build made no {}.ko{}, which dkms.conf names (BUILT_MODULE_NAME[{}]); it made: {}; "
                              "nothing was published",
                              m.name, m.built_location.empty() ? "" : " in " + m.built_location, i, list_made()));
    out.push_back({file, updates_directory(m.dest_location) + "/" + m.dest_name + ".ko", m.strip});
  }
  return out;
}

void stage_module(const MadeModule& m, const fs::path& module_dir) {
  const fs::path to = module_dir / m.dest;
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  fs::copy_file(m.built, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(ErrorKind::Write, fmt::format("cannot copy {} to {}: {}", m.built.string(), to.string(), ec.message()));
  if (m.strip) {  // as DKMS (STRIP[i]) and the kernel's modules_install (INSTALL_MOD_STRIP=1) do
    auto r = run_process({"strip", "--strip-debug", to.string()});
    if (!r.ok()) throw Error(ErrorKind::Tool, fmt::format("strip {} failed: {}", to.string(), describe_failure("strip", r)));
  }
}

// The staged modules read as kmpkit reads any module tree; each must be built for KVER.
KernelInventory read_staged(const fs::path& module_dir, const std::vector<MadeModule>& made, const std::string& kver) {
  KernelInventory inv;
  inv.tree.module_dir = module_dir.string();
  ModuleReader reader;
  for (const auto& m : made) {
    auto r = reader.read((module_dir / m.dest).string(), module_dir.string());
    if (auto* err = std::get_if<ReadError>(&r))
      throw Error(ErrorKind::Tool, fmt::format("the build made {}, which kmod cannot read: {}", m.built.string(), err->message));
    auto rec = std::get<ModuleRecord>(std::move(r));
    std::string built_for = release_from_vermagic(rec.vermagic());
    if (built_for != kver)
      throw Error(ErrorKind::Input,
                  fmt::format("{} was built for {} (its vermagic), not {}: the source's Makefile used another "
                              "kernel's build tree; nothing was published",
                              m.built.filename().string(), built_for.empty() ? "no kernel" : built_for, kver));
    inv.modules.push_back(std::move(rec));
  }
  return inv;
}

std::string module_summary(const KernelInventory& inv, const std::string& driver) {
  for (const auto& m : inv.modules)
    if (auto d = m.first("description"); d && !d->empty()) return package::clean_summary(*d);
  return fmt::format("The {} kernel modules", driver);
}

std::string module_license(const KernelInventory& inv) {
  for (const auto& m : inv.modules)
    if (auto l = m.first("license"); l && !l->empty()) return *l;
  return "Unknown";
}

// A signed repository stays signed: adding a package without the key would leave repomd.xml.asc
// stale, and zypper would then refuse the whole repository.
void check_repository_signing(const KmpBuildOptions& o) {
  std::error_code ec;
  if (!o.gpg_key.empty()) {
    build::check_signing_key(o.gpg_key);
    return;
  }
  if (fs::exists(fs::path(o.repo_dir) / "repodata" / "repomd.xml.asc", ec))
    throw Error(ErrorKind::Usage,
                fmt::format("{} is a signed repository (repodata/repomd.xml.asc): give --gpg-key KEY_ID to sign the new "
                            "packages and its metadata again (docs/signing.md)",
                            o.repo_dir));
}

// The rpms into REPO_DIR (each copied under a temporary name and renamed), then createrepo_c
// --update, which keeps the repository's other packages and, with --keep-all-metadata, the
// patterns a kmpkit build added; with a key, repomd.xml is signed again.
std::vector<std::string> publish(const fs::path& built_repo, const fs::path& repo, const std::string& gpg_key,
                                 const fs::path& work) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::create_directories(repo, ec);
  if (ec) throw Error(ErrorKind::Write, fmt::format("cannot create {}: {}", repo.string(), ec.message()));
  for (auto it = fs::recursive_directory_iterator(built_repo, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".rpm") continue;
    const fs::path rel = fs::relative(it->path(), built_repo);
    const fs::path to = repo / rel, tmp = repo / rel.parent_path() / ("." + rel.filename().string() + ".tmp");
    std::error_code e2;
    fs::create_directories(to.parent_path(), e2);
    fs::copy_file(it->path(), tmp, fs::copy_options::overwrite_existing, e2);
    if (!e2) fs::rename(tmp, to, e2);
    if (e2) throw Error(ErrorKind::Write, fmt::format("cannot write {}: {}", to.string(), e2.message()));
    out.push_back(to.string());
  }
  std::sort(out.begin(), out.end());
  auto r = run_process({"createrepo_c", "--update", "--keep-all-metadata", "--no-database", repo.string()});
  if (!r.ok()) throw Error(ErrorKind::Tool, fmt::format("createrepo_c {} failed: {}", repo.string(), describe_failure("createrepo_c", r)));
  if (!gpg_key.empty()) build::sign_repository_metadata(repo.string(), gpg_key, (work / "gpg.log").string());
  return out;
}

// The record the KMP ships (build_record.hpp): enough to print the command that builds the same
// driver, named and signed the same way, for another kernel.
BuildRecord make_build_record(const KmpBuildOptions& o, const KmpBuildResult& r, const fs::path& src,
                              const KernelInventory& staged) {
  BuildRecord b;
  b.package = r.package;
  b.base_name = r.base_name;
  b.driver = r.driver;
  b.version = r.version;
  b.release = r.release;
  b.kver = r.kver;
  for (const auto& m : staged.modules) b.modules.push_back(m.path);
  b.source_dir = src.string();
  b.repo_dir = fs::absolute(o.repo_dir).lexically_normal().string();
  auto option = [&b](const char* flag, const std::string& value, bool path) {
    if (value.empty()) return;
    b.options.push_back(flag);
    b.options.push_back(path ? fs::absolute(value).lexically_normal().string() : value);
  };
  option("--name", o.name, false);
  option("--version", o.version, false);
  option("--sign-key", o.sign_key, true);
  option("--sign-cert", o.sign_cert, true);
  option("--gpg-key", o.gpg_key, false);
  return b;
}

}  // namespace

KmpBuildResult build_kmp(const KmpBuildOptions& o) {
  auto t0 = Clock::now();
  KmpBuildResult r;
  if (o.sign_key.empty() != o.sign_cert.empty())
    throw Error(ErrorKind::Usage, "--sign-key and --sign-cert go together: give both or neither");
  if (o.repo_dir.empty()) throw Error(ErrorKind::Usage, "--out REPO_DIR is required");
  std::error_code ec;
  if (!fs::is_directory(o.source_dir, ec))
    throw Error(ErrorKind::Input, fmt::format("{} is not a directory (a module source: dkms.conf or Kbuild)", o.source_dir));
  for (const std::string& f : {o.sign_key, o.sign_cert})
    if (!f.empty() && !fs::is_regular_file(f, ec)) throw Error(ErrorKind::Input, fmt::format("{} does not exist", f));
  check_repository_signing(o);  // before the compile, not after
  const fs::path src = fs::canonical(o.source_dir);
  const std::string root = o.root.empty() ? "" : fs::absolute(o.root).lexically_normal().string();
  r.kver = o.kver.empty() ? default_kernel_release(root) : o.kver;
  r.flavor = flavor_from_release(r.kver);
  const fs::path work = make_work_dir(o);
  bool compiled = false;
  try {
    KernelHeaders h = find_kernel_headers(root, r.kver, work.string());
    const std::string arch = machine();
    Source s = describe_source(o, src, h, arch, work);
    r.source_kind = s.kind;
    r.driver = s.driver;
    copy_tree(src, s.build_dir);

    // Compile.
    auto t_compile = Clock::now();
    compiled = true;
    CompileRequest req{s.build_dir, s.make_command, r.kver, h.make_dir, (work / "make.log").string(), o.jobs};
    apply_patches(s.build_dir, s.patches, (work / "patch.log").string());
    for (const auto& p : s.patches) r.notes.push_back(fmt::format("applied patches/{} (dkms.conf PATCH)", p));
    auto script = [&](const char* what, const std::string& cmd, const char* log) {
      if (cmd.empty()) return;
      if (run_build_script(s.build_dir, what, cmd, s.script_env, (work / log).string()))
        r.notes.push_back(fmt::format("ran {} `{}`", what, cmd));
      else
        r.notes.push_back(fmt::format("{} `{}` is not executable: not run (as DKMS does)", what, cmd));
    };
    script("PRE_BUILD", s.pre_build, "pre-build.log");
    compile_modules(req);
    script("POST_BUILD", s.post_build, "post-build.log");
    auto made = made_modules(s);
    r.compile_seconds = since(t_compile);

    // Stage (strip, sign), read, name.
    auto t_package = Clock::now();
    const fs::path stage = work / "stage" / "lib/modules" / r.kver;
    fs::remove_all(work / "stage", ec);
    std::optional<SigningCertificate> cert;
    if (!o.sign_key.empty()) {
      if (h.sign_file.empty())
        throw Error(ErrorKind::Input, fmt::format("{} has no scripts/sign-file: cannot sign (install linux-kbuild)", h.build_dir));
      cert = read_signing_certificate(o.sign_cert, work.string());
    }
    for (const auto& m : made) {
      stage_module(m, stage);
      if (cert) sign_module(h.sign_file, h.sig_hash, o.sign_key, o.sign_cert, (stage / m.dest).string());
    }
    KernelInventory staged = read_staged(stage, made, r.kver);
    if (s.version.empty())
      for (const auto& m : staged.modules)
        if (auto v = m.first("version"); v && !v->empty()) {
          s.version = *v;
          break;
        }
    r.version = rpm_version(s.version.empty() ? "0" : s.version);
    r.release = o.release.empty() ? "1" : o.release;
    std::vector<size_t> all(staged.modules.size());
    std::iota(all.begin(), all.end(), 0);
    r.kabi = kabi::kabi_id(all, staged);
    r.base_name = external_base_name(s.driver, r.flavor);
    r.package = r.base_name + "-" + r.kabi;

    // The specs, built by the same builder as a kernel's KMPs (and its check that rpm generated
    // the dependencies), into the work directory's repository.
    const fs::path spec_dir = work / "specs";
    spec::prepare_split_directory(spec_dir.string());
    spec::SplitOptions so;
    so.out_dir = spec_dir.string();
    so.kmpkit_binary = o.kmpkit_binary;
    if (!o.kmpkit_binary.empty()) spec::pin_generator(spec_dir.string(), o.kmpkit_binary);
    spec::write_file((spec_dir / depgen::kSoftdepMapFile).string(),
                     depgen::format_softdep_map(depgen::softdep_targets(staged)));
    ExternalKmp k;
    k.name = r.package;
    k.base_name = r.base_name;
    k.version = r.version;
    k.release = r.release;
    k.kver = r.kver;
    k.flavor = r.flavor;
    k.kabi = r.kabi;
    k.summary = module_summary(staged, s.driver);
    k.license = module_license(staged);
    k.description = fmt::format("{}\n\n{} {} ({} source), built for Linux {} (KABI {}); the modules are installed under "
                                "/lib/modules/{}/updates/ and take precedence over in-box modules of the same name.",
                                k.summary, s.driver, s.version.empty() ? "0" : s.version, s.kind, r.kver, r.kabi, r.kver);
    spec::SplitManifest manifest;
    manifest.kmpkit_version = KMPKIT_VERSION;
    manifest.kver = r.kver;
    manifest.flavor = r.flavor;
    manifest.version = r.version;
    manifest.release = r.release;
    manifest.root = root.empty() ? "/" : root;
    manifest.kernel_package = r.package;
    manifest.jobs = 1;
    manifest.scheme = "kabi";
    if (cert) {
      r.cert_package = certificate_package_name(*cert);
      k.requires_.push_back(r.cert_package);
      k.description += fmt::format("\nSigned by {} (certificate in {}).", cert->subject, r.cert_package);
      spec::write_file((spec_dir / "signing-cert.spec").string(), certificate_spec(*cert));
      manifest.specs.push_back({"signing-cert.spec", {r.cert_package}, 0, 0});
    }
    k.build_record = (spec_dir / (r.package + ".build")).string();
    spec::write_file(k.build_record, format_build_record(make_build_record(o, r, src, staged)));
    const std::string spec_name = r.package + ".spec";
    spec::write_file((spec_dir / spec_name).string(), external_kmp_spec(k, staged, stage.string(), so));
    uint64_t bytes = 0;
    for (const auto& m : staged.modules) bytes += m.size;
    manifest.specs.push_back({spec_name, {r.package}, staged.modules.size(), bytes});
    spec::write_manifest(spec_dir.string(), manifest);
    build::BuildOptions bo;
    bo.dir = spec_dir.string();
    bo.jobs = 1;
    bo.gpg_key = o.gpg_key;
    auto built = build::build_repository(bo);
    r.package_seconds = since(t_package);

    for (const auto& m : staged.modules)
      r.modules.push_back({"/lib/modules/" + r.kver + "/" + m.path, m.name, m.first("version").value_or(""), m.signer, m.size});
    r.repo_dir = fs::absolute(o.repo_dir).lexically_normal().string();
    r.rpms = publish(built.repo_dir, r.repo_dir, o.gpg_key, work);
  } catch (const KernelExcluded&) {
    if (o.work_dir.empty()) fs::remove_all(work, ec);
    throw;
  } catch (const Error& e) {
    if (compiled || o.keep_work)
      throw Error(e.kind(), fmt::format("{}\n(work directory kept: {})", e.what(), work.string()));
    if (o.work_dir.empty()) fs::remove_all(work, ec);
    throw;
  }
  if (o.keep_work) r.work_dir = work.string();
  else fs::remove_all(work, ec);
  r.total_seconds = since(t0);
  return r;
}

std::string kmp_build_text(const KmpBuildResult& r) {
  std::string s = fmt::format("{} {}-{} ({} source) for {}: KABI {}\n", r.package, r.version, r.release, r.source_kind,
                              r.kver, r.kabi);
  for (const auto& m : r.modules)
    s += fmt::format("  {}{}\n", m.path, m.signer.empty() ? "" : fmt::format(" (signed by {})", m.signer));
  if (!r.cert_package.empty()) s += fmt::format("  requires {} (the signing certificate)\n", r.cert_package);
  for (const auto& n : r.notes) s += fmt::format("  note: {}\n", n);
  s += fmt::format("added to {}: {}\n", r.repo_dir, r.rpms.size() == 1 ? "1 rpm" : fmt::format("{} rpms", r.rpms.size()));
  s += fmt::format("install it (with the repository enabled): zypper ref && zypper in {}\n", r.package);
  s += fmt::format("compile {:.1f} s, package {:.1f} s, total {:.1f} s\n", r.compile_seconds, r.package_seconds,
                   r.total_seconds);
  if (!r.work_dir.empty()) s += fmt::format("work directory kept: {}\n", r.work_dir);
  return s;
}

nlohmann::ordered_json kmp_build_json(const KmpBuildResult& r) {
  nlohmann::ordered_json j;
  j["package"] = r.package;
  j["base_name"] = r.base_name;
  j["version"] = r.version;
  j["release"] = r.release;
  j["kabi"] = r.kabi;
  j["kver"] = r.kver;
  j["flavor"] = r.flavor;
  j["source_kind"] = r.source_kind;
  j["driver"] = r.driver;
  j["cert_package"] = r.cert_package;
  auto& mods = j["modules"] = nlohmann::ordered_json::array();
  for (const auto& m : r.modules)
    mods.push_back({{"path", m.path}, {"name", m.name}, {"version", m.version}, {"signer", m.signer}, {"bytes", m.bytes}});
  j["rpms"] = r.rpms;
  j["notes"] = r.notes;
  j["repo_dir"] = r.repo_dir;
  j["compile_seconds"] = r.compile_seconds;
  j["package_seconds"] = r.package_seconds;
  j["total_seconds"] = r.total_seconds;
  return j;
}

}  // namespace kmpkit::kmp
