// The rpm macros for a vendor's own spec (rpm/macros.kmpkit: %kmpkit_kmp_package, %kmpkit_kbuild,
// %kmpkit_kmp_install): a minimal spec builds the tiny module source into a KMP with the modules in
// updates/ and the generated dependencies of every KMP.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "test_env.hpp"

namespace fs = std::filesystem;

namespace kmpkit::test {
namespace {

TEST(KmpMacros, VendorSpec) {
  const std::string kver = kernel_release();
  const fs::path build_dir = fs::path(kmpkit_binary()).parent_path().parent_path();
  const std::string macros = (build_dir / "macros.kmpkit").string();
  ASSERT_TRUE(fs::exists(macros)) << macros;
  std::string work = temp_dir("kmpkit-kmp-macros");
  // Debian's headers Makefile includes the -common tree by absolute path: a copy pointing into
  // the unpacked root, given to make with -f (as scripts/build-test-modules.sh does).
  const std::string headers = kernel_root() + "/usr/src/linux-headers-" + kver;
  auto sed = run("sed -E 's|^([[:space:]]*-?include[[:space:]]+)/usr/src/|\\1" + kernel_root() + "/usr/src/|' " +
                 shell_quote(headers + "/Makefile") + " > " + shell_quote(work + "/headers.mk"));
  ASSERT_EQ(sed.exit_code, 0) << sed.err;
  write_text(work + "/kmpt-vendor.spec", R"(Name: kmpt-vendor
Version: 2.0
Release: 1
Summary: A vendor's driver
License: GPL-2.0-only

%kmpkit_kmp_package

%description
A vendor's driver, built with kmpkit's macros.

%prep
%setup -q -c -T
cp -a %{vendor_source}/. .

%build
%kmpkit_kbuild

%install
%kmpkit_kmp_install
)");
  std::string cmd = "rpmbuild -bb --load " + shell_quote(macros) + " --define " + shell_quote("_topdir " + work + "/top") +
                    " --define " + shell_quote("kmpkit_kver " + kver) + " --define " +
                    shell_quote("kmpkit_kernel_build " + headers) + " --define " +
                    shell_quote("kmpkit_make_flags -f " + work + "/headers.mk") + " --define " +
                    shell_quote("vendor_source " + source_dir() + "/tests/kmp-sources/kmpt-dkms-1.0") + " --define " +
                    shell_quote("__kmpkit " + kmpkit_binary()) + " --define '_smp_mflags -j2' " +
                    shell_quote(work + "/kmpt-vendor.spec") + " 2>&1";
  auto r = run(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out.substr(r.out.size() > 4000 ? r.out.size() - 4000 : 0);
  const std::string rpm = work + "/top/RPMS/x86_64/kmpt-vendor-kmp-amd64-2.0-1.x86_64.rpm";
  ASSERT_TRUE(fs::exists(rpm)) << r.out;
  auto files = run("rpm -qpl " + shell_quote(rpm) + " 2>/dev/null");
  EXPECT_NE(files.out.find("/lib/modules/" + kver + "/updates/kmpt_dkms.ko\n"), std::string::npos) << files.out;
  auto deps = run("rpm -qp --provides --requires --supplements " + shell_quote(rpm) + " 2>/dev/null");
  for (const std::string& want : {"kmod(kmpt_dkms.ko)", "kmpt-vendor-kmp-amd64 = 2.0-1", "ksym(amd64:_printk) = ",
                                  "ksym(amd64:kmpt_dkms_answer) = ", "modalias(kernel-amd64:pci:v00001AF4d0000FFF0sv*sd*bc*sc*i*)"})
    EXPECT_NE(deps.out.find(want), std::string::npos) << want << " missing:\n" << deps.out;
  // Debug info stripped, as the kernel's modules_install and DKMS do.
  std::string x = temp_dir("kmpkit-kmp-macros-x");
  auto sections = run("cd " + shell_quote(x) + " && rpm2cpio " + shell_quote(rpm) +
                      " | cpio -idm --quiet && readelf -S lib/modules/*/updates/kmpt_dkms.ko | grep -c debug_info");
  EXPECT_EQ(sections.out, "0\n");
}

}  // namespace
}  // namespace kmpkit::test
