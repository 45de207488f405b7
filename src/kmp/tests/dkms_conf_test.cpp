// dkms.conf as DKMS reads it: sourced by bash with the kernel's variables, its arrays parsed, the
// MAKE line chosen, BUILD_EXCLUSIVE_* decided, the destination under updates/.
#include <gtest/gtest.h>

#include <string>

#include "kmp/dkms_conf.hpp"
#include "test_env.hpp"
#include "util/error.hpp"

namespace kmpkit::kmp {
namespace {

using test::temp_dir;
using test::write_text;

DkmsVariables vars(std::initializer_list<std::pair<const std::string, std::string>> l) { return DkmsVariables(l); }

TEST(DkmsConf, ParsesTheVariableDump) {
  using namespace std::string_literals;
  std::string dump = "PACKAGE_NAME[0]\0vpoll\0MAKE[0]\0make -C /k M=/b\0BUILT_MODULE_NAME[1]\0b\0"s;
  auto v = parse_variable_dump(dump);
  EXPECT_EQ(v["PACKAGE_NAME[0]"], "vpoll");
  EXPECT_EQ(v["MAKE[0]"], "make -C /k M=/b");
  EXPECT_EQ(v["BUILT_MODULE_NAME[1]"], "b");
  EXPECT_EQ(v.size(), 3u);
}

TEST(DkmsConf, ModulesWithTheirArrays) {
  auto c = dkms_conf_from_variables(vars({{"PACKAGE_NAME[0]", "pkg"},
                                          {"PACKAGE_VERSION[0]", "2.1"},
                                          {"BUILT_MODULE_NAME[0]", "a"},
                                          {"BUILT_MODULE_NAME[1]", "b"},
                                          {"BUILT_MODULE_LOCATION[1]", "src/"},
                                          {"DEST_MODULE_LOCATION[0]", "/extra"},
                                          {"DEST_MODULE_LOCATION[1]", "/kernel/drivers/misc"},
                                          {"DEST_MODULE_NAME[1]", "b_new"},
                                          {"STRIP[0]", "no"}}),
                                    "6.1.0-57-amd64", "dkms.conf");
  EXPECT_EQ(c.package_name, "pkg");
  EXPECT_EQ(c.package_version, "2.1");
  ASSERT_EQ(c.modules.size(), 2u);
  EXPECT_EQ(c.modules[0].name, "a");
  EXPECT_EQ(c.modules[0].dest_name, "a");
  EXPECT_FALSE(c.modules[0].strip);
  EXPECT_FALSE(c.modules[1].strip) << "STRIP[0] is every module's default";
  EXPECT_EQ(c.modules[1].built_location, "src/");
  EXPECT_EQ(c.modules[1].dest_name, "b_new");
  EXPECT_EQ(updates_directory(c.modules[0].dest_location), "updates");
  EXPECT_EQ(updates_directory(c.modules[1].dest_location), "updates/drivers/misc");
  EXPECT_EQ(updates_directory(""), "updates");
  EXPECT_EQ(updates_directory("/updates/dkms"), "updates/dkms");
  EXPECT_EQ(updates_directory("/kernel/../../etc"), "updates/etc") << "never outside updates/";
}

TEST(DkmsConf, MissingNamesAreUsageErrors) {
  auto expect_usage = [](const DkmsVariables& v, const std::string& says) {
    try {
      dkms_conf_from_variables(v, "6.1.0-57-amd64", "x/dkms.conf");
      ADD_FAILURE() << "no error for " << says;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::Usage);
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  expect_usage(vars({{"PACKAGE_VERSION[0]", "1"}, {"BUILT_MODULE_NAME[0]", "a"}}), "sets no PACKAGE_NAME");
  expect_usage(vars({{"PACKAGE_NAME[0]", "p"}, {"BUILT_MODULE_NAME[0]", "a"}}), "sets no PACKAGE_VERSION");
  expect_usage(vars({{"PACKAGE_NAME[0]", "p"}, {"PACKAGE_VERSION[0]", "1"}}), "sets no BUILT_MODULE_NAME[0]");
  expect_usage(vars({{"PACKAGE_NAME[0]", "p"},
                     {"PACKAGE_VERSION[0]", "1"},
                     {"BUILT_MODULE_NAME[0]", "a"},
                     {"DEST_MODULE_LOCATION[3]", "/extra"}}),
               "DEST_MODULE_LOCATION[3] but no BUILT_MODULE_NAME[3]");
}

TEST(DkmsConf, MakeMatchChoosesTheMakeLine) {
  auto base = vars({{"PACKAGE_NAME[0]", "p"},
                    {"PACKAGE_VERSION[0]", "1"},
                    {"BUILT_MODULE_NAME[0]", "a"},
                    {"MAKE[0]", "make default"},
                    {"MAKE[1]", "make old"},
                    {"MAKE_MATCH[1]", "^5\\."},
                    {"MAKE[2]", "make six"},
                    {"MAKE_MATCH[2]", "^6\\.1"}});
  EXPECT_EQ(dkms_conf_from_variables(base, "6.1.0-57-amd64", "f").make_command, "make six");
  EXPECT_EQ(dkms_conf_from_variables(base, "5.10.0-1-amd64", "f").make_command, "make old");
  EXPECT_EQ(dkms_conf_from_variables(base, "6.6.1", "f").make_command, "make default");
}

TEST(DkmsConf, PatchesForThisKernelAndTheBuildScripts) {
  auto base = vars({{"PACKAGE_NAME[0]", "p"},
                    {"PACKAGE_VERSION[0]", "1"},
                    {"BUILT_MODULE_NAME[0]", "a"},
                    {"PATCH[0]", "always.patch"},
                    {"PATCH[1]", "old.patch"},
                    {"PATCH_MATCH[1]", "^5\\."},
                    {"PATCH[2]", "six.patch"},
                    {"PATCH_MATCH[2]", "^6\\.1"},
                    {"PRE_BUILD[0]", "prep.sh --fast"},
                    {"POST_BUILD[0]", "after.sh"}});
  auto c = dkms_conf_from_variables(base, "6.1.0-57-amd64", "f");
  EXPECT_EQ(c.patches, (std::vector<std::string>{"always.patch", "six.patch"}));
  EXPECT_EQ(dkms_conf_from_variables(base, "5.10.0-1-amd64", "f").patches,
            (std::vector<std::string>{"always.patch", "old.patch"}));
  EXPECT_EQ(c.pre_build, "prep.sh --fast");
  EXPECT_EQ(c.post_build, "after.sh");
  auto bad = base;
  bad["PATCH[3]"] = "../../etc/passwd";
  try {
    dkms_conf_from_variables(bad, "6.1.0-57-amd64", "dkms.conf");
    FAIL() << "a PATCH outside patches/ was accepted";
  } catch (const kmpkit::Error& e) {
    EXPECT_EQ(e.kind(), kmpkit::ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("PATCH[3] \"../../etc/passwd\" is not a file name"), std::string::npos) << e.what();
  }
}

TEST(DkmsConf, BuildExclusive) {
  DkmsConf c;
  const std::string config = "CONFIG_ACPI=y\nCONFIG_VIDEO_DEV=m\n# CONFIG_FOO is not set\n";
  EXPECT_FALSE(exclusion_reason(c, "6.1.0-57-amd64", "x86_64", config));
  c.build_exclusive_kernel = "^6\\.";
  EXPECT_FALSE(exclusion_reason(c, "6.1.0-57-amd64", "x86_64", config));
  c.build_exclusive_kernel = "REQUIRES CONFIG_VIDEO_DEV";  // v4l2loopback's way of saying no
  auto why = exclusion_reason(c, "6.1.0-57-amd64", "x86_64", config);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "BUILD_EXCLUSIVE_KERNEL=\"REQUIRES CONFIG_VIDEO_DEV\" does not match 6.1.0-57-amd64");
  c.build_exclusive_kernel.clear();
  c.build_exclusive_arch = "^(i.86|arm.*)$";
  ASSERT_TRUE(exclusion_reason(c, "6.1.0-57-amd64", "x86_64", config));
  c.build_exclusive_arch = "x86_64";
  c.build_exclusive_config = {"CONFIG_ACPI", "CONFIG_VIDEO_DEV", "!CONFIG_FOO"};
  EXPECT_FALSE(exclusion_reason(c, "6.1.0-57-amd64", "x86_64", config));
  c.build_exclusive_config = {"CONFIG_FOO"};
  why = exclusion_reason(c, "6.1.0-57-amd64", "x86_64", config);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "BUILD_EXCLUSIVE_CONFIG needs CONFIG_FOO, which 6.1.0-57-amd64's .config does not set");
  c.build_exclusive_config = {"!CONFIG_ACPI"};
  why = exclusion_reason(c, "6.1.0-57-amd64", "x86_64", config);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "BUILD_EXCLUSIVE_CONFIG needs no CONFIG_ACPI, which 6.1.0-57-amd64's .config sets");
}

