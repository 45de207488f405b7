// docs/install.md's recipe as `kmpkit install`: the fast fixture repository (packaged with
// --host-base) into an empty root, selected by a device list, a hardware profile's modalias.tsv or a
// sysfs-like tree; then `kmpkit verify --root` finds it consistent.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "package/tests/fixture_repo.hpp"
#include "install/hardware_source.hpp"
#include "util/error.hpp"

namespace kmpkit::test {
namespace {

namespace pl = pipeline;
namespace fs = std::filesystem;
using pl::q;

// A device kmpt_alias drives (pci:v00008086d0000150[ABC]...), and one nothing drives.
const char* kAliasDevice = "pci:v00008086d0000150Bsv00001AF4sd00001100bc02sc00i00";
const char* kOtherDevice = "pci:v00001234d00005678sv0sd0bc00sc00i00";

CommandResult kmpkit(const std::string& args) { return run(q(kmpkit_binary()) + " " + args); }

TEST(Install, AnEmptyRootGetsTheKernelAndTheKmpsItsDevicesNeed) {
  const auto& f = fixture();
  std::string dir = temp_dir("kmpkit-install");
  std::string root = dir + "/root", hw = dir + "/modalias.tsv";
  // A profile's modalias.tsv: "<sysfs path>\t<modalias>" a line.
  pl::write_text(hw, std::string("/devices/pci0000:00/0000:00:03.0/modalias\t") + kAliasDevice +
                         "\n/devices/pci0000:00/0000:00:04.0/modalias\t" + kOtherDevice + "\n");
  auto r = kmpkit("install --root " + q(root) + " --repo " + q(f.repo) + " --hardware " + q(hw) + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kernel"], "kernel-amd64");
  EXPECT_EQ(j["devices"], 2);
  // The shared repository is signed: zypper checked every package with its published key.
  EXPECT_EQ(j["signatures"], "checked (key " + f.repo + "/RPM-GPG-KEY-kmpkit)");
  EXPECT_EQ(j["installed"], nlohmann::json::array({"kernel-amd64", "kmpkit", "kmpkit-host-base", "kmpt_alias-kmp-amd64"}));
  EXPECT_EQ(pl::installed(root), (std::set<std::string>{"kmpkit-host-base", "kmpkit", "kernel-amd64", "kmpt_alias-kmp-amd64"}));
  auto dep = pl::read_modules_dep(root + "/lib/modules/" + f.kver + "/modules.dep");
  EXPECT_TRUE(dep.count("kernel/drivers/pci/kmpt/kmpt_alias.ko.xz"));
  EXPECT_EQ(r.err.find("use Alien"), std::string::npos) << "Debian rpm's warning is filtered";
  // The recipe's last step.
  auto v = kmpkit("verify --root " + q(root));
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
  // Again: nothing more to do, the repository is not added twice.
  auto again = kmpkit("install --root " + q(root) + " --repo " + q(f.repo) + " --hardware " + q(hw));
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("installed kernel-amd64 for 2 devices"), std::string::npos) << again.out;
}

TEST(Install, NoMatchingDeviceInstallsTheKernelAlone) {
  const auto& f = fixture();
  std::string dir = temp_dir("kmpkit-install-none");
  pl::write_text(dir + "/list", std::string(kOtherDevice) + "\n");  // a plain list
  auto r = kmpkit("install --root " + q(dir + "/root") + " --repo " + q(f.repo) + " --hardware " + q(dir + "/list"));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(pl::installed(dir + "/root"), (std::set<std::string>{"kmpkit-host-base", "kmpkit", "kernel-amd64"}));
}

TEST(Install, RefusesWhatItCannotUse) {
  const auto& f = fixture();
  std::string dir = temp_dir("kmpkit-install-bad");
  pl::write_text(dir + "/empty", "");
  auto no_repo = kmpkit("install --root " + q(dir + "/r") + " --repo " + q(dir) + " --hardware this-machine");
  EXPECT_EQ(no_repo.exit_code, 3) << no_repo.err;
  EXPECT_NE(no_repo.err.find("kmpkit install: "), std::string::npos) << no_repo.err;
  auto no_hw = kmpkit("install --root " + q(dir + "/r") + " --repo " + q(f.repo) + " --hardware " + q(dir + "/none"));
  EXPECT_EQ(no_hw.exit_code, 3) << no_hw.err;
  auto no_device = kmpkit("install --root " + q(dir + "/r") + " --repo " + q(f.repo) + " --hardware " + q(dir + "/empty"));
  EXPECT_EQ(no_device.exit_code, 2) << no_device.err;
  EXPECT_NE(no_device.err.find("names no device"), std::string::npos) << no_device.err;
}

TEST(Install, HardwareSources) {
  std::string dir = temp_dir("kmpkit-hw-source");
  pl::write_text(dir + "/tree/devices/a/modalias", std::string(kAliasDevice) + "\n");
  pl::write_text(dir + "/tree/devices/b/modalias", std::string(kOtherDevice) + "\n");
  EXPECT_EQ(install::read_hardware(dir + "/tree").size(), 2u);
  pl::write_text(dir + "/list", std::string(kAliasDevice) + "\n\n" + kOtherDevice + "\n");
  EXPECT_EQ(install::read_hardware(dir + "/list"), (std::vector<std::string>{kAliasDevice, kOtherDevice}));
  auto profile = install::read_hardware(hw_profiles_dir() + "/q35-virtio/modalias.tsv");
  EXPECT_GT(profile.size(), 10u);
  for (const auto& d : profile) EXPECT_EQ(d.find('\t'), std::string::npos) << d;
  EXPECT_THROW(install::read_hardware(dir + "/missing"), Error);
}

}  // namespace
}  // namespace kmpkit::test
