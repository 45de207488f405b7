// kmpkit verify: is an installed system consistent and supportable (ksyms, vermagic, dependencies,
// firmware, signatures, support status, duplicates, ownership, weak-updates links).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "verify/verify.hpp"

namespace kmpkit::cli {
namespace {

struct VerifyArgs {
  std::string root;
  std::vector<std::string> kernels;
  bool json = false, strict = false, details = false;
  std::string depmod_config, dbpath;
  unsigned threads = 0;
};

int run_verify(const VerifyArgs& a) {
  verify::VerifyOptions o;
  o.root = a.root;
  o.kernels = a.kernels;
  o.depmod_config = a.depmod_config;
  o.dbpath = a.dbpath;
  o.threads = a.threads;
  verify::VerifyReport report;
  try {
    report = verify::verify(o);
  } catch (const Error& e) {
    fmt::print(stderr, "kmpkit verify: {}\n", e.what());
    return exit_code::of(e.kind());
  }
  if (a.json) std::cout << verify::verify_json(report, a.strict).dump(1) << "\n";
  else std::cout << verify::verify_text(report, a.strict, a.details);
  std::cout.flush();
  if (!std::cout) return exit_code::io_error;
  return report.consistent(a.strict) ? exit_code::ok : exit_code::inconsistent;
}

}  // namespace

void add_verify_command(CLI::App& app, int& exit_code) {
  auto vargs = std::make_shared<VerifyArgs>();
  auto* verify = app.add_subcommand(
      "verify", "Check the kernels and modules installed in a root: symbols and CRCs, vermagic, dependencies, "
                "firmware, signatures, support status, duplicates, files of built-in modules, package ownership, "
                "weak-updates links");
  verify->add_option("--root", vargs->root, "The installed system to check (default: /)");
  verify
      ->add_option("-k,--kernel", vargs->kernels,
                   "Only this kernel release (repeatable; default: every directory in ROOT/lib/modules)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  verify->add_flag("--json", vargs->json, "Print one JSON object (schema: docs/kabi.md)");
  verify->add_flag("--strict", vargs->strict, "Warnings (missing firmware, unsigned, unsupported, duplicates, built-in) "
                                              "count as inconsistencies too");
  verify->add_flag("-v,--verbose,--details", vargs->details, "Every finding (else at most 10 of each kind) and every module's "
                                                "status in the human report");
  verify->add_option("-C,--config", vargs->depmod_config,
                     "depmod.d directory or file for the search order (default: the root's own depmod.d)");
  verify->add_option("--dbpath", vargs->dbpath, "rpm database inside the root (default: looked for)");
  verify->add_option("-j,--threads", vargs->threads, "Reader threads (default: all cores)");
  verify->footer("Exit codes: 0 consistent, 6 not consistent (the findings say why), 2 usage, 3 no such root or "
                 "kernel.");
  verify->callback([vargs, &exit_code] { exit_code = run_verify(*vargs); });
}

}  // namespace kmpkit::cli
