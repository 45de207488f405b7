#include "spec/kernel_spec.hpp"

#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "depmod/store.hpp"
#include "hardware/driver_index.hpp"
#include "spec/driver_index_file.hpp"
#include "spec/scripts.hpp"
#include "spec/spec_text.hpp"
#include "util/error.hpp"
#include "util/shell_quote.hpp"

namespace fs = std::filesystem;

namespace kmpkit::spec {
namespace {

struct KernelFile {
  std::string source;  // absolute path on the build host
  std::string name;    // file name in /lib/modules/KVER
  bool boot_link;      // also /boot/<name>-KVER → ../lib/modules/KVER/<name>
};

// The kernel's own files, wherever the tree keeps them.
std::vector<KernelFile> kernel_files(const KernelInventory& inv, const std::string& kver, std::vector<std::string>& warnings) {
  if (!inv.tree.symvers)
    throw Error(ErrorKind::Input,
                fmt::format("Module.symvers of {} not found (looked in the module dir, build/, /usr/src/linux-headers-{}, "
                            "/boot): the kernel package could not provide ksym() for vmlinux",
                            kver, kver));
  std::vector<KernelFile> files;
  auto add = [&](const std::optional<std::string>& src, const std::string& name, bool boot) {
    if (src) files.push_back({fs::absolute(*src).string(), name, boot});
    else warnings.push_back(fmt::format("{} of {} not found: not packaged", name, kver));
  };
  add(inv.tree.image, "vmlinuz", true);
  add(inv.tree.system_map, "System.map", true);
  add(inv.tree.config, "config", true);
  add(inv.tree.symvers, "Module.symvers", false);
  add(inv.tree.order, "modules.order", false);
  add(inv.tree.builtin, "modules.builtin", false);
  add(inv.tree.builtin_modinfo, "modules.builtin.modinfo", false);
  if (!inv.tree.image && !inv.tree.system_map)
    warnings.push_back("neither vmlinuz nor System.map found: the kernel package will lack ksym() provides");
  return files;
}

// Every directory of the module tree: the kernel package owns them (KMPs own only files).
std::set<std::string> module_directories(const KernelInventory& inv) {
  std::set<std::string> dirs;
  for (const auto& m : inv.modules)
    for (fs::path d = fs::path(m.path).parent_path(); !d.empty(); d = d.parent_path()) dirs.insert(d.string());
  return dirs;
}

std::string install_section(const package::PackagePlan& plan, const KernelInventory& inv, const SplitOptions& o,
                            const std::vector<KernelFile>& kfiles, const std::set<std::string>& dirs,
                            const std::string& license) {
  const std::string kdir = "/lib/modules/" + plan.kver;
  const fs::path lists = fs::path(o.out_dir) / "lists";
  std::string s = "\n%install\n";
  s += fmt::format("mkdir -p %{{buildroot}}{} %{{buildroot}}/boot\n", kdir);
  for (const auto& f : kfiles) s += fmt::format("cp -p {} %{{buildroot}}{}/{}\n", spec_escape(shell_quote(f.source)), kdir, f.name);
  for (const auto& f : kfiles)
    if (f.boot_link)
      s += fmt::format("ln -s ../lib/modules/{}/{} %{{buildroot}}/boot/{}-{}\n", plan.kver, f.name, f.name, plan.kver);
  for (const auto& g : ghost_database_files()) s += fmt::format("touch %{{buildroot}}{}/{}\n", kdir, g);
  s += fmt::format("mkdir -p %{{buildroot}}{}/{}\n", kdir, depmod::kStagingDirName);
  s += fmt::format("mkdir -p %{{buildroot}}{0}\necho 'provides:multiversion(kernel)' > %{{buildroot}}{1}\n",
                   fs::path(kMultiversionConf).parent_path().string(), kMultiversionConf);
  if (o.initrd)
    s += fmt::format("mkdir -p %{{buildroot}}/var/lib/kmpkit/initrd && touch %{{buildroot}}/boot/initrd-{0} "
                     "%{{buildroot}}/var/lib/kmpkit/initrd/{0}.json\n",
                     plan.kver);
  if (!dirs.empty()) {
    std::string dl;
    for (const auto& d : dirs) {
      check_list_path(d);
      dl += d + "\n";
    }
    write_file((lists / "kernel.dirs").string(), dl);
    s += fmt::format("(cd %{{buildroot}}{} && xargs -d '\\n' mkdir -p < %{{_sourcedir}}/lists/kernel.dirs)\n", kdir);
  }
  if (!plan.kernel.modules.empty()) {  // modules the policy keeps in the kernel package
    std::string il, cl;
    for (size_t i : plan.kernel.modules) {
      il += inv.modules[i].path + "\n";
      if (!packaged_suffix(inv.modules[i].path, o.compress_modules).empty()) cl += inv.modules[i].path + "\n";
    }
    write_file((lists / "kernel.install").string(), il);
    write_file((lists / "kernel.compress").string(), cl);
    s += fmt::format(
        "(cd %{{kmpkit_modules}} && xargs -d '\\n' cp --parents -p -t %{{buildroot}}{}/ < "
        "%{{_sourcedir}}/lists/kernel.install)\n",
        kdir);
    s += compress_step(o, kdir, "kernel.compress");
  }
  if (!license.empty())
    s += fmt::format("install -D -m 0644 {} %{{buildroot}}%{{_defaultlicensedir}}/{}/COPYING\n",
                     spec_escape(shell_quote(license)), plan.kernel.name);
  // The offline driver index: which package of this build drives which device (kmpkit drivers).
  s += fmt::format("install -D -m 0644 %{{_sourcedir}}/{} %{{buildroot}}{}\n", kDriverIndexFile,
                   hardware::driver_index_path(plan.kver));
  s += refresh_script_install(plan, o);
  return s;
}

std::string file_list(const package::PackagePlan& plan, const KernelInventory& inv, const SplitOptions& o,
                      const std::vector<KernelFile>& kfiles, const std::set<std::string>& dirs,
                      const std::string& license) {
  const std::string kdir = "/lib/modules/" + plan.kver;
  std::string kl = "%defattr(-,root,root,-)\n";
  kl += fmt::format("%dir {}\n", kdir);
  for (const auto& d : dirs) kl += fmt::format("%dir {}/{}\n", kdir, d);
  for (const auto& f : kfiles) kl += fmt::format("{}/{}\n", kdir, f.name);
  for (const auto& f : kfiles)
    if (f.boot_link) kl += fmt::format("/boot/{}-{}\n", f.name, plan.kver);
  for (const auto& g : ghost_database_files()) kl += fmt::format("%ghost %attr(0644,root,root) {}/{}\n", kdir, g);
  // kmpkit depmod's staging directory: present only while it runs (or after a killed run, until
  // the next one recovers it), so owned too.
  kl += fmt::format("%ghost %dir %attr(0755,root,root) {}/{}\n", kdir, depmod::kStagingDirName);
  kl += "%dir /usr/lib/kmpkit\n%dir /usr/lib/kmpkit/refresh\n" + refresh_script_path(plan.kver) + "\n";
  kl += fmt::format("%config {}\n", kMultiversionConf);
  kl += fmt::format("%dir /usr/lib/kmpkit/drivers\n{}\n", hardware::driver_index_path(plan.kver));
  if (o.initrd) {  // made by kmpkit initrd (dracut) after install; removed with the kernel
    kl += fmt::format("%ghost %attr(0600,root,root) /boot/initrd-{}\n", plan.kver);
    kl += fmt::format("%ghost %attr(0644,root,root) /var/lib/kmpkit/initrd/{}.json\n", plan.kver);
  }
  for (size_t i : plan.kernel.modules) {
    check_list_path(inv.modules[i].path);
    kl += fmt::format("{}/{}{}\n", kdir, inv.modules[i].path, packaged_suffix(inv.modules[i].path, o.compress_modules));
  }
  if (!license.empty()) kl += fmt::format("%license %{{_defaultlicensedir}}/{}/COPYING\n", plan.kernel.name);
  return kl;
}

}  // namespace

SpecEntry write_kernel_spec(const package::PackagePlan& plan, const KernelInventory& inv, const SplitOptions& o,
                            const std::string& module_root, std::vector<std::string>& warnings) {
  const std::string kdir = "/lib/modules/" + plan.kver;
  auto kfiles = kernel_files(inv, plan.kver, warnings);
  auto dirs = module_directories(inv);
  hardware::write_driver_index(driver_index_of(plan, inv), (fs::path(o.out_dir) / kDriverIndexFile).string());
  std::string license = o.license_file.empty() ? find_license_file(o.root, plan.kver) : o.license_file;

  std::string ks = spec_header(plan, o, module_root);
  ks += "# The module database is refreshed by this command (one place to switch it):\n";
  ks += fmt::format("%global kmpkit_depmod_command {}\n", spec_escape(o.depmod_command));
  if (plan.kabi_scheme)
    ks += fmt::format("# KMPs of other kernels that fit this one serve it through weak-updates links:\n"
                      "%global kmpkit_weak_updates_command {}\n",
                      spec_escape(o.weak_updates_command));
  if (!plan.kernel.modules.empty()) ks += generator_exclusions(plan.kernel.modules, inv, kdir, o.compress_modules);
  ks += "\n" + package_preamble(plan.kernel, plan, true, false);
  // The programs the scripts run: a kernel without them would leave no module database (rpm does
  // not fail a transaction for a failing trigger).
  for (const auto& prog : script_programs(o, plan.kabi_scheme)) ks += fmt::format("Requires: {}\n", prog);
  if (!o.url.empty()) ks += fmt::format("URL: {}\n", spec_escape(o.url));
  if (!o.vendor.empty()) ks += fmt::format("Vendor: {}\n", spec_escape(o.vendor));
  ks += description(plan.kernel, true);
  for (const auto& p : plan.patterns) ks += package_preamble(p, plan, false, true) + description(p, false);
  ks += install_section(plan, inv, o, kfiles, dirs, license);
  ks += kernel_scripts(plan);
  const fs::path lists = fs::path(o.out_dir) / "lists";
  write_file((lists / (plan.kernel.name + ".files")).string(), file_list(plan, inv, o, kfiles, dirs, license));
  ks += fmt::format("\n%files -f %{{_sourcedir}}/lists/{}.files\n", plan.kernel.name);
  for (const auto& p : plan.patterns) ks += fmt::format("\n%files -n {}\n", p.name);
  ks += fmt::format("\n%changelog\n* {} kmpkit <kmpkit@localhost> - {}-{}\n", changelog_date(inv.tree.image),
                    plan.version, plan.release);
  ks += fmt::format("- Linux {} split by kmpkit {} into a kernel package, {} KMPs and {} patterns.\n", plan.kver,
                    KMPKIT_VERSION, plan.kmps.size(), plan.patterns.size());
  write_file((fs::path(o.out_dir) / "kernel.spec").string(), ks);
  SpecEntry entry{"kernel.spec", {plan.kernel.name}, kfiles.size() + plan.kernel.modules.size(), 0};
  for (const auto& p : plan.patterns) entry.packages.push_back(p.name);
  for (size_t i : plan.kernel.modules) entry.bytes += inv.modules[i].size;
  return entry;
}

}  // namespace kmpkit::spec
