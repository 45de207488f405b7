#pragma once
// The package plan: which module goes to which package, what each package is called and says
// about itself, and the patterns. A pure function of the policy and the kernel inventory; checking
// the policy against the tree (rules matching nothing, modules claimed twice, unknown pattern
// members) happens here, before anything is written; package/selector_fit.hpp tells a name this
// kernel has built in or lacks from a typo.
#include <map>
#include <string>
#include <vector>

#include "module/inventory.hpp"
#include "policy/policy.hpp"

namespace kmpkit::package {

enum class PackageKind { Kernel, Kmp, Pattern };

struct PlannedPackage {
  PackageKind kind = PackageKind::Kmp;
  std::string name;
  std::string summary;      // one line
  std::string description;  // may be several lines
  std::string license;      // License: tag
  std::vector<size_t> modules;           // indices into KernelInventory::modules, in module order
  std::vector<std::string> requires_;    // extra hard Requires (ksym+package mode, pattern members)
  std::vector<std::string> recommends;   // extra Recommends
  std::vector<std::string> suggests;
  std::vector<std::string> provides;     // extra Provides (pattern packages, base names)
  std::vector<std::string> supplements;  // extra Supplements (kabi scheme: the update supplement)
  std::string base_name;                 // kabi scheme: the name without the KABI id (= name otherwise)
  std::string kabi;                      // kabi scheme: the KMP's KABI id (package/kabi_id.hpp)
  bool publish = true;                   // false: an earlier build with this name serves (--baseline)
  std::string set;                       // the policy set it comes from ("" = one module)
  std::string pattern;                   // pattern name for pattern packages
  uint64_t bytes = 0;                    // size of its module files
};

struct PackagePlan {
  std::string kver;      // 6.1.0-56-amd64
  std::string flavor;    // amd64
  std::string version;   // 6.1.0
  std::string release;   // 56
  PlannedPackage kernel;
  std::vector<PlannedPackage> kmps;      // sorted by name
  std::vector<PlannedPackage> patterns;  // in policy order
  std::vector<long> module_package;      // module index → index into kmps, -1 = kernel package
  bool kabi_scheme = false;              // [naming] scheme = "kabi"

  const PlannedPackage* find(const std::string& name) const;
};

struct PlanResult {
  PackagePlan plan;
  std::vector<std::string> problems;  // non-empty: the policy does not fit the tree; nothing to build
  // Policy names this kernel has in no form (neither a module nor built in: removed or renamed
  // upstream, or another configuration): ignored; problems with PlanOptions::strict.
  std::vector<std::string> warnings;
  // Policy names this kernel has built in (modules.builtin): present, nothing to package; each says
  // what it comes to (a pattern's requirement becomes the kernel package). `split --check` lists them.
  std::vector<std::string> builtin;
};

struct PlanOptions {
  std::string flavor;  // overrides the policy and vermagic when not empty
  // kabi scheme: names of KMPs an earlier build already published (its repository). A KMP whose
  // name is among them has the same KABI, so that build serves this kernel: not published again.
  std::vector<std::string> published_before;
  // --only: publish only the KMPs whose package or module name matches one of these globs; the
  // kernel package and the patterns only when a glob matches the kernel package's name.
  std::vector<std::string> only;
  bool with_deps = false;  // --only: also the KMPs the selected ones depend on (modinfo depends)
  // --strict: a policy name (or --only glob) this kernel has in no form is a problem, not a warning.
  // A misspelling (close to a name the kernel has) is a problem either way.
  bool strict = false;
};

PlanResult make_plan(const policy::Policy& policy, const KernelInventory& inventory, const PlanOptions& options = {});

// kabi scheme: the capability a kernel package provides for each KMP build of its plan (built or
// kept from a baseline) and that the KMP requires: "kmp-for(ext4-kmp-amd64-3f0c9a1e)".
std::string kmp_declaration(const std::string& kmp_name);

// Kernel version and release from a kernel release string: "6.1.0-56-amd64" → {"6.1.0", "56"};
// no ABI part gives release "1". '-' never appears in either.
std::pair<std::string, std::string> version_release_from_kver(const std::string& kver);

// The flavor from the modules' vermagic (most common), else from the kernel release.
std::string default_flavor(const KernelInventory& inventory);

// The name in a pattern package's `Provides: pattern() = NAME`: an rpm version cannot hold '-',
// so kernel-firewall is provided as pattern() = kernel_firewall (patterns.xml keeps the name).
std::string pattern_provide_name(std::string_view pattern);

// Text fit for an rpm Summary (one line, printable) / description (printable lines).
std::string clean_summary(std::string_view s);
std::string clean_text(std::string_view s);

}  // namespace kmpkit::package
