#include "rpm/spec_writer.hpp"
#include "util/shell_quote.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "depmod/cache.hpp"
#include "depmod/store.hpp"
#include "rpm/depgen.hpp"
#include "rpm/host_base.hpp"
#include "rpm/modalias_patterns.hpp"
#include "rpm/patterns_xml.hpp"
#include "package/softdep_targets.hpp"

namespace fs = std::filesystem;

namespace kmpkit::rpm {
namespace {

using package::PackagePlan;
using package::PlannedPackage;

// The module database files depmod writes (kmod 30), and kmpkit depmod's per-module cache:
// owned by the kernel package as %ghost (whichever engine the policy's trigger runs).
const std::vector<std::string> kGhostFiles = {
    "modules.alias",       "modules.alias.bin",   "modules.builtin.alias.bin", "modules.builtin.bin",
    "modules.dep",         "modules.dep.bin",     "modules.devname",           "modules.softdep",
    "modules.symbols",     "modules.symbols.bin", depmod::kCacheFileName,
};

void write_file(const fs::path& path, const std::string& text) {
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error(fmt::format("cannot write {}", tmp.string()));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) throw std::runtime_error(fmt::format("writing {} failed (disk full?)", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
}

// rpm globs file-list paths and splits them on whitespace: refuse paths that would be misread.
void check_list_path(const std::string& path) {
  if (path.find_first_of(" \t\n\"*?[]{}\\%^$") != std::string::npos)
    throw std::runtime_error(fmt::format("cannot package {}: the path has a character rpm file lists misread", path));
}

// "Thu Nov 16 2025" for %changelog, from a file's mtime (reproducible) or now.
std::string changelog_date(const std::optional<std::string>& file) {
  std::time_t t = std::time(nullptr);
  struct stat st {};
  if (file && ::stat(file->c_str(), &st) == 0) t = st.st_mtime;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %d %Y", &tm);
  return buf;
}

std::string find_license_file(const std::string& root, const std::string& kver) {
  fs::path doc = fs::path(root.empty() ? "/" : root) / "usr/share/doc";
  std::error_code ec;
  for (const auto& name : {"linux-image-" + kver, "linux-image-" + kver + "-unsigned"}) {
    fs::path p = doc / name / "copyright";
    if (fs::is_regular_file(p, ec)) return p.string();
  }
  return {};
}

struct KernelFile {
  std::string source;  // absolute path on the build host
  std::string name;    // file name in /lib/modules/KVER
  bool boot_link;      // also /boot/<name>-KVER → ../lib/modules/KVER/<name>
};

// Where the kernel package's and the KMPs' scripts find kmpkit (the `kmpkit` package).
constexpr const char* kKmpkitTool = "/usr/bin/kmpkit";

// The first word of a command when it is an absolute path.
std::string command_program(const std::string& command) {
  std::string prog = command.substr(0, command.find(' '));
  return !prog.empty() && prog[0] == '/' ? prog : std::string();
}

// The programs the kernel package's scripts run, each once.
std::vector<std::string> script_programs(const SplitOptions& o, bool kabi_scheme) {
  std::vector<std::string> out;
  auto add = [&](const std::string& p) {
    if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  add(command_program(o.depmod_command));
  if (kabi_scheme) add(command_program(o.weak_updates_command));
  if (o.initrd) add(kKmpkitTool);
  return out;
}

// Where each kernel package puts its refresh script: what its scripts run when module files come
// or go (weak-updates links, the module database, the initrd).
std::string refresh_script_path(const std::string& kver) { return "/usr/lib/kmpkit/refresh/" + kver; }

// The marks the packages' scripts leave (docs/boot.md, "When the database and the initrd are made").
// Shell builtins only: an install root may have no mkdir or rm yet; /var/lib/kmpkit belongs to the
// kmpkit package (no kmpkit, no refresh script either: nothing to remember).
constexpr const char* kRefreshMark = "/var/lib/kmpkit/refresh-pending";
constexpr const char* kPurgeMark = "/var/lib/kmpkit/purge-kernels";
// Every kernel package ships this zypp setting (the same file, the same content): kernels install
// side by side (libzypp reads it from the system it installs into).
constexpr const char* kMultiversionConf = "/etc/zypp/multiversion.d/kmpkit-kernels.conf";

// %post of the kernel and of every KMP: module files changed, the end of the transaction refreshes.
std::string post_script() { return fmt::format("if [ -d /var/lib/kmpkit ]; then : > {}; fi\n", kRefreshMark); }

// %postun of every KMP: the same; an erase (not an upgrade) also tells the removal trigger to make
// the initrd at once (no %posttrans follows an erase).
std::string kmp_postun_script() {
  return fmt::format("if [ -d /var/lib/kmpkit ]; then\n  : > {}\n"
                     "  if [ \"$1\" = 0 ] && [ -d /var/lib/kmpkit/initrd ]; then : > /var/lib/kmpkit/initrd/erased; fi\nfi\n",
                     kRefreshMark);
}

// %posttrans of the kernel and of every KMP. zypper (libzypp 17.25) runs one rpm per package with
// --noposttrans, which also skips rpm's %transfiletriggerin, and runs the %posttrans scripts itself
// at the end of its transaction: the first one refreshes every kernel once, the others find no mark.
std::string posttrans_script() {
  return fmt::format("if [ -x {0} ]; then {0} refresh --pending; fi\n", kKmpkitTool);
}

// The command compressing the listed module files in %install (the packages then hold NAME.ko.zst
// or NAME.ko.xz: kmod, depmod and dracut read them, a signature stays valid inside). zstd -9 gives
// about a quarter of the size of Debian's modules, at a fraction of xz's time; xz uses the
// kernel's own modules_install settings.
std::string compress_command(const std::string& compress_modules) {
  if (compress_modules == "zstd") return "zstd -q --rm -9";
  if (compress_modules == "xz") return "xz --check=crc32 --lzma2=dict=1MiB";
  return {};
}

// %install lines compressing the modules in LIST (paths relative to the module directory).
std::string compress_step(const SplitOptions& o, const std::string& kdir, const std::string& list) {
  std::string cmd = compress_command(o.compress_modules);
  if (cmd.empty()) return {};
  return fmt::format("(cd %{{buildroot}}{} && xargs -r -d '\\n' {} < %{{_sourcedir}}/lists/{})\n", kdir, cmd, list);
}

// The preamble shared by all specs.
std::string spec_header(const PackagePlan& plan, const SplitOptions& o, const std::string& module_root) {
  std::string s;
  s += fmt::format("# Generated by kmpkit {} split from {} (Linux {}): do not edit, rerun kmpkit split.\n",
                   KMPKIT_VERSION, module_root, plan.kver);
  s += "# Build with `kmpkit build DIR`, or by hand: rpmbuild -bb --define \"_sourcedir DIR\" THIS.spec\n";
  s += fmt::format("%global kmpkit_kver {}\n", plan.kver);
  s += fmt::format("%global kmpkit_modules {}\n", spec_escape(module_root));
  if (!o.kmpkit_binary.empty()) {
    s += "# The dependency generator: the kmpkit that wrote this spec, pinned in DIR/bin.\n";
    s += "%global __kmpkit %{_sourcedir}/bin/kmpkit\n";
  }
  std::string depgen_opts;
  if (!o.depgen_flavor.empty()) depgen_opts += fmt::format(" --flavor {}", o.depgen_flavor);
  if (o.provides_imported) {  // ksym() provides only for symbols some module of this kernel imports
    s += "# [kmp] provides = \"imported\": ksym() provides only for the symbols listed there.\n";
    depgen_opts += fmt::format(" {} %{{_sourcedir}}/{}", kProvidesOnlyImportedOption, kImportedSymbolsFile);
  }
  // Softdeps that name aliases (crc32c) resolve to the modules answering them.
  depgen_opts += fmt::format(" {} %{{_sourcedir}}/{}", kSoftdepMapOption, kSoftdepMapFile);
  if (plan.kabi_scheme) {  // hardware supplements only where a kernel declares the build (kmp-for())
    s += "# kabi scheme: modalias() supplements on kmp-for(NAME), which the kernels that use the build provide.\n";
    depgen_opts += fmt::format(" {} %{{_sourcedir}}/{}", kModaliasPrefixOption, kModaliasPrefixFile);
  }
  if (!depgen_opts.empty()) s += fmt::format("%global kmpkit_depgen_opts{}\n", depgen_opts);
  s += "# Module files reach the packages byte for byte (no strip, no debuginfo, no brp step).\n";
  s += "%kmpkit_keep_modules_intact\n";
  s += "# Kernel modules are not programs: keep rpm's ELF dependency generator off them.\n";
  s += "%global __elf_exclude_path ^/lib/modules/\n";
  s += "# kernel-uname-r = 6.1.0-56-amd64 has two '-': rpm >= 4.14 wants this to accept it (SUSE's value).\n";
  s += "%global _wrong_version_format_terminate_build 0\n";
  s += fmt::format("%global _binary_payload {}\n", o.payload);
  s += "%global _source_payload %{_binary_payload}\n";
  return s;
}

std::string package_preamble(const PlannedPackage& p, const PackagePlan& plan, bool main, bool noarch) {
  std::string s;
  if (main) {
    s += fmt::format("Name: {}\n", p.name);
    s += fmt::format("Version: {}\nRelease: {}\n", plan.version, plan.release);
  } else {
    s += fmt::format("\n%package -n {}\n", p.name);
  }
  s += fmt::format("Summary: {}\n", spec_escape(p.summary));
  s += fmt::format("License: {}\n", spec_escape(p.license));
  s += p.kind == package::PackageKind::Pattern ? "Group: Metapackages\n" : "Group: System/Kernel\n";
  if (noarch) s += "BuildArch: noarch\n";
  for (const auto& v : p.provides) s += fmt::format("Provides: {}\n", spec_escape(v));
  for (const auto& v : p.requires_) s += fmt::format("Requires: {}\n", spec_escape(v));
  for (const auto& v : p.recommends) s += fmt::format("Recommends: {}\n", spec_escape(v));
  for (const auto& v : p.suggests) s += fmt::format("Suggests: {}\n", spec_escape(v));
  for (const auto& v : p.supplements) s += fmt::format("Supplements: {}\n", spec_escape(v));
  return s;
}

std::string description(const PlannedPackage& p, bool main) {
  std::string text = spec_escape(p.description);
  if (text.empty()) text = spec_escape(p.summary);
  return (main ? std::string("\n%description\n") : fmt::format("\n%description -n {}\n", p.name)) + text + "\n";
}

// An ERE matching exactly one of the given module paths (each special character as a class).
std::string path_alternation(const std::string& kdir, const std::vector<std::string>& paths) {
  std::string re = "^" + kdir + "/(";
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i) re += "|";
    for (char c : paths[i]) {
      if (std::string_view(".[]{}()*+?^$|\\").find(c) != std::string_view::npos) re += std::string("[") + c + "]";
      else re += c;
    }
  }
  return re + ")$";
}

// rpm 4.18 runs each dependency generator once per file (a fork and exec of kmpkit each time).
// For files where kmpkit depgen is known to print nothing, the call is skipped with rpm's
// %__<kind>_exclude_from: --supplements prints only for device and fs- aliases, --recommends only for
// softdeps and firmware. Every dependency still comes from the generator.
std::string generator_exclusions(const std::vector<size_t>& modules, const KernelInventory& inv,
                                 const std::string& kdir, const std::string& compress_modules) {
  std::vector<std::string> no_supplements, no_recommends;
  for (size_t i : modules) {
    const auto& m = inv.modules[i];
    auto aliases = m.aliases();
    if (std::none_of(aliases.begin(), aliases.end(), [](const std::string& a) { return is_device_alias(a); }) &&
        filesystem_names(m).empty())
      no_supplements.push_back(m.path + packaged_suffix(m.path, compress_modules));
    if (m.softdeps().empty() && m.firmware().empty())
      no_recommends.push_back(m.path + packaged_suffix(m.path, compress_modules));
  }
  std::string s = "# Files for which kmpkit depgen has nothing to say: rpm skips those generator calls.\n";
  if (!no_supplements.empty())
    s += fmt::format("%global __supplements_exclude_from {}\n", spec_escape(path_alternation(kdir, no_supplements)));
  if (!no_recommends.empty())
    s += fmt::format("%global __recommends_exclude_from {}\n", spec_escape(path_alternation(kdir, no_recommends)));
  return s;
}

struct Shard {
  std::vector<size_t> kmps;  // indices into plan.kmps
  double cost = 0;
  size_t files = 0;
  uint64_t bytes = 0;
};

// rpm 4.18 runs every generator (provides, requires, supplements, recommends) once per file, and
// each package has a fixed cost: the estimate in milliseconds (measured on 2 cores, docs/packaging.md).
double estimated_cost(const PlannedPackage& p) {
  return 10.0 + 32.0 * static_cast<double>(p.modules.size()) + static_cast<double>(p.bytes) / 100000.0;
}

std::vector<Shard> assign_shards(const PackagePlan& plan, unsigned shards) {
  std::vector<Shard> out(std::max(1u, shards));
  std::vector<size_t> order;  // the KMPs to build (not those an earlier build serves)
  for (size_t i = 0; i < plan.kmps.size(); ++i)
    if (plan.kmps[i].publish) order.push_back(i);
  // Longest processing time first: each package to the least loaded shard.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return estimated_cost(plan.kmps[a]) > estimated_cost(plan.kmps[b]); });
  for (size_t k : order) {
    auto it = std::min_element(out.begin(), out.end(), [](const Shard& a, const Shard& b) { return a.cost < b.cost; });
    it->kmps.push_back(k);
    it->cost += estimated_cost(plan.kmps[k]);
    it->files += plan.kmps[k].modules.size();
    it->bytes += plan.kmps[k].bytes;
  }
  for (auto& s : out) std::sort(s.kmps.begin(), s.kmps.end());
  out.erase(std::remove_if(out.begin(), out.end(), [](const Shard& s) { return s.kmps.empty(); }), out.end());
  return out;
}

}  // namespace

std::string packaged_suffix(const std::string& path, const std::string& compress_modules) {
  if (!path.ends_with(".ko")) return {};  // already compressed in the tree: kept as it is
  if (compress_modules == "zstd") return ".zst";
  if (compress_modules == "xz") return ".xz";
  return {};
}

std::string spec_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '%') out += "%%";
    else out += c;
  }
  return out;
}

