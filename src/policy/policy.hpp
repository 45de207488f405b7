#pragma once
// The packaging policy: how a kernel's modules become packages (docs/policy.md).
// Read from TOML, checked strictly: an unknown key, a wrong type or a bad template is an error
// with the file position; nothing is guessed.
#include <optional>
#include <string>
#include <vector>

namespace kmpkit::policy {

// Where a value is in the policy file (1-based; line 0: not from a file, e.g. a command-line option).
struct Position {
  int line = 0;
  int column = 0;
};

// "file:line:col: " for a value of `source` at `at`; "file: " without a position, "" without a file.
std::string located(const std::string& source, Position at);

// Modules selected by path glob (relative to lib/modules/KVER) or by module name glob.
struct Selector {
  std::vector<std::string> paths;
  std::vector<std::string> modules;
  std::vector<Position> paths_at;    // each entry's position (parallel to paths; may be shorter)
  std::vector<Position> modules_at;  // the same for modules
  bool empty() const { return paths.empty() && modules.empty(); }
};

// Modules packaged together in one KMP.
struct ModuleSet {
  std::string name;         // package name template, e.g. "netfilter-kmp-{flavor}"
  std::string summary;      // "" = generated from the members' modinfo
  std::string description;  // "" = generated
  Selector select;
  Selector exclude;         // modules the selection leaves to packages of their own
  int line = 0;             // position in the policy file, for messages
  Position name_at;         // position of its name's value
};

// Members of a pattern, each kind resolved to packages when the plan is made.
struct PatternMembers {
  Selector select;                    // paths / modules → the packages holding them
  std::vector<std::string> packages;  // package names (templates allowed)
  std::vector<Position> packages_at;  // their positions
  std::vector<std::string> patterns;  // other patterns of this policy (nesting)
  std::vector<Position> patterns_at;  // their positions
  bool empty() const { return select.empty() && packages.empty() && patterns.empty(); }
};

struct Pattern {
  std::string name;  // pattern() = name
  std::string summary;
  std::string description;
  bool visible = true;
  int order = 0;
  std::string category = "Kernel";
  std::string icon;
  PatternMembers requires_;
  PatternMembers recommends;
  PatternMembers suggests;
  int line = 0;
  Position name_at;  // position of its name's value
};

// A module userspace loads by name whenever others are there (udev rules such as "SUBSYSTEM==scsi
// ... kmod load sg"): its KMP supplements theirs, so it comes with them.
struct Companion {
  std::string module;             // sg
  std::vector<std::string> with;  // scsi_mod
  int line = 0;
  Position at;                    // the key (the module's name)
  std::vector<Position> with_at;  // each of `with`
};

enum class DependencyMode {
  Ksym,            // ksym() requires only (from kmpkit depgen)
  KsymAndPackage,  // plus a hard Requires on the package providing each needed symbol
};

enum class ProvidesMode {
  All,       // ksym() provides for every exported symbol
  Imported,  // only for symbols some module of the kernel imports (DIR/imported-symbols)
};

struct Policy {
  std::string source;  // file the policy was read from (for messages)

  // [kernel]
  std::string flavor;  // "" = from the modules' vermagic
  std::string kernel_summary = "The Linux kernel: image, symbol table and module database";
  std::string kernel_description;
  std::string license = "GPL-2.0-only";
  std::string url = "https://www.kernel.org/";
  std::string vendor;
  std::string license_file;  // "" = ROOT/usr/share/doc/linux-image-KVER*/copyright when present
  std::string depmod_command = "/usr/bin/kmpkit depmod -a --skip-unreadable {kver}";  // run by the file triggers
                                                                   // (Debian's: "/sbin/depmod -a {kver}")
  // kabi scheme: run by the kernel package's triggers before depmod (docs/kabi.md)
  std::string weak_updates_command = "/usr/bin/kmpkit weak-updates -q {kver}";
  Selector keep;             // modules that stay in the kernel package
  // Modules userspace loads by name at boot (systemd, udev rules, dracut: autofs4, loop, fuse...):
  // the kernel package Recommends the packages holding them (docs/boot.md).
  Selector kernel_recommends;
  // The kernel package and the KMPs keep each kernel's initrd in step (kmpkit initrd, dracut).
  bool initrd = true;

  // [naming]
  // "kernel-version" (SUSE's old scheme): KMPs keep one name per module and carry the kernel in
  // their version, so a kernel update replaces every KMP. "kabi": the KABI id of what a KMP's
  // modules import and export goes into the name ({module}-kmp-{flavor}-{kabi}), the version is
  // the build's own; compatible KMPs serve later kernels through weak-updates (docs/kabi.md).
  enum class Scheme { KernelVersion, Kabi };
  Scheme scheme = Scheme::KernelVersion;
  std::string kernel_name = "kernel-{flavor}";
  std::string kmp_name = "{module}-kmp-{flavor}";
  std::string pattern_name = "patterns-{pattern}";

  // [kmp]
  DependencyMode dependencies = DependencyMode::Ksym;
  ProvidesMode provides = ProvidesMode::All;
  std::vector<Companion> companions;  // [kmp.companions]

  // [build]
  unsigned shards = 0;  // 0 = automatic
  unsigned jobs = 0;    // 0 = number of CPUs
  std::string payload = "w9.zstdio";
  // Module files as the packages hold them: "none" (as in the tree), "zstd" or "xz" (compressed in
  // the specs' %install; kmod, depmod and dracut read them).
  std::string compress_modules = "none";
  std::string version;  // "" = from the kernel release
  std::string release;  // "" = from the kernel release

  std::vector<ModuleSet> sets;
  std::vector<Pattern> patterns;
};

struct Problem {
  std::string message;  // "file:line:col: text" when the position is known
};

struct LoadResult {
  std::optional<Policy> policy;     // set when there are no problems
  std::vector<Problem> problems;
  // What could be read despite the problems (values in error left at their defaults): the policy
  // is still checked against the tree, so one run reports every mistake. Unset after a syntax error.
  std::optional<Policy> partial;
};

// Parses and checks a policy (syntax, keys, types, templates, duplicate names).
LoadResult load_policy_file(const std::string& path);
LoadResult load_policy_string(const std::string& text, const std::string& source_name = "policy");

// The policy shipped with kmpkit (share/kmpkit/policies/default.toml), searched next to the
// running binary (../share/kmpkit/policies), then in the source tree; "" when not found.
std::string default_policy_path();

// Expands {flavor}, {kver}, {version}, {module}, {pattern} in a template. Unknown placeholders are
// left as they are (load_policy reports them).
struct TemplateValues {
  std::string flavor, kver, version, module, pattern, kabi;
};

// A KMP name template under the "kabi" scheme: `tmpl` with "-{kabi}" appended unless it has the
// placeholder already. base_template: the same without the KABI part (what every build of the
// package provides, and what patterns name).
std::string kabi_name_template(const std::string& tmpl);
std::string base_name_template(const std::string& tmpl);
std::string expand_template(const std::string& tmpl, const TemplateValues& values);

// True when `v` can be an rpm Version or Release as kmpkit writes it: no '-', spaces, '%' or braces.
bool valid_version_field(const std::string& v);

// True when `name` is a valid rpm package name (after expansion).
bool valid_package_name(const std::string& name);

}  // namespace kmpkit::policy
