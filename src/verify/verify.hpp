#pragma once
// kmpkit verify: is what is installed in a root consistent? For every kernel under
// ROOT/lib/modules and each of its modules: symbols and CRCs, vermagic, module dependencies,
// firmware, signatures, support status, duplicates, package ownership, weak-updates links, and
// whether each external KMP (kmpkit kmp build) serves every kernel (docs/kabi.md, "verify").
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "verify/kernel_keys.hpp"

namespace kmpkit::verify {

enum class Severity { Error, Warning, Note };
const char* severity_name(Severity s);  // "error", "warning", "note"

struct Finding {
  std::string check;    // ksym, vermagic, depends, builtin, firmware, signature, support, duplicate,
                        // ownership, weak-updates, symvers, read, kmp
  std::string kind;     // e.g. crc-mismatch, missing-firmware (docs/kabi.md lists them all)
  Severity severity = Severity::Error;
  std::string module;   // module name ("" for files that are not modules)
  std::string path;     // relative to lib/modules/KVER
  std::string subject;  // the symbol, dependency, firmware file, winner path, ...
  std::string message;  // for people
};

struct ModuleStatus {
  std::string name;
  std::string path;         // relative to lib/modules/KVER
  std::string target;       // a symlink's target inside the root ("" if not a link)
  std::string vermagic;
  bool loadable = true;     // symbols and vermagic
  bool is_signed = false;
  std::string signer;
  std::string support;      // in-tree, supported, external, unsupported, out-of-tree
  std::vector<std::string> packages;  // owners in the package database
};

// Whether the running kernel's keys accept the modules of one signer (docs/kabi.md, "verify").
struct SignerCheck {
  std::string signer;       // as modinfo prints it
  size_t modules = 0;
  bool accepted = false;
  std::string keyring;      // the accepting key's keyring ("" when not accepted)
  std::string key;          // its description in /proc/keys
};

struct KernelReport {
  std::string kver;
  std::string module_dir;
  std::string symvers;          // the Module.symvers / symvers used for vmlinux ("" none)
  std::string vermagic;         // the kernel's own
  std::string signing;          // "enforced" (CONFIG_MODULE_SIG_FORCE), "used", "none"
  std::string kernel_signer;    // the signer of its in-tree modules ("" none)
  std::string package_db;       // dbpath inside the root ("" none)
  std::string signer_keys;      // the keys the signers were checked against ("running kernel"), or why not
  std::vector<SignerCheck> signer_checks;
  std::vector<ModuleStatus> modules;  // the copies depmod would use, in scan order
  std::vector<Finding> findings;
  size_t errors = 0, warnings = 0, notes = 0;
};

struct VerifyOptions {
  std::string root;                   // "" = /
  std::vector<std::string> kernels;   // empty = every kernel in ROOT/lib/modules (a directory
                                      // without kernel files and modules.dep is a ModuleStore)
  std::string depmod_config;          // a depmod.d directory or file; "" = the root's own
  std::string dbpath;                 // rpm database inside the root; "" = look for it
  unsigned threads = 0;
  // The keys that decide whether a signer is accepted, for the kernel of their release. Unset: the
  // running kernel's (/proc/keys) when the root is "/".
  std::optional<KernelKeys> kernel_keys;
};

// A lib/modules/KVER directory whose kernel is not installed, holding only KMP files kept
// because they serve other kernels through weak-updates (kabi scheme).
struct ModuleStore {
  std::string kver;
  size_t modules = 0;
  size_t linked = 0;                // modules some installed kernel links to
  std::vector<std::string> unused;  // paths no kernel links to (warning: their KMPs serve nothing)
};

// How one kernel gets one external driver (a KMP of `kmpkit kmp build`, known by its build record).
struct KmpServiceReport {
  std::string base_name;  // vpoll-kmp-amd64
  std::string kver;
  std::string how;        // own-build, weak-updates, in-box-module, not-served
  std::string package;    // the build serving it; for in-box-module and not-served the newest build
  std::string command;    // in-box-module, not-served: the command that builds it for this kernel
};

struct VerifyReport {
  std::string root;
  std::vector<KernelReport> kernels;
  std::vector<ModuleStore> stores;
  std::vector<KmpServiceReport> kmps;  // external KMPs x kernels
  size_t errors = 0, warnings = 0, notes = 0;
  // Consistent: no errors (and, when strict, no warnings either).
  bool consistent(bool strict) const { return errors == 0 && (!strict || warnings == 0); }
};

// Throws std::runtime_error when ROOT/lib/modules or a requested kernel does not exist.
VerifyReport verify(const VerifyOptions& options);

nlohmann::ordered_json verify_json(const VerifyReport& report, bool strict);
// `details`: every finding (else at most 10 of each kind) and every module's status line.
std::string verify_text(const VerifyReport& report, bool strict, bool details);

}  // namespace kmpkit::verify
