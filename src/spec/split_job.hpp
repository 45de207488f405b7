#pragma once
// Everything `kmpkit split` does, as one library call: the policy read and checked, the tree
// read, earlier builds' repositories (--baseline) listed, the plan made and checked against the
// tree, the specs written. The command line only parses options and prints.
#include <functional>
#include <string>
#include <vector>

#include "module/module_reader.hpp"
#include "package/plan.hpp"
#include "package/set_cost.hpp"
#include "spec/split.hpp"

namespace kmpkit::spec {

struct SplitRequest {
  std::string policy_path;             // "" = the installed default policy
  std::string basedir;                 // the tree's base directory (ROOT/lib/modules/KVER)
  std::string kver;
  std::string out_dir;                 // "" only with check_only
  std::string flavor;                  // overrides the policy's
  unsigned shards = 0, jobs = 0;       // 0 = the policy's, else automatic
  bool host_base = false, tool_package = false;
  bool check_only = false;             // check the policy against the tree; write nothing
  std::vector<std::string> baselines;  // repositories of earlier builds (kabi scheme)
  std::vector<std::string> only;       // publish only the KMPs matching these globs
  bool with_deps = false;
  bool strict = false;                 // a policy name this kernel has in no form is a problem, not a warning
  std::string release;                 // overrides the policy's and the kernel's release
  std::string scheme;                  // "kabi" or "kernel-version": overrides the policy's
  std::string kmpkit_binary;           // pinned as the specs' generator
  std::string profiles_dir;            // check_only: hardware profiles for the sets' costs ("" = shipped)
  std::function<void(size_t, size_t)> progress;  // reading modules
};

struct SplitJobResult {
  std::string policy_path;
  std::vector<std::string> problems;   // the policy (or an option) does not fit: nothing was written
  std::vector<std::string> warnings;   // policy names this kernel has in no form: ignored (PlanResult)
  std::vector<std::string> builtin;    // policy names this kernel has built in: nothing to package
  std::vector<ReadError> unreadable;   // modules that could not be read: nothing was written
  package::PackagePlan plan;
  std::vector<package::SetCost> set_costs;  // check_only: what each module set costs
  std::string profiles_dir;                 // where the machines of set_costs come from ("" = none)
  size_t modules = 0;
  SplitResult split;                   // empty with check_only
  double seconds = 0;

  bool ok() const { return problems.empty() && unreadable.empty(); }
};

// Throws Error: Input (no tree, a baseline that is not a directory), Write (output).
SplitJobResult run_split(const SplitRequest& request);

// Package names of the rpms under a directory (rpmbuild's NAME-VERSION-RELEASE.ARCH.rpm names).
std::vector<std::string> rpm_names_under(const std::string& dir);

}  // namespace kmpkit::spec