unsigned automatic_shards(size_t kmps) {
  // About 100 packages a spec: rpmbuild forks once per file and generator, and the fork costs
  // grow with rpmbuild's memory, i.e. with the packages of the spec (docs/packaging.md).
  return static_cast<unsigned>(std::max<size_t>(1, (kmps + 99) / 100));
}

SplitResult write_split(const PackagePlan& plan, const KernelInventory& inv, const SplitOptions& o) {
  SplitResult result;
  const fs::path dir = o.out_dir;
  const fs::path lists = dir / "lists";
  std::error_code ec;
  fs::create_directories(lists, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot create {}: {}", lists.string(), ec.message()));
  // Earlier output of a split (specs, lists) is replaced as a whole.
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".spec") fs::remove(e.path(), ec);
  for (const auto& e : fs::directory_iterator(lists, ec)) fs::remove(e.path(), ec);

  // Pin the generator binary: a rebuilt or reinstalled kmpkit cannot change (or break) a build
  // of these specs halfway. A hard link costs nothing; a copy when across file systems.
  if (!o.kmpkit_binary.empty()) {
    fs::path bin = dir / "bin";
    fs::create_directories(bin, ec);
    fs::path pinned = bin / "kmpkit";
    fs::remove(pinned, ec);
    fs::create_hard_link(o.kmpkit_binary, pinned, ec);
    if (ec) {
      ec.clear();
      fs::copy_file(o.kmpkit_binary, pinned, fs::copy_options::overwrite_existing, ec);
    }
    if (ec) throw std::runtime_error(fmt::format("cannot copy {} to {}: {}", o.kmpkit_binary, pinned.string(), ec.message()));
  }

  // kabi scheme: module name → kmp-for(its KMP), for depgen's modalias() supplements.
  const fs::path prefix_map = dir / kModaliasPrefixFile;
  fs::remove(prefix_map, ec);
  if (plan.kabi_scheme) {
    std::string text;
    for (const auto& k : plan.kmps)
      for (size_t i : k.modules) text += inv.modules[i].name + " " + package::kmp_declaration(k.name) + "\n";
    write_file(prefix_map, text);
  }
  // Softdep names that are aliases → the modules answering them, for depgen's Recommends.
  write_file(dir / kSoftdepMapFile, format_softdep_map(package::softdep_targets(inv)));
  // [kmp] provides = "imported": the symbols some module of this kernel imports, for depgen.
  const fs::path imported_list = dir / kImportedSymbolsFile;
  fs::remove(imported_list, ec);
  if (o.provides_imported && !write_symbol_list(imported_list.string(), imported_symbol_names(inv.modules)))
    throw std::runtime_error(fmt::format("cannot write {}", imported_list.string()));

  const std::string module_root = fs::absolute(inv.tree.module_dir).lexically_normal().string();
  const std::string kdir = "/lib/modules/" + plan.kver;
  const std::string root = o.root.empty() ? "/" : fs::absolute(o.root).lexically_normal().string();

  // ---- kernel.spec: the kernel package and the pattern packages ----
  if (!inv.tree.symvers)
    throw std::runtime_error(fmt::format(
        "Module.symvers of {} not found (looked in the module dir, build/, /usr/src/linux-headers-{}, /boot): the "
        "kernel package could not provide ksym() for vmlinux",
        plan.kver, plan.kver));
  std::vector<KernelFile> kfiles;
  auto add_kfile = [&](const std::optional<std::string>& src, const std::string& name, bool boot, bool needed) {
    if (src) kfiles.push_back({fs::absolute(*src).string(), name, boot});
    else if (needed) result.warnings.push_back(fmt::format("{} of {} not found: not packaged", name, plan.kver));
  };
  add_kfile(inv.tree.image, "vmlinuz", true, true);
  add_kfile(inv.tree.system_map, "System.map", true, true);
  add_kfile(inv.tree.config, "config", true, true);
  add_kfile(inv.tree.symvers, "Module.symvers", false, true);
  add_kfile(inv.tree.order, "modules.order", false, true);
  add_kfile(inv.tree.builtin, "modules.builtin", false, true);
  add_kfile(inv.tree.builtin_modinfo, "modules.builtin.modinfo", false, true);
  if (!inv.tree.image && !inv.tree.system_map)
    result.warnings.push_back("neither vmlinuz nor System.map found: the kernel package will lack ksym() provides");
  std::string license = o.license_file.empty() ? find_license_file(o.root, plan.kver) : o.license_file;

  std::string ks = spec_header(plan, o, module_root);
  ks += fmt::format("# The module database is refreshed by this command (one place to switch it):\n");
  ks += fmt::format("%global kmpkit_depmod_command {}\n", spec_escape(o.depmod_command));
  if (plan.kabi_scheme)
    ks += fmt::format("# KMPs of other kernels that fit this one serve it through weak-updates links:\n"
                      "%global kmpkit_weak_updates_command {}\n",
                      spec_escape(o.weak_updates_command));
  if (!plan.kernel.modules.empty()) ks += generator_exclusions(plan.kernel.modules, inv, kdir, o.compress_modules);
  ks += "\n";
  ks += package_preamble(plan.kernel, plan, true, false);
  // The programs the scripts run: a kernel without them would leave no module database (rpm does
  // not fail a transaction for a failing trigger).
  for (const auto& prog : script_programs(o, plan.kabi_scheme)) ks += fmt::format("Requires: {}\n", prog);
  if (!o.url.empty()) ks += fmt::format("URL: {}\n", spec_escape(o.url));
  if (!o.vendor.empty()) ks += fmt::format("Vendor: {}\n", spec_escape(o.vendor));
  ks += description(plan.kernel, true);
  for (const auto& p : plan.patterns) {
    ks += package_preamble(p, plan, false, true);
    ks += description(p, false);
  }
  // %install
  ks += "\n%install\n";
  ks += fmt::format("mkdir -p %{{buildroot}}{}\n", kdir);
  bool any_boot = false;
  for (const auto& f : kfiles) {
    ks += fmt::format("cp -p {} %{{buildroot}}{}/{}\n", spec_escape(shell_quote(f.source)), kdir, f.name);
    any_boot |= f.boot_link;
  }
  if (any_boot) ks += "mkdir -p %{buildroot}/boot\n";
  for (const auto& f : kfiles)
    if (f.boot_link)
      ks += fmt::format("ln -s ../lib/modules/{}/{} %{{buildroot}}/boot/{}-{}\n", plan.kver, f.name, f.name, plan.kver);
  for (const auto& g : kGhostFiles) ks += fmt::format("touch %{{buildroot}}{}/{}\n", kdir, g);
  ks += fmt::format("mkdir -p %{{buildroot}}{0}\necho 'provides:multiversion(kernel)' > %{{buildroot}}{1}\n",
                    fs::path(kMultiversionConf).parent_path().string(), kMultiversionConf);
  if (o.initrd)
    ks += fmt::format("mkdir -p %{{buildroot}}/boot %{{buildroot}}/var/lib/kmpkit/initrd && touch %{{buildroot}}/boot/initrd-{kver} "
                      "%{{buildroot}}/var/lib/kmpkit/initrd/{kver}.json\n",
                      fmt::arg("kver", plan.kver));
  ks += fmt::format("mkdir -p %{{buildroot}}{}/{}\n", kdir, depmod::kStagingDirName);
  // Every directory of the module tree belongs to the kernel package: KMPs own only files.
  std::set<std::string> dirs;
  for (const auto& m : inv.modules) {
    for (fs::path d = fs::path(m.path).parent_path(); !d.empty(); d = d.parent_path()) dirs.insert(d.string());
  }
  if (!dirs.empty()) {
    std::string dl;
    for (const auto& d : dirs) {
      check_list_path(d);
      dl += d + "\n";
    }
    write_file(lists / "kernel.dirs", dl);
    ks += fmt::format("(cd %{{buildroot}}{} && xargs -d '\\n' mkdir -p < %{{_sourcedir}}/lists/kernel.dirs)\n", kdir);
  }
  if (!plan.kernel.modules.empty()) {
    std::string il;
    for (size_t i : plan.kernel.modules) il += inv.modules[i].path + "\n";
    write_file(lists / "kernel.install", il);
    ks += fmt::format(
        "(cd %{{kmpkit_modules}} && xargs -d '\\n' cp --parents -p -t %{{buildroot}}{}/ < "
        "%{{_sourcedir}}/lists/kernel.install)\n",
        kdir);
    std::string cl;
    for (size_t i : plan.kernel.modules)
      if (!packaged_suffix(inv.modules[i].path, o.compress_modules).empty()) cl += inv.modules[i].path + "\n";
    write_file(lists / "kernel.compress", cl);
    ks += compress_step(o, kdir, "kernel.compress");
  }
  if (!license.empty())
    ks += fmt::format("install -D -m 0644 {} %{{buildroot}}%{{_defaultlicensedir}}/{}/COPYING\n",
                      spec_escape(shell_quote(license)), plan.kernel.name);
  // File triggers keep the module database current: once per rpm transaction (a plain rpm -U of
  // many KMPs runs the refresh once); under zypper the %posttrans scripts do it at the end.
  {
    std::string script = "#!/bin/sh\n# Generated by kmpkit split: run by the scripts of " + plan.kernel.name + " (" + plan.kver +
                         ") when module files come or go.\n# $1: triggerin, triggerpostun or posttrans.\n";
    if (plan.kabi_scheme) script += "%{kmpkit_weak_updates_command}\n";
    script += "%{kmpkit_depmod_command}\n";
    if (o.initrd)
      script += fmt::format("if [ \"$1\" = triggerpostun ]; then {0} initrd trigger -q --postun {1}; "
                            "else {0} initrd trigger -q {1}; fi\n",
                            kKmpkitTool, plan.kver);
    ks += fmt::format("mkdir -p %{{buildroot}}{0}\ncat > %{{buildroot}}{1} <<'EOF'\n{2}EOF\nchmod 0755 %{{buildroot}}{1}\n",
                      fs::path(refresh_script_path(plan.kver)).parent_path().string(), refresh_script_path(plan.kver),
                      script);
  }
  // kabi scheme: a KMP built for another kernel may serve this one, so every change under
  // /lib/modules/ (any kernel) re-decides this kernel's weak-updates links, then its database.
  // Before the kernel goes, its links go (rpm can then remove its directories).
  const std::string watched = plan.kabi_scheme ? "/lib/modules/" : kdir + "/";
  ks += fmt::format(
      "\n# Every install and removal under {0}: {1} (once per rpm transaction).\n"
      "%transfiletriggerin -- {0}\n{2} triggerin\n"
      "\n%transfiletriggerpostun -- {0}\n{2} triggerpostun\n",
      watched,
      plan.kabi_scheme ? "this kernel's weak-updates links, its module database, its initrd"
                       : "the module database, the initrd",
      refresh_script_path(plan.kver));
  if (plan.kabi_scheme)
    ks += "\n%preun\nif [ \"$1\" = 0 ]; then %{kmpkit_weak_updates_command} --clear || :; fi\n";
  // The kernel's %post also asks for a purge of old kernels after the next boot of the newest
  // (kmpkit-purge-kernels.service of the kmpkit package: kmpkit purge-kernels --after-boot).
  ks += fmt::format("\n%post\n{}if [ -d /var/lib/kmpkit ]; then : > {}; fi\n\n%posttrans\n{}", post_script(),
                    kPurgeMark, posttrans_script());
  // %files
  std::string kl = "%defattr(-,root,root,-)\n";
  kl += fmt::format("%dir {}\n", kdir);
  for (const auto& d : dirs) kl += fmt::format("%dir {}/{}\n", kdir, d);
  for (const auto& f : kfiles) kl += fmt::format("{}/{}\n", kdir, f.name);
  for (const auto& f : kfiles)
    if (f.boot_link) kl += fmt::format("/boot/{}-{}\n", f.name, plan.kver);
  for (const auto& g : kGhostFiles) kl += fmt::format("%ghost %attr(0644,root,root) {}/{}\n", kdir, g);
  // kmpkit depmod's staging directory: present only while it runs (or after a killed run, until
  // the next one recovers it), so owned too.
  kl += fmt::format("%ghost %dir %attr(0755,root,root) {}/{}\n", kdir, depmod::kStagingDirName);
  kl += "%dir /usr/lib/kmpkit\n%dir /usr/lib/kmpkit/refresh\n" + refresh_script_path(plan.kver) + "\n";
  kl += fmt::format("%config {}\n", kMultiversionConf);
  if (o.initrd) {  // made by kmpkit initrd (dracut) after install; removed with the kernel
    kl += fmt::format("%ghost %attr(0600,root,root) /boot/initrd-{}\n", plan.kver);
    kl += fmt::format("%ghost %attr(0644,root,root) /var/lib/kmpkit/initrd/{}.json\n", plan.kver);
  }
  for (size_t i : plan.kernel.modules) {
    check_list_path(inv.modules[i].path);
    kl += fmt::format("{}/{}{}\n", kdir, inv.modules[i].path, packaged_suffix(inv.modules[i].path, o.compress_modules));
  }
  if (!license.empty()) kl += fmt::format("%license %{{_defaultlicensedir}}/{}/COPYING\n", plan.kernel.name);
  write_file(lists / (plan.kernel.name + ".files"), kl);
  ks += fmt::format("\n%files -f %{{_sourcedir}}/lists/{}.files\n", plan.kernel.name);
  for (const auto& p : plan.patterns) ks += fmt::format("\n%files -n {}\n", p.name);
  ks += fmt::format("\n%changelog\n* {} kmpkit <kmpkit@localhost> - {}-{}\n", changelog_date(inv.tree.image),
                    plan.version, plan.release);
  ks += fmt::format("- Linux {} split by kmpkit {} into a kernel package, {} KMPs and {} patterns.\n", plan.kver,
                    KMPKIT_VERSION, plan.kmps.size(), plan.patterns.size());
  if (plan.kernel.publish) {  // not with --only (an update of some KMPs)
    write_file(dir / "kernel.spec", ks);
    SpecInfo kinfo{"kernel.spec", {plan.kernel.name}, kfiles.size() + plan.kernel.modules.size(), 0};
    for (const auto& p : plan.patterns) kinfo.packages.push_back(p.name);
    for (size_t i : plan.kernel.modules) kinfo.bytes += inv.modules[i].size;
    result.specs.push_back(kinfo);
  }

  // ---- kmps-NN.spec: the KMPs, spread over shards ----
  size_t published = std::count_if(plan.kmps.begin(), plan.kmps.end(), [](const auto& k) { return k.publish; });
  unsigned shards = o.shards ? o.shards : automatic_shards(published);
  auto parts = assign_shards(plan, shards);
  for (size_t s = 0; s < parts.size(); ++s) {
    const auto& part = parts[s];
    std::string stem = fmt::format("kmps-{:02}", s + 1);
    std::string spec = spec_header(plan, o, module_root);
    std::vector<size_t> shard_modules;
    for (size_t k : part.kmps)
      shard_modules.insert(shard_modules.end(), plan.kmps[k].modules.begin(), plan.kmps[k].modules.end());
    spec += generator_exclusions(shard_modules, inv, kdir, o.compress_modules);
    spec += "\n";
    PlannedPackage src;
    src.name = fmt::format("{}-{}", plan.kernel.name, stem);
    src.summary = fmt::format("Kernel module packages of Linux {}, part {} of {}", plan.kver, s + 1, parts.size());
    src.description = src.summary + ".";
    src.license = plan.kernel.license;
    spec += package_preamble(src, plan, true, false);
    if (!o.url.empty()) spec += fmt::format("URL: {}\n", spec_escape(o.url));
    if (!o.vendor.empty()) spec += fmt::format("Vendor: {}\n", spec_escape(o.vendor));
    spec += description(src, true);
    std::string install_list, compress_list;
    SpecInfo info{stem + ".spec", {}, part.files, part.bytes};
    for (size_t k : part.kmps) {
      const auto& p = plan.kmps[k];
      spec += package_preamble(p, plan, false, false);
      spec += description(p, false);
      std::string fl;
      if (plan.kabi_scheme) {
        // The module's directories too: the KMP may outlive the kernel it was built for (it then
        // serves later kernels), and its files must not be left in directories nobody owns.
        std::set<std::string> own_dirs;
        for (size_t i : p.modules)
          for (fs::path d = fs::path(inv.modules[i].path).parent_path(); !d.empty(); d = d.parent_path())
            own_dirs.insert(d.string());
        fl += fmt::format("%dir {}\n", kdir);
        for (const auto& d : own_dirs) fl += fmt::format("%dir {}/{}\n", kdir, d);
      }
      for (size_t i : p.modules) {
        check_list_path(inv.modules[i].path);
        install_list += inv.modules[i].path + "\n";
        std::string suffix = packaged_suffix(inv.modules[i].path, o.compress_modules);
        if (!suffix.empty()) compress_list += inv.modules[i].path + "\n";
        fl += fmt::format("{}/{}{}\n", kdir, inv.modules[i].path, suffix);
      }
      write_file(lists / (p.name + ".files"), fl);
      info.packages.push_back(p.name);
    }
    write_file(lists / (stem + ".install"), install_list);
    write_file(lists / (stem + ".compress"), compress_list);
    spec += "\n%install\n";
    spec += fmt::format("mkdir -p %{{buildroot}}{}\n", kdir);
    spec += fmt::format(
        "(cd %{{kmpkit_modules}} && xargs -d '\\n' cp --parents -p -t %{{buildroot}}{}/ < "
        "%{{_sourcedir}}/lists/{}.install)\n",
        kdir, stem);
    spec += compress_step(o, kdir, stem + ".compress");
    for (size_t k : part.kmps) {
      const std::string& name = plan.kmps[k].name;
      spec += fmt::format("\n%post -n {0}\n{1}\n%postun -n {0}\n{2}\n%posttrans -n {0}\n{3}", name, post_script(),
                          kmp_postun_script(), posttrans_script());
      spec += fmt::format("\n%files -n {} -f %{{_sourcedir}}/lists/{}.files\n", name, name);
    }
    write_file(dir / info.file, spec);
    result.specs.push_back(std::move(info));
  }

  // ---- kmpkit-tool.spec: the `kmpkit` package the scripts run (optional) ----
  if ((o.host_base || o.tool_package) && o.kmpkit_binary.empty())
    result.warnings.push_back("the kmpkit binary is unknown: no kmpkit package is built");
  if ((o.host_base || o.tool_package) && !o.kmpkit_binary.empty()) {
    write_file(dir / "kmpkit-tool.spec", tool_package_spec(plan.version, plan.release));
    result.specs.push_back({"kmpkit-tool.spec", {kToolPackageName}, 1, 0});
  }
  // ---- host-base.spec (optional) ----
  if (o.host_base) {
    HostBaseOptions hb;
    hb.version = plan.version;
    hb.release = plan.release;
    hb.tools = {{"/bin/sh", "/bin/dash"}};
    // Both engines a policy can choose: Debian's depmod here, kmpkit (its libraries here, the
    // binary in the kmpkit package), plus the trigger command's program when it is another path.
    std::error_code ec;
    if (fs::exists(kHostDepmodPath, ec)) hb.tools.push_back({kHostDepmodPath, kHostDepmodPath});
    if (!o.kmpkit_binary.empty()) hb.libraries_of.push_back(o.kmpkit_binary);
    std::string prog = command_program(o.depmod_command);
    if (!prog.empty() && prog != kHostDepmodPath && prog != kKmpkitTool && fs::path(prog).filename() != "kmpkit")
      hb.tools.push_back({prog, prog});
    auto text = host_base_spec(hb);
    write_file(dir / "host-base.spec", text);
    result.specs.push_back({"host-base.spec", {kHostBaseName}, hb.tools.size(), 0});
  }

  // ---- patterns.xml and the manifest ----
  if (plan.kernel.publish) write_file(dir / "patterns.xml", patterns_xml(plan));
  nlohmann::ordered_json j;
  j["format"] = 1;
  j["kmpkit"] = KMPKIT_VERSION;
  j["kver"] = plan.kver;
  j["flavor"] = plan.flavor;
  j["version"] = plan.version;
  j["release"] = plan.release;
  j["root"] = root;
  j["kernel_package"] = plan.kernel.name;
  j["jobs"] = o.jobs;
  j["patterns_xml"] = plan.patterns.empty() || !plan.kernel.publish ? "" : "patterns.xml";
  j["scheme"] = plan.kabi_scheme ? "kabi" : "kernel-version";
  auto not_built = nlohmann::ordered_json::array();  // KMPs an earlier build serves (--baseline) or --only left out
  for (const auto& k : plan.kmps)
    if (!k.publish) not_built.push_back(k.name);
  j["kmps_not_built"] = std::move(not_built);
  auto specs = nlohmann::ordered_json::array();
  for (const auto& s : result.specs) {
    result.packages += s.packages.size();
    specs.push_back({{"file", s.file}, {"packages", s.packages}, {"module_files", s.module_files}, {"bytes", s.bytes}});
  }
  j["packages"] = result.packages;
  j["specs"] = std::move(specs);
  write_file(dir / kManifestName, j.dump(1) + "\n");
  return result;
}

}  // namespace kmpkit::rpm
