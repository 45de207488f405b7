#pragma once
// The whole real Debian kernel packaged with the default policy (and --host-base): built once per
// kmpkit binary, kernel and policy, shared by the slow tests under a lock, kept in the kmpkit cache.
#include <chrono>
#include <iostream>
#include <set>

#include <nlohmann/json.hpp>

#include "../pipeline_support.hpp"

namespace kmpkit::test {

namespace pl = pipeline;
using pl::q;

struct RealRepo {
  std::string dir, split, repo, kver, reference, module_dir;
  nlohmann::json manifest;
};

inline const RealRepo& real_repo() {
  static RealRepo r = [] {
    RealRepo x;
    x.kver = kernel_release();
    std::string policy = source_dir() + "/policies/default.toml";
    std::string key = pl::binary_key() + "-" + pl::sha256_of(policy).substr(0, 8);
    x.dir = pl::cached_dir(
        pl::cache_base() + "/repo-" + x.kver + "-" + key,
        [&](const std::string& tmp) {
          auto t0 = std::chrono::steady_clock::now();
          // Signed, as a distribution's: the tests' zypper checks every signature (pl::zypper_add_repo).
          GpgSigningKey gpg;
          auto res = run(gpg.env() + q(kmpkit_binary()) + " package --policy " + q(policy) + " -b " + q(kernel_root()) +
                         " " + q(x.kver) + " --out " + q(tmp + "/split") + " --host-base --gpg-key " + q(gpg.id));
          if (res.exit_code != 0) throw std::runtime_error("kmpkit package failed: " + res.out + res.err);
          double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          pl::write_text(tmp + "/package.out", res.out + "\nseconds " + std::to_string(secs) + "\n");
          auto d = pl::reference_depmod(kernel_root(), x.kver, tmp + "/reference");
          if (d.exit_code != 0) throw std::runtime_error("reference depmod failed: " + d.out);
        },
        "repo-" + x.kver + "-");
    x.split = x.dir + "/split";
    x.repo = x.split + "/repo";
    x.reference = x.dir + "/reference/lib/modules/" + x.kver;
    x.module_dir = "/lib/modules/" + x.kver;
    x.manifest = nlohmann::json::parse(pl::read_text(x.split + "/kmpkit-split.json"));
    std::cout << "real repository: " << x.dir << "\n" << pl::read_text(x.dir + "/package.out");
    return x;
  }();
  return r;
}

// The default policy names KMPs by KABI: "ext4-kmp-amd64-3f0c9a1e" is a build of "ext4-kmp-amd64".
inline bool has_kmp(const std::set<std::string>& packages, const std::string& base) {
  for (const auto& p : packages)
    if (p == base || (p.starts_with(base + "-") && p.size() == base.size() + 9)) return true;
  return false;
}

// Module paths as the default policy packages them (NAME.ko.zst) → as in the tree (NAME.ko).
inline std::string tree_path(std::string path) {
  for (const char* suffix : {".zst", ".xz"})
    if (path.ends_with(std::string(".ko") + suffix)) path.resize(path.size() - std::string(suffix).size());
  return path;
}
inline std::set<std::string> tree_paths(const std::set<std::string>& paths) {
  std::set<std::string> out;
  for (const auto& p : paths) out.insert(tree_path(p));
  return out;
}

// sha256 of every module's content (decompressed) under DIR/kernel, "PATH-AS-IN-THE-TREE HASH" lines.
inline std::string module_content_sums(const std::string& dir) {
  return run("cd " + q(dir) +
             " && find kernel -name '*.ko*' -type f | LC_ALL=C sort | while read -r f; do case $f in "
             "*.zst) zstd -dcq \"$f\" ;; *.xz) xz -dc \"$f\" ;; *) cat \"$f\" ;; esac | sha256sum | "
             "sed \"s|-\\$|${f%.ko*}.ko|\"; done")
      .out;
}

}  // namespace kmpkit::test
