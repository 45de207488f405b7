#pragma once
// The manifest of a split directory: what `kmpkit split` wrote and `kmpkit build` reads (one type,
// no raw JSON keys elsewhere). DIR/kmpkit-split.json.
#include <cstdint>
#include <string>
#include <vector>

namespace kmpkit::spec {

struct SpecEntry {
  std::string file;                   // name inside DIR, e.g. "kmps-03.spec"
  std::vector<std::string> packages;  // binary packages it builds
  size_t module_files = 0;
  uint64_t bytes = 0;
};

struct SplitManifest {
  std::string kmpkit_version;
  std::string kver, flavor, version, release;
  std::string root;            // the tree's base directory
  std::string kernel_package;
  unsigned jobs = 0;           // parallel rpmbuilds the split asks for
  std::string patterns_xml;    // "" = no patterns to publish
  std::string scheme;          // "kernel-version" or "kabi"
  std::vector<std::string> kmps_not_built;  // KMPs an earlier build serves (--baseline) or --only left out
  std::vector<SpecEntry> specs;             // kernel.spec first

  size_t packages() const;
};

inline constexpr const char* kManifestName = "kmpkit-split.json";

// Written atomically to DIR/kmpkit-split.json (throws Error(Write)).
void write_manifest(const std::string& dir, const SplitManifest& manifest);
// Throws Error(Input) when DIR has no (readable) manifest, saying to run kmpkit split first.
SplitManifest read_manifest(const std::string& dir);

}  // namespace kmpkit::spec
