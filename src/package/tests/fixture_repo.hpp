#pragma once
// The fast tests' repository: the tiny kernel tree (the real kernel's image files and Module.symvers,
// the seven compiled test modules) packaged with a small policy and --host-base, built once per
// kmpkit binary and test modules, shared by the test processes (the package, install and firmware
// tests).
#include <stdexcept>
#include <string>

#include "pipeline_support.hpp"

namespace kmpkit::test {

namespace pl = pipeline;
using pl::q;

inline const char* kFixturePolicy = R"(format = 1
[[set]]
name = "kmpt-chain-kmp-{flavor}"
summary = "The kmpt test chain"
modules = ["kmpt_mid", "kmpt_leaf"]

[[pattern]]
name = "kmpt-all"
summary = "All test modules"
order = 100
requires = { paths = ["**"] }

[[pattern]]
name = "kmpt-extra"
summary = "The extra test modules"
order = 110
requires = { modules = ["kmpt_dash"] }
)";

struct Fixture {
  std::string dir;    // cache dir
  std::string root;   // the tiny kernel tree
  std::string split;  // kmpkit split --out
  std::string repo;   // split/repo
  std::string kver;
  std::string reference;  // Debian depmod of the tree: reference/lib/modules/KVER
};

inline const Fixture& fixture() {
  static Fixture f = [] {
    Fixture x;
    x.kver = kernel_release();
    std::string key = pl::binary_key() + "-" + pl::sha256_of(test_modules_dir() + "/plain/kmpt_core.ko").substr(0, 8);
    x.dir = pl::cached_dir(
        pl::cache_base() + "/test-fixture-repo-" + key,
        [&](const std::string& tmp) {
          pl::make_fixture_tree(tmp + "/root");
          pl::write_text(tmp + "/policy.toml", kFixturePolicy);
          // Signed, as a distribution's: the tests' zypper checks every signature (pl::zypper_add_repo).
          GpgSigningKey gpg;
          auto r = run(gpg.env() + q(kmpkit_binary()) + " package --policy " + q(tmp + "/policy.toml") + " -b " +
                       q(tmp + "/root") + " " + q(x.kver) + " --out " + q(tmp + "/split") + " --host-base --gpg-key " +
                       q(gpg.id));
          if (r.exit_code != 0) throw std::runtime_error("kmpkit package failed: " + r.out + r.err);
          auto d = pl::reference_depmod(tmp + "/root", x.kver, tmp + "/reference");
          if (d.exit_code != 0) throw std::runtime_error("depmod failed: " + d.out);
        },
        "test-fixture-repo-");
    x.root = x.dir + "/root";
    x.split = x.dir + "/split";
    x.repo = x.split + "/repo";
    x.reference = x.dir + "/reference/lib/modules/" + x.kver;
    return x;
  }();
  return f;
}

}  // namespace kmpkit::test