// The file is a bash script: DKMS's variables expand in it, and it may read the kernel's .config
// (v4l2loopback's does, to set BUILD_EXCLUSIVE_KERNEL).
// Found writing fuzz/fuzz_dkms_variables.cpp (seeds fuzz/seeds/dkms_variables/crash-*): std::regex
// backtracked for minutes over MAKE_MATCH "(.*)*(.*)*(.*)*(.*)*(.*)*(.*)*x" and overflowed its stack
// on 30000 nested parentheses in BUILD_EXCLUSIVE_KERNEL. Patterns are glibc's now, as bash's =~.
TEST(DkmsConf, PatternsCannotHangOrCrash) {
  auto c = dkms_conf_from_variables(vars({{"PACKAGE_NAME[0]", "p"}, {"PACKAGE_VERSION[0]", "1"},
                                          {"BUILT_MODULE_NAME[0]", "m"}, {"MAKE[0]", "make"},
                                          {"MAKE[1]", "make slow"},
                                          {"MAKE_MATCH[1]", "(.*)*(.*)*(.*)*(.*)*(.*)*(.*)*x"},
                                          {"BUILD_EXCLUSIVE_KERNEL[0]", std::string(30000, '(') + "6" +
                                                                            std::string(30000, ')')}}),
                                    "6.1.0-57-amd64", "dkms.conf");
  EXPECT_EQ(c.make_command, "make");
  // Beyond the limits: no match, as bash's =~ for a pattern it refuses.
  EXPECT_TRUE(exclusion_reason(c, "6.1.0-57-amd64", "x86_64", "").has_value());
  c.build_exclusive_kernel = "^6\\.[0-9]+";
  EXPECT_FALSE(exclusion_reason(c, "6.1.0-57-amd64", "x86_64", "").has_value());
}

