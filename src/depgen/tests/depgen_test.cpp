// kmpkit depgen on the real test modules, checked against Debian's modinfo / modprobe and the
// test build's Module.symvers; and rpmbuild calling it through the installed fileattrs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "module/kernel_files.hpp"
#include "depgen/depgen.hpp"
#include "oracles.hpp"
#include "depgen/modalias_patterns.hpp"
#include "test_env.hpp"

namespace fs = std::filesystem;
using namespace kmpkit;
using namespace kmpkit::depgen;
using namespace kmpkit::test;

namespace {

std::vector<std::string> module_files(const std::string& sub = "plain") {
  std::vector<std::string> out;
  for (auto& e : fs::directory_iterator(test_modules_dir() + "/" + sub)) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string stdin_of(const std::vector<std::string>& files) {
  std::string s;
  for (auto& f : files) s += f + "\n";
  return s;
}

std::vector<std::string> depgen(const std::vector<std::string>& files, const std::string& args, int* rc = nullptr) {
  auto list = temp_dir("kmpkit-depgen") + "/in";
  std::ofstream(list) << stdin_of(files);
  auto r = run(shell_quote(kmpkit_binary()) + " depgen " + args + " < " + list);
  // kmpkit-depgen, the lean generator rpm runs per file, answers exactly the same.
  auto lean = run(shell_quote(kmpkit_binary() + "-depgen") + " " + args + " < " + list);
  EXPECT_EQ(lean.out, r.out) << "kmpkit-depgen " << args << ": " << lean.err;
  EXPECT_EQ(lean.exit_code, r.exit_code) << "kmpkit-depgen " << args << ": " << lean.err;
  if (rc) *rc = r.exit_code;
  else EXPECT_EQ(r.exit_code, 0) << r.err;
  return split_lines(r.out);
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

TEST(Depgen, ProvidesKmodAndExportedKsyms) {
  auto files = module_files();
  auto deps = as_set(depgen(files, "--provides"));
  std::set<std::string> expected;
  for (auto& f : files) {
    auto base = fs::path(f).filename().string();
    auto name = base.substr(0, base.find('.'));
    std::replace(name.begin(), name.end(), '-', '_');
    expected.insert("kmod(" + name + ".ko)");
  }
  auto symvers = read_symvers(test_modules_dir() + "/Module.symvers").value();
  for (auto& e : symvers)
    expected.insert(fmt::format("ksym(amd64:{}) = {:x}", e.symbol, e.crc));
  EXPECT_EQ(deps, expected);
  EXPECT_TRUE(deps.count("kmod(kmpt_dash.ko)"));  // '-' becomes '_'
}

TEST(Depgen, RequiresAreModversionsMinusOwnExports) {
  auto files = module_files("xz");
  auto deps = as_set(depgen(files, "--requires"));
  std::set<std::string> own;
  auto symvers = read_symvers(test_modules_dir() + "/Module.symvers").value();
  for (auto& e : symvers) own.insert(e.symbol);
  std::set<std::string> expected;
  for (auto& f : files)
    for (auto& [sym, crc] : dump_modversions(f))
      if (!own.count(sym)) expected.insert(fmt::format("ksym(amd64:{}) = {:x}", sym, crc));
  EXPECT_EQ(deps, expected);
  // One module alone requires what its sibling provides.
  auto leaf = as_set(depgen({test_modules_dir() + "/plain/kmpt_leaf.ko"}, "--requires"));
  bool needs_core = false;
  for (auto& d : leaf) needs_core |= d.starts_with("ksym(amd64:kmpt_core_add) = ") || d.starts_with("ksym(amd64:kmpt_core_value) = ");
  EXPECT_TRUE(needs_core);
}

TEST(Depgen, CrcZeroStillPrintsAVersion) {
  EXPECT_EQ(ksym_dependency("default", "foo", 0, DepStyle::Suse), "ksym(default:foo) = 0");
  EXPECT_EQ(ksym_dependency("default", "foo", 0x0efb08a9, DepStyle::Suse), "ksym(default:foo) = efb08a9");
  EXPECT_EQ(ksym_dependency("", "foo", 0, DepStyle::Rhel, true), "kernel(foo) = 0x00000000");
}

TEST(Depgen, SupplementsEncodedFilteredMerged) {
  auto file = test_modules_dir() + "/zst/kmpt_alias.ko.zst";
  auto deps = depgen({file}, "--supplements");
  std::set<std::string> encoded;
  for (auto& a : modinfo_field(file, "alias"))
    if (is_device_alias(a)) encoded.insert("kernel-amd64:" + encode_modalias(a));
  // File systems first (libzypp's filesystem() namespace: the fs-NAME aliases), then the hardware.
  std::vector<std::string> expected = {"filesystem(kmptfs)"};
  for (auto& p : merge_patterns({encoded.begin(), encoded.end()})) expected.push_back("modalias(" + p + ")");
  EXPECT_EQ(deps, expected);
  EXPECT_TRUE(as_set(deps).count("modalias(kernel-amd64:pci:v00008086d0000150[ABC]sv*sd*bc*sc*i*)"));
  EXPECT_TRUE(as_set(deps).count("modalias(kernel-amd64:of:N*T*Cvendor%2Cmodel%2Dx)"));
  for (auto& d : deps) {
    EXPECT_EQ(d.find(' '), std::string::npos) << d;
    EXPECT_EQ(d.find("fs-"), std::string::npos) << d;
    EXPECT_EQ(d.find("char-major"), std::string::npos) << d;
  }
  auto renamed = depgen({file}, "--supplements --flavor default");
  ASSERT_GT(renamed.size(), 1u);
  EXPECT_TRUE(renamed[1].starts_with("modalias(kernel-default:"));
}

TEST(Depgen, SupplementsOnAPrefixMap) {
  auto file = test_modules_dir() + "/zst/kmpt_alias.ko.zst";
  auto map = temp_dir("kmpkit-prefix") + "/modalias-prefixes";
  std::ofstream(map) << "kmpt_core kmp-for(kmpt_core-kmp-amd64-00000000)\nkmpt_alias kmp-for(kmpt_alias-kmp-amd64-0badcafe)\n";
  auto plain = depgen({file}, "--supplements");
  auto mapped = depgen({file}, "--supplements --modalias-prefix-map " + shell_quote(map));
  ASSERT_EQ(mapped.size(), plain.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    std::string expected = plain[i];
    if (expected.starts_with("modalias("))
      expected.replace(0, std::string("modalias(kernel-amd64").size(), "modalias(kmp-for(kmpt_alias-kmp-amd64-0badcafe)");
    EXPECT_EQ(mapped[i], expected);
  }
  // A module the map does not name keeps kernel-FLAVOR; other kinds ignore the option; a missing
  // map is an error only when it is needed.
  std::ofstream(map) << "other kmp-for(x)\n";
  EXPECT_EQ(depgen({file}, "--supplements --modalias-prefix-map " + shell_quote(map)), plain);
  EXPECT_EQ(depgen({file}, "--requires --modalias-prefix-map /nonexistent"), depgen({file}, "--requires"));
  int rc = 0;
  depgen({file}, "--supplements --modalias-prefix-map /nonexistent", &rc);
  EXPECT_EQ(rc, 3);
}

TEST(Depgen, RecommendsSoftdepsAndFirmware) {
  auto deps = depgen({test_modules_dir() + "/plain/kmpt_leaf.ko"}, "--recommends");
  EXPECT_EQ(as_set(deps), (std::set<std::string>{"kmod(kmpt_core.ko)", "kmod(kmpt_extra.ko)",
                                                 "firmware(kmpt/fw-1.bin)", "firmware(kmpt/fw-2.bin)"}));
}

TEST(Depgen, SoftdepAliasesResolveThroughTheMap) {
  // A softdep that names an alias (ext4's "pre: crc32c") recommends any module answering it; one
  // that resolves to nothing is dropped; names the map does not hold are module names.
  auto file = test_modules_dir() + "/plain/kmpt_leaf.ko";
  auto map = temp_dir("kmpkit-softdep") + "/softdep-targets";
  std::ofstream(map) << "kmpt_core kmpt_core_intel kmpt_core_generic\nkmpt_extra\n";
  auto deps = depgen({file}, "--recommends --softdep-map " + shell_quote(map));
  EXPECT_EQ(as_set(deps), (std::set<std::string>{"(kmod(kmpt_core_intel.ko) or kmod(kmpt_core_generic.ko))",
                                                 "firmware(kmpt/fw-1.bin)", "firmware(kmpt/fw-2.bin)"}));
  std::ofstream(map) << "kmpt_core kmpt_core_generic\n";
  EXPECT_EQ(as_set(depgen({file}, "--recommends --softdep-map " + shell_quote(map))),
            (std::set<std::string>{"kmod(kmpt_core_generic.ko)", "kmod(kmpt_extra.ko)", "firmware(kmpt/fw-1.bin)",
                                   "firmware(kmpt/fw-2.bin)"}));
  int rc = 0;
  depgen({file}, "--recommends --softdep-map /nonexistent", &rc);
  EXPECT_EQ(rc, 3);
  EXPECT_EQ(depgen({file}, "--provides --softdep-map /nonexistent"), depgen({file}, "--provides"));
}

TEST(Depgen, RhelStyle) {
  auto deps = as_set(depgen({test_modules_dir() + "/plain/kmpt_core.ko"}, "--provides --style rhel"));
  EXPECT_TRUE(deps.count("kmod(kmpt_core.ko)"));
  bool found = false;
  for (auto& d : deps) found |= d.starts_with("ksym(kmpt_core_add) = 0x");
  EXPECT_TRUE(found);
}

TEST(Depgen, KernelImageProvides) {
  auto kver = kernel_release();
  auto dir = temp_dir("kmpkit-kimg") + "/lib/modules/" + kver;
  fs::create_directories(dir);
  std::ofstream(dir + "/vmlinuz") << "not really a kernel";
  fs::copy_file(kernel_root() + "/usr/src/linux-headers-" + kver + "/Module.symvers", dir + "/Module.symvers");
  fs::copy_file(module_dir() + "/modules.builtin", dir + "/modules.builtin");
  auto deps = as_set(depgen({dir + "/vmlinuz", dir + "/System.map"}, "--provides"));
  EXPECT_TRUE(deps.count("kernel-amd64"));
  EXPECT_TRUE(deps.count("kernel-uname-r = " + kver));
  size_t vmlinux = 0, builtin = 0;
  auto symvers = read_symvers(dir + "/Module.symvers").value();
  for (auto& e : symvers) {
    if (e.module != "vmlinux") continue;
    ++vmlinux;
    EXPECT_TRUE(deps.count(fmt::format("ksym(amd64:{}) = {:x}", e.symbol, e.crc))) << e.symbol;
  }
  auto builtin_lines = read_lines(dir + "/modules.builtin").value();
  for (auto& l : builtin_lines)
    if (!l.empty()) ++builtin;
  EXPECT_GT(vmlinux, 5000u);
  size_t kmods = 0;
  for (auto& d : deps) kmods += d.starts_with("kmod(");
  EXPECT_EQ(kmods, builtin);
  EXPECT_TRUE(deps.count("kmod(ext4.ko)") || deps.count("kmod(unix.ko)") || builtin > 0);
}

TEST(Depgen, UnreadableModuleFailsTheGenerator) {
  auto bad = temp_dir("kmpkit-bad") + "/broken.ko";
  std::ofstream(bad) << "garbage";
  int rc = 0;
  depgen({bad, test_modules_dir() + "/plain/kmpt_core.ko"}, "--provides", &rc);
  EXPECT_EQ(rc, 1);
}

// What the lean generator does not handle itself goes to `kmpkit depgen` beside it: --help, a bad
// option, a gzip-compressed module (this libkmod's own error message).
TEST(Depgen, LeanGeneratorHandsOverWhatItDoesNotHandle) {
  auto list = temp_dir("kmpkit-depgen") + "/in";
  auto dir = temp_dir("kmpkit-gz");
  ASSERT_EQ(run("gzip -c " + shell_quote(test_modules_dir() + "/plain/kmpt_core.ko") + " > " + dir + "/kmpt_core.ko.gz").exit_code, 0);
  std::ofstream(list) << dir + "/kmpt_core.ko.gz\n";
  const std::string lean = shell_quote(kmpkit_binary() + "-depgen");
  auto gz = run(lean + " --provides < " + list);
  EXPECT_EQ(gz.exit_code, 1);
  EXPECT_NE(gz.err.find("cannot read .ko.gz"), std::string::npos) << gz.err;
  auto help = run(lean + " --help < /dev/null");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--supplements"), std::string::npos) << help.out;
  auto bad = run(lean + " --provides --bogus < /dev/null");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  auto two = run(lean + " --provides --requires < /dev/null");
  EXPECT_EQ(two.exit_code, 2) << two.err;
}

// rpmbuild calls kmpkit depgen through the installed fileattrs (cmake --install, done by
// scripts/test-setup.sh): the built rpm carries exactly what depgen prints.
TEST(Depgen, RpmbuildUsesTheInstalledFileattrs) {
  ASSERT_TRUE(fs::exists("/usr/lib/rpm/fileattrs/kmpkit.attr"))
      << "kmpkit's rpm fileattrs are not installed: run cmake --install build (scripts/test-setup.sh does)";
  auto top = temp_dir("kmpkit-rpmbuild");
  auto kver = kernel_release();
  std::string spec = top + "/t.spec";
  std::ofstream(spec) << fmt::format(R"(Name: kmpt-kmp-test
Version: 1
Release: 1
Summary: depgen fileattrs test
License: GPL-2.0-only
%kmpkit_keep_modules_intact
%description
test
%install
mkdir -p %{{buildroot}}/lib/modules/{0}/updates
cp {1}/plain/*.ko {1}/xz/kmpt_alias.ko.xz %{{buildroot}}/lib/modules/{0}/updates/
rm %{{buildroot}}/lib/modules/{0}/updates/kmpt_alias.ko
%files
/lib/modules/{0}/updates
)",
                                     kver, test_modules_dir());
  auto r = run("rpmbuild -bb --define '_topdir " + top + "' --define '__kmpkit " + kmpkit_binary() + "' " + spec);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rpm = run("ls " + top + "/RPMS/*/*.rpm").out;
  rpm = split_lines(rpm).at(0);
  std::vector<std::string> files;
  for (auto& f : module_files()) if (!f.ends_with("kmpt_alias.ko")) files.push_back(f);
  files.push_back(test_modules_dir() + "/xz/kmpt_alias.ko.xz");
  // rpm 4.18 calls the generator once per file: the package carries the union of per-file output.
  for (auto [flag, query] : {std::pair{"--provides", "--provides"}, {"--requires", "--requires"},
                             {"--supplements", "--supplements"}, {"--recommends", "--recommends"}}) {
    std::set<std::string> expected;
    for (auto& f : files)
      for (auto& d : depgen({f}, flag)) expected.insert(d);
    std::set<std::string> got;
    for (auto& d : split_lines(run("rpm -qp " + std::string(query) + " " + rpm).out))
      if (d.starts_with("ksym(") || d.starts_with("kmod(") || d.starts_with("modalias(") || d.starts_with("firmware(") ||
          d.starts_with("filesystem("))
        got.insert(d);
    EXPECT_EQ(got, expected) << flag;
  }
  // Modules reach the package byte for byte (no strip).
  auto extract = temp_dir("kmpkit-rpm2cpio");
  ASSERT_EQ(run("cd " + extract + " && rpm2cpio " + rpm + " | cpio -idm --quiet").exit_code, 0);
  for (auto& f : files) {
    auto name = fs::path(f).filename().string();
    EXPECT_EQ(run("cmp " + shell_quote(f) + " " + extract + "/lib/modules/" + kver + "/updates/" + name).exit_code, 0) << name;
  }
}

}  // namespace
