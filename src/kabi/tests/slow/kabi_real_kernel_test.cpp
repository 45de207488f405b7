// kabi diff and verify on real Debian kernels, picked at run time by scripts/fetch-kernel-pair.sh:
// the oldest and newest image ABIs (far), a consecutive pair with a partial CRC change
// (partial), and a consecutive pair with no change (zero). Oracle: Debian's depmod -e -E on the
// new tree with the old modules in weak-updates/.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>

#include "../kabi_fixtures.hpp"
#include "module/kernel_tree.hpp"

using namespace kmpkit;
using namespace kmpkit::kabi::testing;
using kmpkit::test::shell_quote;

namespace {

using PathSymbol = std::pair<std::string, std::string>;

struct Kernel {
  std::string root, kver, module_dir, symvers;
};

Kernel kernel_at(const std::string& root) {
  Kernel k;
  k.root = root;
  k.kver = kmpkit::test::release_of_root(root);
  k.module_dir = root + "/lib/modules/" + k.kver;
  k.symvers = locate_kernel_tree(root, k.kver).symvers.value_or("");
  return k;
}

struct Pair {
  Kernel old_k, new_k;
  bool ok = false;
};

// The pair of a mode, fetched once per process.
Pair fetch_pair(const std::string& mode) {
  static std::map<std::string, Pair> cache;
  if (auto it = cache.find(mode); it != cache.end()) return it->second;
  Pair p;
  if (auto roots = kmpkit::test::kernel_pair_roots(mode)) {
    p.old_k = kernel_at(roots->first);
    p.new_k = kernel_at(roots->second);
    p.ok = !p.old_k.symvers.empty() && !p.new_k.symvers.empty();
  }
  cache[mode] = p;
  return p;
}

std::string diff_args(const Pair& p) {
  return "kabi diff -b " + shell_quote(p.old_k.root) + " " + p.old_k.kver + " -B " + shell_quote(p.new_k.root) + " " +
         p.new_k.kver;
}

std::set<PathSymbol> version_problems(const nlohmann::json& report) {
  std::set<PathSymbol> out;
  for (auto& m : report["modules"]["list"])
    for (auto& p : m["problems"])
      if (p["kind"] == "unknown-symbol" || p["kind"] == "crc-mismatch") out.emplace(m["path"], p["symbol"]);
  return out;
}

// NEW's module tree with OLD's modules under weak-updates/ (hard links), searched first.
struct OracleTree {
  std::string base, module_dir, conf;
};

OracleTree oracle_tree(const Pair& p) {
  OracleTree t;
  t.base = kmpkit::test::temp_dir("kmpkit-kabi-oracle");
  t.module_dir = t.base + "/lib/modules/" + p.new_k.kver;
  t.conf = t.base + "/conf";
  // Hard links when the cache and the temp dir share a file system, symbolic links otherwise.
  std::string copy = "cp -al {0} {1} 2>/dev/null || cp -as {0} {1}";
  sh("mkdir -p " + shell_quote(t.base + "/lib/modules") + " " + shell_quote(t.conf) + " " + shell_quote(t.module_dir) +
     " && " + fmt::format(fmt::runtime(copy), shell_quote(p.new_k.module_dir + "/kernel"), shell_quote(t.module_dir + "/")) +
     " && cp " + shell_quote(p.new_k.module_dir) + "/modules.* " + shell_quote(t.module_dir + "/") + " && mkdir " +
     shell_quote(t.module_dir + "/weak-updates") + " && " +
     fmt::format(fmt::runtime(copy), shell_quote(p.old_k.module_dir + "/kernel"), shell_quote(t.module_dir + "/weak-updates/")));
  write_text(t.conf + "/kabi.conf", "search weak-updates built-in\n");
  return t;
}

// depmod -e -E NEW's Module.symvers: the weak-updates modules it warns about, as (path relative
// to OLD's module dir, symbol).
std::set<PathSymbol> depmod_warnings(const OracleTree& t, const Pair& p) {
  auto r = run("timeout 300 /sbin/depmod -C " + shell_quote(t.conf) + " -b " + shell_quote(t.base) + " -e -E " +
               shell_quote(p.new_k.symvers) + " " + p.new_k.kver + " 2>&1 | head -c 20M");
  EXPECT_EQ(r.exit_code, 0);
  std::set<PathSymbol> out;
  std::regex line(
      R"(^depmod: WARNING: .*/weak-updates/(\S+) (disagrees about version of symbol|needs unknown symbol) (\S+)$)");
  for (auto& l : kmpkit::test::split_lines(r.out)) {
    std::smatch m;
    if (std::regex_match(l, m, line)) out.emplace(m[1].str(), m[3].str());
  }
  return out;
}

class kabi_real_pair : public ::testing::TestWithParam<std::string> {};

TEST_P(kabi_real_pair, DiffAgreesWithDepmod) {
  const std::string mode = GetParam();
  Pair p = fetch_pair(mode);
  if (!p.ok) GTEST_SKIP() << "the registry offers no '" << mode << "' pair of kernel images";

  auto t0 = std::chrono::steady_clock::now();
  auto r = kmpkit_run(diff_args(p) + " --json");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto& j = r.json;
  size_t total = j["modules"]["total"], loadable = j["modules"]["loadable"];
  std::string summary = fmt::format(
      "{} {} -> {}: {} of {} old modules stay loadable ({} fail on their own); exports {} -> {}: {} changed CRC, "
      "{} removed, {} added; kabi diff {:.2f} s",
      mode, p.old_k.kver, p.new_k.kver, loadable, total, j["modules"]["direct_failures"].get<size_t>(),
      j["symbols"]["old"].get<size_t>(), j["symbols"]["new"].get<size_t>(), j["symbols"]["crc_changed"].get<size_t>(),
      j["symbols"]["removed"].get<size_t>(), j["symbols"]["added"].get<size_t>(), seconds);
  std::printf("%s\n", summary.c_str());
  RecordProperty("summary", summary);
  EXPECT_GT(total, 3000u);
  EXPECT_TRUE(j["modules"]["vermagic_checked"]);
  EXPECT_TRUE(j["errors"].empty());

  // The (module, symbol) problems equal depmod's warnings exactly.
  auto t = oracle_tree(p);
  auto theirs = depmod_warnings(t, p);
  auto ours = version_problems(j);
  std::vector<PathSymbol> only_ours, only_theirs;
  std::set_difference(ours.begin(), ours.end(), theirs.begin(), theirs.end(), std::back_inserter(only_ours));
  std::set_difference(theirs.begin(), theirs.end(), ours.begin(), ours.end(), std::back_inserter(only_theirs));
  EXPECT_TRUE(only_ours.empty()) << only_ours.size() << " only in kmpkit, e.g. " << only_ours.front().first << " "
                                 << only_ours.front().second;
  EXPECT_TRUE(only_theirs.empty()) << only_theirs.size() << " only in depmod, e.g. " << only_theirs.front().first
                                   << " " << only_theirs.front().second;
  std::printf("%s: %zu (module, symbol) problems, depmod %zu\n", mode.c_str(), ours.size(), theirs.size());

  if (mode == "zero") {
    EXPECT_EQ(j["symbols"]["crc_changed"], 0);
    EXPECT_EQ(loadable, total);
    EXPECT_TRUE(theirs.empty());
  } else {
    EXPECT_GT(j["symbols"]["crc_changed"].get<size_t>(), 0u);
    EXPECT_LT(loadable, total);
  }
}

// The fixpoint against depmod run again and again: drop the weak-updates modules depmod warns
// about (their in-tree copies take over) until it warns no more; what is left is what kabi diff
// calls loadable.
// (Only the partial pair is informative: some modules stay, some go.)
TEST(kabi_real, FixpointEqualsIteratedDepmodOnThePartialPair) {
  const std::string mode = "partial";
  Pair p = fetch_pair(mode);
  if (!p.ok) GTEST_SKIP() << "the registry offers no '" << mode << "' pair of kernel images";
  auto r = kmpkit_run(diff_args(p) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> ours, all;
  for (auto& m : r.json["modules"]["list"]) {
    all.insert(m["path"]);
    if (m["loadable"]) ours.insert(m["path"]);
  }
  auto t = oracle_tree(p);
  std::set<std::string> left = all;
  int rounds = 0;
  for (; rounds < 50; ++rounds) {
    auto warned = depmod_warnings(t, p);
    if (warned.empty()) break;
    for (auto& [path, symbol] : warned)
      if (left.erase(path)) fs::remove(t.module_dir + "/weak-updates/" + path);
  }
  std::printf("partial: depmod settled after %d rounds with %zu of %zu old modules; kabi diff: %zu\n", rounds,
              left.size(), all.size(), ours.size());
  EXPECT_LT(rounds, 50);
  EXPECT_EQ(left, ours);
}

INSTANTIATE_TEST_SUITE_P(Pairs, kabi_real_pair, ::testing::Values("far", "partial", "zero"));

TEST(kabi_real, SymversOnlyGivesTheSameSymbolDiff) {
  Pair p = fetch_pair("far");
  if (!p.ok) GTEST_SKIP() << "no pair of kernel images";
  auto tree = kmpkit_run(diff_args(p) + " --json");
  auto files = kmpkit_run("kabi diff --symvers-old " + shell_quote(p.old_k.symvers) + " --symvers-new " +
                          shell_quote(p.new_k.symvers) + " --json");
  ASSERT_EQ(files.exit_code, 0) << files.err;
  EXPECT_EQ(files.json["symbols"], tree.json["symbols"]);
  EXPECT_FALSE(files.json["modules"]["checked"]);
  // The old tree against the new Module.symvers alone: the same verdicts (the new kernel's
  // modules export what its Module.symvers says they do).
  auto half = kmpkit_run("kabi diff -b " + shell_quote(p.old_k.root) + " " + p.old_k.kver + " --symvers-new " +
                         shell_quote(p.new_k.symvers) + " --json");
  ASSERT_EQ(half.exit_code, 0) << half.err;
  EXPECT_EQ(half.json["modules"]["loadable"], tree.json["modules"]["loadable"]);
  EXPECT_EQ(version_problems(half.json), version_problems(tree.json));
}

TEST(kabi_real, VerifyTheRealKernel) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = kmpkit_run("verify --root " + shell_quote(kmpkit::test::kernel_root()) + " --json");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto& k = r.json["kernels"][0];
  EXPECT_EQ(r.json["errors"], 0);
  EXPECT_GT(k["modules"].size(), 3000u);
  EXPECT_EQ(k["signing"], "used");
  size_t firmware = 0;
  for (auto& f : k["findings"]) {
    EXPECT_TRUE(f["kind"] == "missing-firmware" || f["kind"] == "no-package-database") << f;
    firmware += f["kind"] == "missing-firmware";
  }
  for (auto& m : k["modules"]) {
    EXPECT_TRUE(m["loadable"]) << m["path"];
    EXPECT_TRUE(m["signed"]) << m["path"];
    EXPECT_EQ(m["support"], "in-tree") << m["path"];
  }
  std::printf("verify %s: %zu modules, %zu missing firmware files, %.2f s\n", kmpkit::test::kernel_release().c_str(),
              k["modules"].size(), firmware, seconds);
}

// Part 1 decides, part 4 checks: the new kernel with weak-updates links to exactly the old
// modules kabi diff calls reusable (the way compatible KMPs are reused) verifies without errors;
// linking one that merely loads breaks the new modules named in its reuse_blocked_by; linking
// one that does not load gives exactly one stale link (and the users it takes down).
// (Not on the far pair: nothing of the old kernel stays loadable across ABIs that far apart.)
void link_reusable_and_verify(const std::string& mode) {
  Pair p = fetch_pair(mode);
  if (!p.ok) GTEST_SKIP() << "the registry offers no '" << mode << "' pair of kernel images";
  auto r = kmpkit_run(diff_args(p) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  std::string root = kmpkit::test::temp_dir("kmpkit-kabi-weak");
  std::string nmd = root + "/lib/modules/" + p.new_k.kver, omd = root + "/lib/modules/" + p.old_k.kver;
  std::string copy = "cp -al {0} {1} 2>/dev/null || cp -as {0} {1}";
  sh("mkdir -p " + shell_quote(nmd) + " " + shell_quote(omd) + " " + shell_quote(root + "/etc/depmod.d") + " && " +
     fmt::format(fmt::runtime(copy), shell_quote(p.new_k.module_dir + "/kernel"), shell_quote(nmd + "/")) + " && " +
     fmt::format(fmt::runtime(copy), shell_quote(p.old_k.module_dir + "/kernel"), shell_quote(omd + "/")) + " && cp " +
     shell_quote(p.new_k.module_dir) + "/modules.builtin " + shell_quote(p.new_k.symvers) + " " + shell_quote(nmd + "/"));
  write_text(root + "/etc/depmod.d/00-weak.conf", "search updates weak-updates built-in\n");
  std::string rejected, unreusable, broken_user;
  size_t linked = 0;
  auto link = [&](const std::string& path) {
    fs::create_directories(fs::path(nmd + "/weak-updates/" + path).parent_path());
    fs::create_symlink("/lib/modules/" + p.old_k.kver + "/" + path, nmd + "/weak-updates/" + path);
  };
  for (auto& m : r.json["modules"]["list"]) {
    std::string path = m["path"];
    if (!m["loadable"]) {
      if (rejected.empty() && m["problems"][0]["kind"] != "needs-unloadable-module") rejected = path;
      continue;
    }
    if (!m["reusable"]) {
      if (unreusable.empty() && m["reuse_blocked_by"]["new_module"]) {
        unreusable = path;
        broken_user = m["reuse_blocked_by"]["module"];
      }
      continue;
    }
    link(path);
    ++linked;
  }
  EXPECT_EQ(linked, r.json["modules"]["reusable"].get<size_t>());
  auto v = kmpkit_run("verify --root " + shell_quote(root) + " --kernel " + p.new_k.kver + " --json");
  EXPECT_EQ(v.exit_code, 0) << v.out.substr(0, 4000);
  EXPECT_EQ(v.json["errors"], 0);
  size_t via_links = 0;
  for (auto& m : v.json["kernels"][0]["modules"]) via_links += m.contains("target");
  EXPECT_EQ(via_links, linked);
  std::printf("%s: %zu old modules linked into %s's weak-updates, verify: %zu errors, %zu warnings\n", mode.c_str(),
              linked, p.new_k.kver.c_str(), v.json["errors"].get<size_t>(), v.json["warnings"].get<size_t>());

  if (!unreusable.empty()) {
    link(unreusable);
    auto broken = kmpkit_run("verify --root " + shell_quote(root) + " --kernel " + p.new_k.kver + " --json");
    EXPECT_EQ(broken.exit_code, 6);
    std::set<std::string> failing;
    for (auto& f : broken.json["kernels"][0]["findings"])
      if (f["severity"] == "error") failing.insert(f["path"]);
    EXPECT_TRUE(failing.count(broken_user)) << unreusable << " should break " << broken_user;
    EXPECT_FALSE(failing.count("weak-updates/" + unreusable)) << "it loads itself";
    std::printf("%s: linking the loadable but not reusable %s breaks %zu modules, among them %s\n", mode.c_str(),
                unreusable.c_str(), failing.size(), broken_user.c_str());
    fs::remove(nmd + "/weak-updates/" + unreusable);
  }
  if (rejected.empty()) return;
  link(rejected);
  auto bad = kmpkit_run("verify --root " + shell_quote(root) + " --kernel " + p.new_k.kver + " --json");
  EXPECT_EQ(bad.exit_code, 6);
  // The rejected module shadows the new kernel's own copy: its link is stale, and whatever
  // needed that copy's symbols goes down with it (more stale links, in-tree users).
  size_t stale = 0, others = 0;
  for (auto& f : bad.json["kernels"][0]["findings"]) {
    if (f["severity"] != "error") continue;
    if (f["path"] == "weak-updates/" + rejected) {
      EXPECT_EQ(f["kind"], "stale-weak-updates-link");
      ++stale;
    } else {
      EXPECT_TRUE(f["kind"] == "stale-weak-updates-link" || f["kind"] == "needs-unloadable-module") << f;
      ++others;
    }
  }
  EXPECT_EQ(stale, 1u);
  std::printf("%s: linking the rejected %s: 1 stale link, %zu more errors through it\n", mode.c_str(),
              rejected.c_str(), others);
}

TEST(kabi_real, LinkingTheReusableOldModulesVerifiesCleanPartialPair) { link_reusable_and_verify("partial"); }
TEST(kabi_real, LinkingTheReusableOldModulesVerifiesCleanZeroPair) { link_reusable_and_verify("zero"); }

}  // namespace

// kmpkit weak-updates at full scale: NEW installed with no module of its own (its kernel files
// only), OLD's whole tree beside it. The links it makes are accepted by Debian's depmod -e -E
// without one warning, and each OLD module it leaves out would make depmod warn.
void weak_updates_on_real_pair(const std::string& mode) {
  Pair p = fetch_pair(mode);
  if (!p.ok) GTEST_SKIP() << "the registry offers no '" << mode << "' pair of kernel images";
  std::string root = kmpkit::test::temp_dir("kmpkit-weak-real");
  std::string omd = root + "/lib/modules/" + p.old_k.kver, nmd = root + "/lib/modules/" + p.new_k.kver;
  sh("mkdir -p " + shell_quote(omd) + " " + shell_quote(nmd) + " && (cp -al " + shell_quote(p.old_k.module_dir + "/kernel") +
     " " + shell_quote(omd + "/") + " 2>/dev/null || cp -a " + shell_quote(p.old_k.module_dir + "/kernel") + " " +
     shell_quote(omd + "/") + ") && cp " + shell_quote(p.new_k.symvers) + " " + shell_quote(nmd + "/Module.symvers") +
     " && cp " + shell_quote(p.new_k.module_dir) + "/modules.order " + shell_quote(p.new_k.module_dir) +
     "/modules.builtin " + shell_quote(p.new_k.module_dir) + "/modules.builtin.modinfo " + shell_quote(nmd + "/"));
  auto tree = locate_kernel_tree(p.new_k.root, p.new_k.kver);
  ASSERT_TRUE(tree.system_map && tree.config);
  sh("cp " + shell_quote(*tree.system_map) + " " + shell_quote(nmd + "/System.map") + " && cp " +
     shell_quote(*tree.config) + " " + shell_quote(nmd + "/config"));
  auto r = kmpkit_run("weak-updates --json -b " + shell_quote(root) + " " + p.new_k.kver);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto& k = r.json[0];
  size_t links = k["links"].size(), rejected = k["rejected"].size();
  EXPECT_EQ(links + rejected, k["candidates"].get<size_t>());
  std::printf("%s: %zu of %zu modules of %s serve %s (which has none of its own) through weak-updates\n",
              mode.c_str(), links, links + rejected, p.old_k.kver.c_str(), p.new_k.kver.c_str());
  auto depmod = [&] {
    auto d = run("timeout 300 /sbin/depmod -n -e -E " + shell_quote(nmd + "/Module.symvers") + " -b " +
                 shell_quote(root) + " " + p.new_k.kver + " 2>&1 >/dev/null | grep WARNING | head -c 200000");
    return kmpkit::test::split_lines(d.out);
  };
  EXPECT_EQ(depmod(), std::vector<std::string>{});
  if (rejected == 0) return;
  // One left-out module with a problem of its own (not just a missing dependency): linked by
  // hand, depmod warns about it.
  std::string pick;
  for (auto& x : k["rejected"])
    if (x["reason"].get<std::string>().starts_with("crc-mismatch")) {
      pick = x["path"];
      break;
    }
  ASSERT_FALSE(pick.empty());
  fs::create_directories(fs::path(nmd + "/weak-updates/" + pick).parent_path());
  std::string up;  // relative, as weak-updates makes them: depmod -b resolves absolute links on the host
  for (size_t i = 0; i < std::count(pick.begin(), pick.end(), '/') + 2u; ++i) up += "../";
  fs::create_symlink(up + p.old_k.kver + "/" + pick, nmd + "/weak-updates/" + pick);
  auto warnings = depmod();
  EXPECT_FALSE(warnings.empty());
  for (auto& w : warnings) EXPECT_NE(w.find(pick), std::string::npos) << w;
}

TEST(kabi_real, WeakUpdatesLinksWhatDepmodAcceptsPartialPair) { weak_updates_on_real_pair("partial"); }
TEST(kabi_real, WeakUpdatesLinksWhatDepmodAcceptsFarPair) { weak_updates_on_real_pair("far"); }
