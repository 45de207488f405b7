#pragma once
// Shared by the slow tests of kernel updates (kabi_update_test, boot_test): real Debian kernels
// picked at run time (scripts/fetch-kernel-pair.sh), packaged with the shipped default policy (KMPs
// named by KABI), cached per kmpkit binary; zypper roots with q35-virtio's devices.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "../pipeline_support.hpp"

namespace kmpkit::test {

namespace pl = pipeline;
namespace fs = std::filesystem;
using pl::q;

struct Kernel {
  std::string root, kver;
};

// The pair of a fetch-kernel-pair.sh mode; ok = false when the registry has none.
inline std::pair<Kernel, Kernel> kernel_pair(const std::string& mode, bool& ok) {
  auto roots = kernel_pair_roots(mode);
  ok = roots.has_value();
  if (!ok) return {};
  return {{roots->first, release_of_root(roots->first)}, {roots->second, release_of_root(roots->second)}};
}

// The shipped default policy: it names KMPs by KABI (issue 18: safe kernel updates by default).
inline std::string kabi_policy() {
  std::string path = source_dir() + "/policies/default.toml";
  if (pl::read_text(path).find("\nscheme = \"kabi\"\n") == std::string::npos)
    throw std::runtime_error("policies/default.toml no longer uses the kabi naming scheme");
  return path;
}

struct Repo {
  std::string split, repo;
  nlohmann::json manifest;
};

// `kmpkit package` of a kernel with the kabi policy (cached per kmpkit binary under the kmpkit cache).
inline Repo package(const Kernel& k, const std::string& tag, const std::string& extra_args) {
  std::string dir = pl::cached_dir(
      pl::cache_base() + "/kabi-" + tag + "-" + k.kver + "-" + pl::binary_key(),
      [&](const std::string& tmp) {
        auto t0 = std::chrono::steady_clock::now();
        auto r = run(q(kmpkit_binary()) + " package --policy " + q(kabi_policy()) + " -b " + q(k.root) + " " +
                     q(k.kver) + " --out " + q(tmp + "/split") + " " + extra_args);
        if (r.exit_code != 0) throw std::runtime_error("kmpkit package failed: " + r.out + r.err);
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        pl::write_text(tmp + "/package.out", r.out + "seconds " + std::to_string(secs) + "\n");
      },
      "kabi-" + tag + "-" + k.kver + "-");
  Repo repo{dir + "/split", dir + "/split/repo", {}};
  repo.manifest = nlohmann::json::parse(pl::read_text(repo.split + "/kmpkit-split.json"));
  std::cout << "== " << tag << " " << k.kver << ": " << dir << "\n" << pl::read_text(dir + "/package.out");
  return repo;
}

inline std::set<std::string> package_names_in(const std::string& repo) {
  std::set<std::string> out;
  auto r = run("find " + q(repo) + " -name '*.rpm' -print0 | xargs -0 rpm -qp --qf '%{NAME}\\n' 2>/dev/null");
  for (auto& l : split_lines(r.out))
    if (!l.empty()) out.insert(l);
  return out;
}

// A root for zypper: rpm database, the host base (/bin/sh, kmpkit, depmod for the scriptlets),
// q35-virtio's devices. Kernels install side by side because the kernel package ships
// /etc/zypp/multiversion.d/kmpkit-kernels.conf (nothing written by hand).
struct Root {
  std::string dir, sysfs;
};

inline Root make_root(const std::string& host_base_repo) {
  Root r{pl::new_root("kmpkit-kabi-root"), ""};
  std::string profiles = hw_profiles_dir();
  r.sysfs = temp_dir("kmpkit-kabi-sysfs");
  for (auto& l : split_lines(pl::read_text(profiles + "/q35-virtio/modalias.tsv"))) {
    auto tab = l.find('\t');
    if (tab == std::string::npos) continue;
    pl::write_text(r.sysfs + l.substr(0, tab), l.substr(tab + 1) + "\n");
  }
  auto hb = run(pl::rpm_in(r.dir) + "-i " + q(host_base_repo) + "/x86_64/kmpkit-host-base-*.rpm 2>&1");
  EXPECT_EQ(hb.exit_code, 0) << hb.out;
  return r;
}

inline CommandResult zypper(const Root& r, const std::string& args) { return pl::zypper(r.dir, args, r.sysfs); }

// name → "version-release installtime" of the installed packages.
inline std::map<std::string, std::string> installed_state(const Root& r) {
  std::map<std::string, std::string> out;
  auto res = run(pl::rpm_in(r.dir) + "-qa --qf '%{NAME} %{VERSION}-%{RELEASE} %{INSTALLTIME}\\n'");
  for (auto& l : split_lines(res.out)) {
    auto sp = l.find(' ');
    if (sp != std::string::npos) out[l.substr(0, sp)] += (out[l.substr(0, sp)].empty() ? "" : ";") + l.substr(sp + 1);
  }
  return out;
}

inline nlohmann::json verify_json(const Root& r) {
  auto v = run(q(kmpkit_binary()) + " verify --json --root " + q(r.dir));
  EXPECT_EQ(v.exit_code, 0) << run(q(kmpkit_binary()) + " verify --root " + q(r.dir)).out;
  return nlohmann::json::parse(v.out);
}

// Debian's depmod on a copy of the root's whole lib/modules (weak-updates links are relative and
// lead into other kernels' directories), compared with the database the triggers left.
inline void expect_database_like_depmod(const Root& r, const std::string& kver) {
  std::string out = temp_dir("kmpkit-kabi-depmod");
  fs::create_directories(out + "/lib");
  ASSERT_EQ(run("cp -a " + q(r.dir + "/lib/modules") + " " + q(out + "/lib/")).exit_code, 0);
  auto d = run("timeout 300 /sbin/depmod -b " + q(out) + " " + q(kver) + " 2>&1 | head -c 100000");
  ASSERT_TRUE(fs::exists(out + "/lib/modules/" + kver + "/modules.dep")) << d.out;
  EXPECT_EQ(pl::database_differences(r.dir + "/lib/modules/" + kver, out + "/lib/modules/" + kver),
            std::vector<std::string>{})
      << kver;
  // And depmod finds every symbol with its CRC (weak-updates modules included).
  auto e = run("timeout 300 /sbin/depmod -n -e -E " + q(r.dir + "/lib/modules/" + kver + "/Module.symvers") + " -b " +
               q(out) + " " + q(kver) + " 2>&1 >/dev/null | head -c 100000");
  EXPECT_EQ(e.out, "") << kver;
}

// verify's warnings other than missing firmware (the root has no firmware packages).
inline size_t warnings_but_firmware(const nlohmann::json& v) {
  size_t n = 0;
  for (const auto& k : v["kernels"])
    for (const auto& f : k["findings"]) n += f["severity"] == "warning" && f["check"] != "firmware";
  for (const auto& st : v["module_stores"]) n += st["unused"].size();
  return n;
}

inline std::set<std::string> weak_links(const Root& r, const std::string& kver) {
  std::set<std::string> out;
  std::string dir = r.dir + "/lib/modules/" + kver + "/weak-updates";
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_symlink()) {
      EXPECT_TRUE(fs::exists(e.path())) << "dangling " << e.path();
      out.insert(e.path().string().substr(dir.size() + 1));
    }
  return out;
}

