#pragma once
// `kmpkit split`: a package plan written as rpm spec files. One spec holds the kernel package and
// the pattern packages; the KMPs are spread over "shard" specs so that several rpmbuilds work in
// parallel (rpm 4.18 runs the dependency generators once per file, sequentially inside one
// rpmbuild: docs/packaging.md). File lists go to DIR/lists/, the manifest `kmpkit build` reads to
// DIR/kmpkit-split.json (spec/manifest.hpp).
#include <string>
#include <vector>

#include "module/inventory.hpp"
#include "package/plan.hpp"
#include "spec/manifest.hpp"

namespace kmpkit::spec {

struct SplitOptions {
  std::string out_dir;          // DIR: specs, lists/, kmpkit-split.json, patterns.xml
  std::string root;             // the tree's base directory ("" or "/" = the running system)
  unsigned shards = 0;          // 0 = automatic (about 100 KMPs a spec)
  unsigned jobs = 0;            // parallel rpmbuilds for `kmpkit build` (0 = CPUs)
  std::string payload = "w9.zstdio";
  std::string depmod_command;   // the refresh script's database command, e.g. "/usr/bin/kmpkit depmod -a KVER"
  std::string weak_updates_command;  // kabi scheme: run before depmod, e.g. "/usr/bin/kmpkit weak-updates -q KVER"
  std::string kmpkit_binary;    // pinned as DIR/bin/kmpkit, the specs' %__kmpkit ("" = rpm's configured one)
  std::string license_file;     // "" = ROOT/usr/share/doc/linux-image-KVER*/copyright when present
  std::string url;
  std::string vendor;
  std::string depgen_flavor;    // passed as kmpkit_depgen_opts --flavor when not the vermagic flavor
  bool provides_imported = false;  // [kmp] provides = "imported": write DIR/imported-symbols, pass it to depgen
  bool host_base = false;       // also host-base.spec (/bin/sh, depmod, libraries for empty roots) and kmpkit-tool.spec
  bool tool_package = false;    // kmpkit-tool.spec: the `kmpkit` package the scripts run (host_base implies it)
  bool initrd = true;           // [kernel] initrd: the scripts keep each kernel's initrd in step
  std::string compress_modules = "none";  // [build] compress_modules: "none", "zstd" or "xz"
};

struct SplitResult {
  SplitManifest manifest;             // also written to DIR/kmpkit-split.json
  std::vector<std::string> warnings;  // a file the kernel package lacks, ...
};

// Writes everything into options.out_dir (created; earlier specs and lists there are replaced).
// Throws Error: Write for a write error, Input for a file the kernel package needs that is
// missing (Module.symvers) or a module path rpm cannot list.
SplitResult write_split(const package::PackagePlan& plan, const KernelInventory& inventory, const SplitOptions& options);

// The generator pinned as DIR/bin/kmpkit and DIR/bin/kmpkit-depgen (the lean one rpm runs per
// file, found beside %__kmpkit): a rebuilt or reinstalled kmpkit cannot change (or break) a build
// of specs there halfway (the specs' %__kmpkit; kmp/ pins it for its KMP specs too). Throws Error(Write).
void pin_generator(const std::string& dir, const std::string& kmpkit_binary);

// The number of shard specs used when SplitOptions::shards is 0.
unsigned automatic_shards(size_t kmps);

// The file name suffix a module gets in the packages ("" = as in the tree): uncompressed modules
// are compressed in the specs' %install when the policy says so.
std::string packaged_suffix(const std::string& path, const std::string& compress_modules);

// The rpm spec text escaping: '%' doubled.
std::string spec_escape(std::string_view s);

}  // namespace kmpkit::spec
