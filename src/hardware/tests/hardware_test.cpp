// Modalias sources (profiles, fake sysfs trees), matching, and the coverage classification.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "coverage.hpp"
#include "hardware/modalias.hpp"
#include "module/inventory.hpp"
#include "depgen/modalias_patterns.hpp"
#include "test_env.hpp"

namespace kmpkit::hardware {
namespace {

using namespace kmpkit::test;  // the coverage classification (a test helper: tests/support/coverage)
using depgen::encode_modalias;

namespace fs = std::filesystem;


std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

TEST(Modalias, ProfileToFakeSysfsAndBack) {
  std::string dir = test::hw_profiles_dir();
  if (dir.empty()) GTEST_SKIP() << "no hardware profiles";
  auto devices = read_modalias_tsv(dir + "/q35-virtio/modalias.tsv");
  ASSERT_EQ(devices.size(), 77u);
  EXPECT_EQ(devices[0].sysfs_path, "/devices/LNXSYSTM:00/LNXPWRBN:00/input/input4/modalias");
  std::string sys = test::temp_dir("kmpkit-sysfs");
  write_fake_sysfs(devices, sys);
  EXPECT_TRUE(fs::exists(sys + "/devices/LNXSYSTM:00/LNXPWRBN:00/modalias"));
  auto back = read_modaliases(sys);
  std::vector<std::string> want;
  for (auto& d : devices) want.push_back(d.modalias);
  std::sort(back.begin(), back.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(back, want);
  // Symlinks and dot-names are skipped, like libzypp.
  fs::create_directories(sys + "/.hidden");
  std::ofstream(sys + "/.hidden/modalias") << "pci:hidden\n";
  fs::create_directory_symlink(sys + "/devices", sys + "/link");
  EXPECT_EQ(read_modaliases(sys).size(), want.size());
  // A plain list works too.
  std::string list = sys + "/list.txt";
  std::ofstream(list) << "pci:v1\n\nusb:v2\n";
  EXPECT_EQ(read_modaliases(list), (std::vector<std::string>{"pci:v1", "usb:v2"}));
}

TEST(Modalias, SupplementMatchingDecodesLikeLibzypp) {
  // The encoding kmpkit depgen writes, then libzypp's decode + fnmatch.
  std::string alias = "of:N*T*Cvendor,model-x";
  std::string enc = encode_modalias(alias);
  EXPECT_EQ(enc, "of:N*T*Cvendor%2Cmodel%2Dx");
  EXPECT_TRUE(supplement_matches(enc, "of:NfooTbarCvendor,model-x"));
  EXPECT_FALSE(supplement_matches(enc, "of:NfooTbarCvendor,model-y"));
  EXPECT_TRUE(supplement_matches("pci:v00008086d0000150[ABC]sv*sd*bc*sc*i*",
                                 "pci:v00008086d0000150Bsv00001AF4sd00001100bc02sc00i00"));
  EXPECT_FALSE(supplement_matches("pci:v00008086d0000150[ABC]sv*sd*bc*sc*i*",
                                  "pci:v00008086d0000150Dsv00001AF4sd00001100bc02sc00i00"));
  EXPECT_EQ(decode_percent("a%20b%2c%zz%"), "a b,%zz%");
  EXPECT_TRUE(alias_matches("virtio:d00000001v*", "virtio:d00000001v00001AF4"));
  EXPECT_EQ(bus_of("virtio:d00000001v00001AF4"), "virtio");
}

// What q35-virtio's devices select from the whole real tree (by alias, plus dependencies) covers
// loaded-modules.txt except the harness modules: the classification explains every miss.
TEST(Coverage, Q35DevicesCoverTheLoadedModules) {
  std::string dir = test::hw_profiles_dir();
  if (dir.empty()) GTEST_SKIP() << "no hardware profiles";
  auto inv = read_inventory(test::kernel_root(), test::kernel_release());
  std::vector<std::string> devices;
  for (auto& d : read_modalias_tsv(dir + "/q35-virtio/modalias.tsv")) devices.push_back(d.modalias);
  std::set<std::string> selected;
  for (const auto& m : inv.modules)
    for (const auto& a : m.aliases())
      if (a.find(':') != std::string::npos &&
          std::any_of(devices.begin(), devices.end(), [&](auto& d) { return alias_matches(a, d); })) {
        selected.insert(m.name);
        for (auto& d : dependency_closure(inv, m.name)) selected.insert(d);
      }
  CoverageInput in;
  in.loaded = read_lines(dir + "/q35-virtio/loaded-modules.txt");
  in.installed = selected;
  in.devices = devices;
  in.harness = {"9p"};  // the README lists 9p 9pnet 9pnet_virtio netfs fscache; 9p alone explains the rest
  in.inventory = &inv;
  auto result = classify_coverage(in);
  ASSERT_EQ(result.size(), in.loaded.size());
  std::map<std::string, Coverage> got;
  for (auto& c : result) {
    got[c.module] = c.coverage;
    EXPECT_NE(c.coverage, Coverage::Unexplained) << c.module << ": " << c.detail;
  }
  EXPECT_EQ(got["virtio_net"], Coverage::Installed);
  EXPECT_EQ(got["xhci_pci"], Coverage::Installed);
  EXPECT_EQ(got["9pnet_virtio"], Coverage::Installed);  // its device is real hardware of the machine
  EXPECT_EQ(got["9p"], Coverage::Harness);
  EXPECT_EQ(got["netfs"], Coverage::HarnessDependency);
  EXPECT_EQ(got["fscache"], Coverage::HarnessDependency);
  // Without the harness list, the same misses are explained by how they load.
  in.harness.clear();
  for (auto& c : classify_coverage(in)) {
    if (c.module == "9p" || c.module == "netfs") {
      EXPECT_EQ(c.coverage, Coverage::RequestModule) << c.module << ": " << c.detail;
    }
  }
  // A snapshot of the first round only (no virtio/usb/hid/input devices): the rest appears after
  // the bus drivers load.
  CoverageInput first = in;
  first.devices.clear();
  for (auto& d : devices)
    if (d.rfind("pci:", 0) == 0 || d.rfind("acpi:", 0) == 0 || d.rfind("platform:", 0) == 0) first.devices.push_back(d);
  first.installed.clear();
  for (auto& c : classify_coverage(first)) {
    if (c.module == "virtio_blk" || c.module == "usbhid") {
      EXPECT_EQ(c.coverage, Coverage::AfterBusDriver) << c.module << ": " << c.detail;
    }
  }
}

TEST(Coverage, UnexplainedWhenADeviceSelectsAMissingModule) {
  KernelInventory inv;
  ModuleRecord m;
  m.name = "drv";
  m.path = "kernel/drv.ko";
  m.modinfo = {{"alias", "pci:v00001234d*sv*sd*bc*sc*i*"}};
  inv.modules.push_back(m);
  CoverageInput in;
  in.loaded = {"drv", "ghost"};
  in.devices = {"pci:v00001234d00000001sv0sd0bc00sc00i00"};
  in.inventory = &inv;
  auto r = classify_coverage(in);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].coverage, Coverage::Unexplained);
  EXPECT_NE(r[0].detail.find("a device selects it"), std::string::npos);
  EXPECT_EQ(r[1].coverage, Coverage::Unexplained);
  EXPECT_TRUE(is_miss(r[1].coverage));
  EXPECT_FALSE(is_miss(Coverage::Builtin));
}

}  // namespace
}  // namespace kmpkit::hardware
