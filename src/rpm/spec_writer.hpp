#pragma once
// Writing a package plan as rpm spec files: one spec for the kernel package and the pattern
// packages, and the KMPs spread over several "shard" specs so that several rpmbuilds can work in
// parallel (docs/packaging.md explains why: rpm 4.18 runs the dependency generators once per file,
// sequentially inside one rpmbuild). File lists go to DIR/lists/.
#include <string>
#include <vector>

#include "module/inventory.hpp"
#include "package/plan.hpp"

namespace kmpkit::rpm {

struct SplitOptions {
  std::string out_dir;          // DIR: specs, lists/, kmpkit-split.json, patterns.xml
  std::string root;             // the tree's base directory ("" or "/" = the running system)
  unsigned shards = 0;          // 0 = automatic (from the package count and jobs)
  unsigned jobs = 0;            // parallel rpmbuilds for `kmpkit build` (0 = CPUs)
  std::string payload = "w9.zstdio";
  std::string depmod_command;   // the file triggers' command, e.g. "/sbin/depmod -a 6.1.0-56-amd64"
  // kabi scheme: run by the triggers before depmod, e.g. "/usr/bin/kmpkit weak-updates 6.1.0-56-amd64"
  std::string weak_updates_command;
  std::string kmpkit_binary;    // pinned as DIR/bin/kmpkit, the specs' %__kmpkit ("" = rpm's configured one)
  std::string license_file;     // "" = ROOT/usr/share/doc/linux-image-KVER*/copyright when present
  std::string url;
  std::string vendor;
  std::string depgen_flavor;    // passed as kmpkit_depgen_opts --flavor when not the vermagic flavor
  bool provides_imported = false;  // [kmp] provides = "imported": write DIR/imported-symbols, pass it to depgen
  bool host_base = false;       // also write host-base.spec (/bin/sh, depmod, libraries for empty roots)
                                // and kmpkit-tool.spec
  bool tool_package = false;    // write kmpkit-tool.spec: the `kmpkit` package (/usr/bin/kmpkit) the
                                // kernel package's scripts run (host_base implies it)
  bool initrd = true;           // [kernel] initrd: the scripts keep each kernel's initrd in step
  std::string compress_modules = "none";  // [build] compress_modules: "none", "zstd" or "xz"
};

// The file name suffix a module gets in the packages ("" = as in the tree): uncompressed modules
// are compressed in the specs' %install when the policy says so.
std::string packaged_suffix(const std::string& path, const std::string& compress_modules);

struct SpecInfo {
  std::string file;                   // name inside DIR, e.g. "kmps-03.spec"
  std::vector<std::string> packages;  // binary packages it builds
  size_t module_files = 0;
  uint64_t bytes = 0;
};

struct SplitResult {
  std::vector<SpecInfo> specs;  // kernel.spec first
  size_t packages = 0;
  std::vector<std::string> warnings;
};

// The number of shard specs used when SplitOptions::shards is 0.
unsigned automatic_shards(size_t kmps);

// Writes everything into options.out_dir (created; earlier specs and lists there are replaced).
// Throws std::runtime_error on a write error or a file the kernel package needs that is missing
// (Module.symvers).
SplitResult write_split(const package::PackagePlan& plan, const KernelInventory& inventory,
                        const SplitOptions& options);

// The rpm spec text escaping: '%' doubled.
std::string spec_escape(std::string_view s);

// The manifest file `kmpkit build` reads.
inline constexpr const char* kManifestName = "kmpkit-split.json";

}  // namespace kmpkit::rpm
