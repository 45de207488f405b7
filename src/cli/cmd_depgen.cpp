// kmpkit depgen: an rpm dependency generator for kernel modules and kernel images.
// rpm feeds it the package's file paths on stdin (rpm/kmpkit.attr, multifile protocol).
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <string>

#include "cli/command.hpp"
#include "rpm/depgen.hpp"
#include "util/exit_codes.hpp"

namespace kmpkit::cli {
namespace {

struct DepgenArgs {
  bool provides = false, requires_ = false, supplements = false, recommends = false;
  std::string style = "suse";
  std::string flavor;
  std::string symvers;
  std::string release;
  bool multifile = false;
  std::string provides_only;  // --provides-only-imported FILE
  std::string prefix_map;     // --modalias-prefix-map FILE
  std::string softdep_map;    // --softdep-map FILE
};

int run_depgen(const DepgenArgs& a) {
  int kinds = a.provides + a.requires_ + a.supplements + a.recommends;
  if (kinds != 1) {
    fmt::print(stderr, "kmpkit depgen: give exactly one of --provides, --requires, --supplements, --recommends\n");
    return exit_code::usage;
  }
  DepKind kind = a.provides ? DepKind::Provides
                 : a.requires_ ? DepKind::Requires
                 : a.supplements ? DepKind::Supplements
                                 : DepKind::Recommends;
  DepgenOptions opt;
  opt.style = a.style == "rhel" ? DepStyle::Rhel : DepStyle::Suse;
  opt.flavor = a.flavor;
  opt.symvers = a.symvers;
  opt.release = a.release;

  std::vector<std::string> files;
  for (std::string line; std::getline(std::cin, line);)
    if (!line.empty()) files.push_back(line);
  auto pkg = read_package_files(files, opt, read_parts_for(kind));
  for (const auto& e : pkg.errors) fmt::print(stderr, "kmpkit depgen: {}: {}\n", e.file, e.message);
  // Only provides are filtered; the other kinds accept the option (one %kmpkit_depgen_opts for all)
  // and ignore it. The list is read only when there is a symbol to filter (rpm 4.18 calls the
  // generator once per file, and most modules export nothing), but then it must be readable.
  bool exports = !pkg.kernels.empty() ||
                 std::any_of(pkg.modules.begin(), pkg.modules.end(), [](const auto& m) { return !m.exports.empty(); });
  if (!a.provides_only.empty() && kind == DepKind::Provides && exports) {
    opt.provided_symbols = read_symbol_list(a.provides_only);
    if (!opt.provided_symbols) {
      fmt::print(stderr, "kmpkit depgen: cannot read the symbol list {}\n", a.provides_only);
      return exit_code::input_missing;
    }
  }
  // The prefix map, likewise, only for supplements of modules that have device aliases.
  bool aliases = std::any_of(pkg.modules.begin(), pkg.modules.end(), [](const auto& m) { return !m.aliases().empty(); });
  if (!a.prefix_map.empty() && kind == DepKind::Supplements && aliases) {
    std::vector<std::string> names;
    for (const auto& m : pkg.modules) names.push_back(m.name);
    opt.modalias_prefixes = read_prefix_map(a.prefix_map, names);
    if (!opt.modalias_prefixes) {
      fmt::print(stderr, "kmpkit depgen: cannot read the modalias prefix map {}\n", a.prefix_map);
      return exit_code::input_missing;
    }
  }
  // The softdep map only for recommends of modules that have softdeps.
  bool softdeps = std::any_of(pkg.modules.begin(), pkg.modules.end(), [](const auto& m) { return !m.softdeps().empty(); });
  if (!a.softdep_map.empty() && kind == DepKind::Recommends && softdeps) {
    opt.softdep_targets = read_softdep_map(a.softdep_map);
    if (!opt.softdep_targets) {
      fmt::print(stderr, "kmpkit depgen: cannot read the softdep map {}\n", a.softdep_map);
      return exit_code::input_missing;
    }
  }
  std::string out;
  for (const auto& fd : generate_dependencies(pkg, kind, opt)) {
    if (a.multifile) {
      if (fd.deps.empty()) continue;
      out += ";" + fd.file + "\n";
    }
    for (const auto& d : fd.deps) out += d + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  // A module rpm cannot read must fail the build rather than ship without dependencies.
  return pkg.errors.empty() ? exit_code::ok : exit_code::partial;
}

}  // namespace

void add_depgen_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<DepgenArgs>();
  auto* cmd = app.add_subcommand("depgen", "rpm dependency generator: file paths on stdin, dependencies on stdout");
  auto* g = cmd->add_option_group("kind", "What to generate (exactly one)");
  g->add_flag("--provides", args->provides, "kmod(x.ko), ksym(flavor:sym) = crc; kernel images: kernel-FLAVOR, kernel-uname-r, vmlinux ksyms, builtin kmods");
  g->add_flag("--requires", args->requires_, "ksym(flavor:sym) = crc from __versions, minus the package's own exports");
  g->add_flag("--supplements", args->supplements,
              "filesystem(NAME) for fs-NAME aliases; modalias(kernel-FLAVOR:pattern), encoded and merged");
  g->add_flag("--recommends", args->recommends,
              "kmod(x.ko) for softdeps (an alias: any module answering it), firmware(path) for firmware lines");
  g->require_option(1);
  cmd->add_option("--style", args->style, "Dependency style")->check(CLI::IsMember({"suse", "rhel"}))->capture_default_str();
  cmd->add_option("--flavor", args->flavor, "Flavor for ksym()/modalias() (default: from vermagic or release)");
  cmd->add_option("--symvers", args->symvers, "Module.symvers of the kernel: treat given non-module files as kernel images");
  cmd->add_option("--release", args->release, "Kernel release for kernel images (default: from the path)");
  cmd->add_option(kProvidesOnlyImportedOption, args->provides_only,
                  "ksym()/kernel() provides only for the symbols listed in FILE (one a line; `kmpkit split` "
                  "writes DIR/imported-symbols for [kmp] provides = \"imported\"); other kinds ignore it")
      ->type_name("FILE");
  cmd->add_option(kModaliasPrefixOption, args->prefix_map,
                  "modalias() supplements conditioned on the capability FILE maps each module name to (\"NAME "
                  "CAPABILITY\" lines; `kmpkit split` writes DIR/modalias-prefixes in the kabi scheme) instead of "
                  "kernel-FLAVOR; other kinds ignore it")
      ->type_name("FILE");
  cmd->add_option(kSoftdepMapOption, args->softdep_map,
                  "softdep names that are aliases resolved to modules (\"NAME MODULE...\" lines; `kmpkit split` "
                  "writes DIR/softdep-targets); other kinds ignore it")
      ->type_name("FILE");
  cmd->add_flag("--multifile", args->multifile, "rpm's multifile protocol: ';FILE' before each file's dependencies");
  cmd->footer("All files of one invocation are one package. Exit codes: 0 ok, 1 a module was unreadable (named on stderr), 2 usage.");
  cmd->callback([args, &exit_code] { exit_code = run_depgen(*args); });
}

}  // namespace kmpkit::cli
