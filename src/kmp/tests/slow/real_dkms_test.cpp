// `kmpkit kmp build` on real inputs (label slow): Debian's DKMS source packages vpoll-dkms,
// acpi-call-dkms and v4l2loopback-dkms (which imports media symbols, so its KMP requires the in-tree
// videodev's ksym()s), and an in-box driver (drivers/net/dummy.c of linux-source-6.1) built as an
// external KMP: installed, modprobe takes its updates/ copy; removed, the in-box one again; the
// database byte-identical to Debian's depmod each time. Fetched by scripts/fetch-dkms-sources.sh.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "kmp/tests/slow/dkms_sources.hpp"
#include "package/tests/pipeline_support.hpp"
#include "test_env.hpp"

namespace fs = std::filesystem;

namespace kmpkit::test {
namespace {

namespace pl = pipeline;
using pl::q;

std::string sources() { return dkms_sources(); }

std::string the_rpm(const std::string& repo, const std::string& prefix) {
  for (const auto& f : pl::repo_rpms(repo))
    if (fs::path(f).filename().string().rfind(prefix, 0) == 0) return f;
  return {};
}

struct Built {
  CommandResult result;
  double seconds = 0;
  std::string rpm;
};

Built kmp_build(const std::string& src, const std::string& repo, const std::string& prefix, const std::string& extra = "") {
  auto t0 = std::chrono::steady_clock::now();
  Built b;
  b.result = run(q(kmpkit_binary()) + " kmp build " + q(src) + " -b " + q(kernel_root()) + " --out " + q(repo) + " " + extra);
  b.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  b.rpm = the_rpm(repo, prefix);
  return b;
}

// Module.symvers of the kernel: symbol → (crc as rpm prints it, the module exporting it).
std::map<std::string, std::pair<std::string, std::string>> kernel_symvers() {
  std::map<std::string, std::pair<std::string, std::string>> out;
  std::string kver = kernel_release();
  for (const auto& l : split_lines(read_text(kernel_root() + "/usr/src/linux-headers-" + kver + "/Module.symvers"))) {
    std::istringstream in(l);
    std::string crc, sym, mod;
    in >> crc >> sym >> mod;
    if (crc.rfind("0x", 0) == 0) crc = crc.substr(2);
    while (crc.size() > 1 && crc[0] == '0') crc.erase(0, 1);
    out[sym] = {crc, mod};
  }
  return out;
}

TEST(RealDkms, DebianDkmsPackagesBecomeKmps) {
  ASSERT_FALSE(sources().empty()) << "scripts/fetch-dkms-sources.sh failed (apt-get download)";
  const std::string kver = kernel_release();
  std::string repo = temp_dir("kmpkit-real-dkms") + "/repo";
  auto symvers = kernel_symvers();
  struct Case {
    const char* package;
    const char* driver;
  } cases[] = {{"vpoll-dkms", "vpoll"}, {"acpi-call-dkms", "acpi-call"}, {"v4l2loopback-dkms", "v4l2loopback"}};
  for (const auto& c : cases) {
    std::string src = dkms_source(c.package);
    ASSERT_FALSE(src.empty()) << c.package;
    auto b = kmp_build(src, repo, std::string(c.driver) + "-kmp-amd64-");
    ASSERT_EQ(b.result.exit_code, 0) << c.package << ": " << b.result.err;
    ASSERT_FALSE(b.rpm.empty()) << b.result.out;
    auto deps = run("rpm -qp --requires --provides --supplements " + q(b.rpm) + " 2>/dev/null");
    auto files = run("rpm -qpl " + q(b.rpm) + " 2>/dev/null");
    // The record (the closing note): build time, dependencies as rpm prints them.
    std::cout << "== " << c.package << ": " << fs::path(b.rpm).filename().string() << " built in " << b.seconds << " s\n"
              << b.result.out << files.out << deps.out;
    EXPECT_NE(files.out.find("/lib/modules/" + kver + "/updates/"), std::string::npos) << files.out;
    EXPECT_NE(deps.out.find("ksym(amd64:module_layout) = " + symvers["module_layout"].first + "\n"), std::string::npos)
        << deps.out;
    if (std::string(c.driver) == "v4l2loopback") {
      // Its media imports are the in-tree videodev's exports, with the CRCs Module.symvers has.
      size_t from_videodev = 0;
      for (const auto& l : split_lines(deps.out)) {
        if (l.rfind("ksym(amd64:", 0) != 0 || l.find(" = ") == std::string::npos) continue;
        std::string sym = l.substr(11, l.find(')') - 11), crc = l.substr(l.find(" = ") + 3);
        auto it = symvers.find(sym);
        if (it == symvers.end() || it->second.second.find("videodev") == std::string::npos) continue;
        EXPECT_EQ(crc, it->second.first) << sym;
        ++from_videodev;
      }
      EXPECT_GE(from_videodev, 5u) << deps.out;
      // ...which the in-tree videodev KMP provides (its generator on the kernel's videodev.ko).
      auto videodev = run("find " + q(kernel_root() + "/lib/modules/" + kver) + " -name 'videodev.ko*' | " +
                          q(fs::path(kmpkit_binary()).parent_path().string() + "/kmpkit-depgen") + " --provides");
      ASSERT_EQ(videodev.exit_code, 0) << videodev.err;
      for (const auto& l : split_lines(deps.out))
        if (l.rfind("ksym(amd64:v4l2_", 0) == 0 || l.rfind("ksym(amd64:video_", 0) == 0)
          EXPECT_NE(videodev.out.find(l + "\n"), std::string::npos) << l << " not provided by videodev";
    }
  }
  EXPECT_TRUE(fs::exists(repo + "/repodata/repomd.xml"));
  EXPECT_EQ(pl::repo_rpms(repo).size(), 3u);
  // Each build was added with createrepo_c --update: the metadata lists all three.
  EXPECT_EQ(run("zcat " + q(repo) + "/repodata/*-primary.xml.gz | grep -c '<package '").out, "3\n");
}

// The in-box dummy.ko replaced by an external build of it (a newer version): a tiny kernel tree
// holding the real dummy.ko, packaged by kmpkit, installed with rpm; then the external KMP.
TEST(RealDkms, InBoxDriverReplacedByAnExternalBuild) {
  ASSERT_FALSE(sources().empty()) << "scripts/fetch-dkms-sources.sh failed (apt-get download)";
  const std::string kver = kernel_release();
  std::string src;
  for (const auto& e : fs::directory_iterator(sources() + "/linux-source"))
    if (e.path().filename().string().rfind("net-dummy-", 0) == 0) src = e.path().string();
  ASSERT_FALSE(src.empty());
  std::string work = temp_dir("kmpkit-inbox");
  std::string version = fs::path(src).filename().string().substr(10) + ".1";  // newer than the in-box 6.1.192
  auto ext = kmp_build(src, work + "/ext-repo", "net-dummy-kmp-amd64-", "--version " + version);
  ASSERT_EQ(ext.result.exit_code, 0) << ext.result.err;
  std::cout << "== net-dummy (linux-source-6.1 drivers/net/dummy.c): " << fs::path(ext.rpm).filename().string()
            << " built in " << ext.seconds << " s\n"
            << run("rpm -qp --requires --provides --supplements " + q(ext.rpm) + " 2>/dev/null").out;

  // The kernel: a tiny tree with the real in-box dummy.ko, packaged (kernel, KMPs, host base).
  std::string root_tree = work + "/tree";
  pl::make_fixture_tree(root_tree);
  const std::string md = root_tree + "/lib/modules/" + kver;
  fs::create_directories(md + "/kernel/drivers/net");
  fs::copy_file(module_dir() + "/kernel/drivers/net/dummy.ko", md + "/kernel/drivers/net/dummy.ko");
  write_text(md + "/modules.order", read_text(md + "/modules.order") + "kernel/drivers/net/dummy.ko\n");
  write_text(work + "/policy.toml", "format = 1\n");
  auto pkg = run(q(kmpkit_binary()) + " package --policy " + q(work + "/policy.toml") + " -b " + q(root_tree) + " " +
                 q(kver) + " --out " + q(work + "/split") + " --host-base 2>&1");
  ASSERT_EQ(pkg.exit_code, 0) << pkg.out;
  std::string rpms;
  for (const auto& f : pl::repo_rpms(work + "/split/repo")) rpms += " " + q(f);
  std::string root = pl::new_root("kmpkit-inbox-root");
  auto inst = run(pl::rpm_in(root) + "-i" + rpms + " 2>&1");
  ASSERT_EQ(inst.exit_code, 0) << inst.out;

  // The file modprobe would load (the second word of "insmod ROOT/lib/modules/... [options]"),
  // without ROOT; the host's modprobe.d may add options.
  auto modprobe = [&] {
    std::string out = run("modprobe -d " + q(root) + " -S " + q(kver) + " --show-depends dummy 2>&1").out;
    std::istringstream in(out);
    std::string verb, file;
    in >> verb >> file;
    return file.rfind(root, 0) == 0 ? file.substr(root.size()) : verb + " " + file;
  };
  auto database_is_debians = [&](const std::string& step) {
    std::string ref = temp_dir("kmpkit-inbox-ref");
    auto d = pl::reference_depmod(root, kver, ref);
    ASSERT_EQ(d.exit_code, 0) << d.out;
    EXPECT_EQ(pl::database_differences(root + "/lib/modules/" + kver, ref + "/lib/modules/" + kver),
              std::vector<std::string>{})
        << step;
  };
  EXPECT_EQ(modprobe(), "/lib/modules/" + kver + "/kernel/drivers/net/dummy.ko");
  database_is_debians("the kernel alone");

  auto add = run(pl::rpm_in(root) + "-i " + q(ext.rpm) + " 2>&1");
  ASSERT_EQ(add.exit_code, 0) << add.out;
  EXPECT_EQ(modprobe(), "/lib/modules/" + kver + "/updates/dummy.ko");
  database_is_debians("with the external KMP");
  // kmpkit verify sees both copies and says which one depmod uses (a warning, not an error).
  auto verify = run(q(kmpkit_binary()) + " verify --root " + q(root) + " --kernel " + q(kver) + " 2>&1");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("depmod uses updates/dummy.ko"), std::string::npos) << verify.out;
  auto info = run("modinfo -b " + q(root) + " -k " + q(kver) + " -F filename dummy");
  EXPECT_EQ(info.out, root + "/lib/modules/" + kver + "/updates/dummy.ko\n");

  std::string name = run("rpm -qp --qf '%{NAME}' " + q(ext.rpm) + " 2>/dev/null").out;
  auto rm = run(pl::rpm_in(root) + "-e " + q(name) + " 2>&1");
  ASSERT_EQ(rm.exit_code, 0) << rm.out;
  EXPECT_EQ(modprobe(), "/lib/modules/" + kver + "/kernel/drivers/net/dummy.ko");
  database_is_debians("after removing the external KMP");
  EXPECT_FALSE(fs::exists(root + "/lib/modules/" + kver + "/updates/dummy.ko"));
}

}  // namespace
}  // namespace kmpkit::test
