#pragma once
// The whole real Debian kernel packaged with the default policy (and --host-base): built once per
// kmpkit binary, kernel and policy, shared by the slow tests under a lock, kept in the kmpkit cache.
#include <chrono>
#include <iostream>

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
          auto res = run(q(kmpkit_binary()) + " package --policy " + q(policy) + " -b " + q(kernel_root()) + " " +
                         q(x.kver) + " --out " + q(tmp + "/split") + " --host-base");
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

}  // namespace kmpkit::test
