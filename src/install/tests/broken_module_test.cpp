// A KMP whose module file is broken in an installed root (issue 14): the trigger path's depmod
// (--skip-unreadable) writes the database anyway and names the module with its package, so a KMP
// installed later is still found; an explicit depmod writes nothing; verify fails and says which
// package to reinstall.
#include <gtest/gtest.h>

#include "package/tests/fixture_repo.hpp"

namespace kmpkit::test {
namespace {

namespace pl = pipeline;
namespace fs = std::filesystem;
using pl::q;

CommandResult kmpkit(const std::string& args) { return run(q(kmpkit_binary()) + " " + args); }

TEST(BrokenModule, DepmodAndVerifyNameThePackageToReinstall) {
  const auto& f = fixture();
  std::string dir = temp_dir("kmpkit-broken-module");
  std::string root = dir + "/root";
  // A device kmpt_alias drives: its KMP is installed.
  pl::write_text(dir + "/list", "pci:v00008086d0000150Bsv00001AF4sd00001100bc02sc00i00\n");
  auto in = kmpkit("install --root " + q(root) + " --repo " + q(f.repo) + " --hardware " + q(dir + "/list"));
  ASSERT_EQ(in.exit_code, 0) << in.out << in.err;
  const std::string md = root + "/lib/modules/" + f.kver;
  const std::string module = md + "/kernel/drivers/pci/kmpt/kmpt_alias.ko.xz";
  ASSERT_TRUE(fs::exists(module));
  pl::write_text(module, "not a module");
  const std::string hint = "(package kmpt_alias-kmp-amd64: reinstall it, e.g. zypper in -f kmpt_alias-kmp-amd64)";

  // What the kernel package's triggers run (the policy's default command).
  auto trigger = kmpkit("depmod -b " + q(root) + " -a --skip-unreadable " + f.kver);
  EXPECT_EQ(trigger.exit_code, 1) << trigger.err;
  EXPECT_NE(trigger.err.find("kmpt_alias.ko.xz: "), std::string::npos) << trigger.err;
  EXPECT_NE(trigger.err.find(hint), std::string::npos) << trigger.err;
  EXPECT_NE(pl::read_text(md + "/modules.dep").find("kernel/drivers/pci/kmpt/kmpt_alias.ko.xz:\n"), std::string::npos);

  // The trigger itself: another KMP installed with rpm runs the kernel package's file trigger. The
  // new module is in the database despite the broken one, which the trigger names loudly.
  auto rpm = run("rpm --root " + q(root) + " --dbpath /var/lib/rpm -i --nodeps " +
                 q(f.repo + "/x86_64/kmpt_extra-kmp-amd64-" + f.kver.substr(0, f.kver.rfind('-')) + ".x86_64.rpm") +
                 " 2>&1");
  EXPECT_NE(pl::read_text(md + "/modules.dep").find("extra/kmpt_extra.ko:"), std::string::npos) << rpm.out;
  EXPECT_NE(rpm.out.find("WARNING: 1 module(s) could not be read"), std::string::npos) << rpm.out;
  EXPECT_NE(rpm.out.find(hint), std::string::npos) << rpm.out;

  auto strict = kmpkit("depmod -b " + q(root) + " " + f.kver);
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.err.find(hint), std::string::npos) << strict.err;
  EXPECT_NE(strict.err.find("nothing written"), std::string::npos) << strict.err;

  auto scan = kmpkit("scan -b " + q(root) + " " + f.kver);
  EXPECT_EQ(scan.exit_code, 1);
  EXPECT_NE(scan.err.find(hint), std::string::npos) << scan.err;

  auto v = kmpkit("verify --root " + q(root));
  EXPECT_EQ(v.exit_code, 6) << v.out << v.err;
  EXPECT_NE(v.out.find(hint), std::string::npos) << v.out;
}

}  // namespace
}  // namespace kmpkit::test
