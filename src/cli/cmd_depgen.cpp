// kmpkit depgen: an rpm dependency generator for kernel modules and kernel images.
// rpm feeds it the package's file paths on stdin (rpm/kmpkit.attr, multifile protocol).
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <string>

#include "cli/command.hpp"
#include "depgen/generator.hpp"
#include "cli/exit_codes.hpp"

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
  using namespace depgen;
  int kinds = a.provides + a.requires_ + a.supplements + a.recommends;
  if (kinds != 1) {
    fmt::print(stderr, "kmpkit depgen: give exactly one of --provides, --requires, --supplements, --recommends\n");
    return exit_code::usage;
  }
  GeneratorRequest req;
  req.kind = a.provides ? DepKind::Provides
             : a.requires_ ? DepKind::Requires
             : a.supplements ? DepKind::Supplements
                             : DepKind::Recommends;
  req.options.style = a.style == "rhel" ? DepStyle::Rhel : DepStyle::Suse;
  req.options.flavor = a.flavor;
  req.options.symvers = a.symvers;
  req.options.release = a.release;
  req.provides_only_file = a.provides_only;
  req.prefix_map_file = a.prefix_map;
  req.softdep_map_file = a.softdep_map;
  req.multifile = a.multifile;
  req.reader = read_with_libkmod;
  for (std::string line; std::getline(std::cin, line);)
    if (!line.empty()) req.files.push_back(line);
  GeneratorOutput out;
  try {
    out = run_generator(req);
  } catch (const Error& e) {
    fmt::print(stderr, "kmpkit depgen: {}\n", e.what());
    return exit_code::of(e.kind());
  }
  for (const auto& e : out.errors) fmt::print(stderr, "kmpkit depgen: {}: {}\n", e.file, e.message);
  std::fwrite(out.text.data(), 1, out.text.size(), stdout);
  // A module rpm cannot read must fail the build rather than ship without dependencies.
  return out.errors.empty() ? exit_code::ok : exit_code::partial;
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
  cmd->add_option(depgen::kProvidesOnlyImportedOption, args->provides_only,
                  "ksym()/kernel() provides only for the symbols listed in FILE (one a line; `kmpkit split` "
                  "writes DIR/imported-symbols for [kmp] provides = \"imported\"); other kinds ignore it")
      ->type_name("FILE");
  cmd->add_option(depgen::kModaliasPrefixOption, args->prefix_map,
                  "modalias() supplements conditioned on the capability FILE maps each module name to (\"NAME "
                  "CAPABILITY\" lines; `kmpkit split` writes DIR/modalias-prefixes in the kabi scheme) instead of "
                  "kernel-FLAVOR; other kinds ignore it")
      ->type_name("FILE");
  cmd->add_option(depgen::kSoftdepMapOption, args->softdep_map,
                  "softdep names that are aliases resolved to modules (\"NAME MODULE...\" lines; `kmpkit split` "
                  "writes DIR/softdep-targets); other kinds ignore it")
      ->type_name("FILE");
  cmd->add_flag("--multifile", args->multifile, "rpm's multifile protocol: ';FILE' before each file's dependencies");
  cmd->footer("All files of one invocation are one package. Exit codes: 0 ok, 1 a module was unreadable (named on stderr), 2 usage.");
  cmd->callback([args, &exit_code] { exit_code = run_depgen(*args); });
}

}  // namespace kmpkit::cli