// Three consecutive kernels without a KABI change (empty when the registry has none).
inline std::vector<Kernel> kernel_chain() {
  std::vector<Kernel> out;
  for (const auto& root : kernel_chain_roots()) out.push_back({root, release_of_root(root)});
  return out;
}

// The modules of q35-virtio's ground truth (minus the capture harness's) that KVER's tree in ROOT
// cannot resolve with modprobe --show-depends (built-in ones resolve too).
inline std::vector<std::string> ground_truth_unresolved(const std::string& root, const std::string& kver) {
  std::vector<std::string> out;
  std::set<std::string> harness = {"9p", "9pnet", "9pnet_virtio", "netfs", "fscache"};
  for (auto& m : split_lines(pl::read_text(hw_profiles_dir() + "/q35-virtio/loaded-modules.txt"))) {
    if (m.empty() || harness.count(m)) continue;
    auto r = run("modprobe -d " + q(root) + " -S " + q(kver) + " --show-depends " + q(m) + " 2>&1");
    if (r.exit_code != 0) out.push_back(m + ": " + r.out);
  }
  return out;
}

// "Overall download size: 9.3 MiB." of a zypper run, in bytes (0 when absent).
inline double zypper_download_bytes(const std::string& out) {
  auto pos = out.find("Overall download size: ");
  if (pos == std::string::npos) return 0;
  std::istringstream in(out.substr(pos + 23));
  double v = 0;
  std::string unit;
  in >> v >> unit;
  double mul = unit.starts_with("GiB") ? 1 << 30 : unit.starts_with("MiB") ? 1 << 20 : unit.starts_with("KiB") ? 1 << 10 : 1;
  return v * mul;
}

}  // namespace kmpkit::test