TEST(DkmsConf, SourcedByBashWithTheKernelsVariables) {
  std::string dir = temp_dir("kmpkit-dkms-conf");
  write_text(dir + "/kernel/.config", "CONFIG_VIDEO_DEV=m\n");
  write_text(dir + "/src/drv-3.2/dkms.conf", R"(PACKAGE_NAME="drv"
PACKAGE_VERSION="3.2"
if [ -f $kernel_source_dir/.config ]; then
    . $kernel_source_dir/.config
    if [ "${CONFIG_VIDEO_DEV:-n}" = "n" ]; then BUILD_EXCLUSIVE_KERNEL="REQUIRES CONFIG_VIDEO_DEV"; fi
fi
echo "scripts may print"
MAKE[0]="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build KVER=$kernelver"
BUILT_MODULE_NAME[0]="$PACKAGE_NAME"
BUILT_MODULE_NAME[1]="${PACKAGE_NAME}_extra"
BUILT_MODULE_LOCATION[1]="extra/"
DEST_MODULE_LOCATION[0]="/kernel/drivers/media"
BUILD_EXCLUSIVE_ARCH="$arch"
false
)");
  DkmsContext ctx{"6.1.0-57-amd64", "x86_64", dir + "/kernel", dir + "/work/dkms", dir + "/src"};
  auto c = read_dkms_conf(dir + "/src/drv-3.2/dkms.conf", ctx);
  EXPECT_EQ(c.package_name, "drv");
  EXPECT_EQ(c.package_version, "3.2");
  EXPECT_EQ(c.make_command, "make -C " + dir + "/kernel M=" + dir + "/work/dkms/drv/3.2/build KVER=6.1.0-57-amd64");
  ASSERT_EQ(c.modules.size(), 2u);
  EXPECT_EQ(c.modules[1].name, "drv_extra");
  EXPECT_EQ(c.modules[1].built_location, "extra/");
  EXPECT_EQ(c.build_exclusive_kernel, "");
  EXPECT_EQ(c.build_exclusive_arch, "x86_64");
  EXPECT_FALSE(exclusion_reason(c, ctx.kernelver, ctx.arch, "CONFIG_VIDEO_DEV=m\n"));

  write_text(dir + "/kernel/.config", "# CONFIG_VIDEO_DEV is not set\n");
  c = read_dkms_conf(dir + "/src/drv-3.2/dkms.conf", ctx);
  EXPECT_EQ(c.build_exclusive_kernel, "REQUIRES CONFIG_VIDEO_DEV");
  EXPECT_TRUE(exclusion_reason(c, ctx.kernelver, ctx.arch, ""));
}

TEST(DkmsConf, ABrokenFileSaysWhatBashSaid) {
  std::string dir = temp_dir("kmpkit-dkms-conf-bad");
  write_text(dir + "/dkms.conf", "PACKAGE_VERSION=1\nif then\n");
  try {
    read_dkms_conf(dir + "/dkms.conf", DkmsContext{"6.1.0-57-amd64", "x86_64", "/k", "/t", "/s"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Usage);
    EXPECT_NE(std::string(e.what()).find("sets no PACKAGE_NAME"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("syntax error"), std::string::npos) << e.what();
  }
  try {
    read_dkms_conf(dir + "/nothing/dkms.conf", DkmsContext{});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Input);
  }
}

}  // namespace
}  // namespace kmpkit::kmp
