// The offline driver index: its file round-trips byte-for-byte, bad files are named, matching is
// modprobe's.
#include <gtest/gtest.h>

#include <zlib.h>

#include <filesystem>

#include "hardware/driver_index.hpp"
#include "test_env.hpp"
#include "util/error.hpp"

namespace kmpkit::hardware {
namespace {

namespace fs = std::filesystem;
using kmpkit::test::read_text;
using kmpkit::test::temp_dir;

DriverIndex small_index() {
  return DriverIndex::make("6.1.0-57-amd64",
                           {{"e1000e", "kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko", "e1000e-kmp-amd64"},
                            {"virtio-net", "kernel/drivers/net/virtio_net.ko", "virtio_net-kmp-amd64"},
                            {"ext4", "kernel/fs/ext4/ext4.ko", "kernel-amd64"}},
                           {{"pci:v00008086d000010D3sv*sd*bc*sc*i*", "e1000e"},
                            {"virtio:d00000001v*", "virtio_net"},
                            {"fs-ext4", "ext4"},
                            {"virtio:d00000001v*", "virtio_net"}});
}

void write_gzip(const std::string& path, const std::string& text) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
}

TEST(DriverIndex, RoundTripsAndTheSameIndexGivesTheSameBytes) {
  auto dir = temp_dir();
  auto idx = small_index();
  EXPECT_EQ(idx.modules.size(), 3u);
  EXPECT_EQ(idx.aliases.size(), 3u);  // the repeated alias once
  write_driver_index(idx, dir + "/a.gz");
  write_driver_index(small_index(), dir + "/b.gz");
  EXPECT_EQ(read_text(dir + "/a.gz"), read_text(dir + "/b.gz"));
  EXPECT_FALSE(fs::exists(dir + "/a.gz.tmp"));
  auto back = read_driver_index(dir + "/a.gz");
  EXPECT_EQ(back.kver, "6.1.0-57-amd64");
  ASSERT_EQ(back.modules.size(), 3u);
  ASSERT_NE(back.find_module("virtio-net"), nullptr);  // '-' and '_' alike, as kmod
  EXPECT_EQ(back.find_module("virtio_net")->package, "virtio_net-kmp-amd64");
  EXPECT_EQ(back.find_module("nosuch"), nullptr);
  auto hits = back.match("pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0]->name, "e1000e");
  EXPECT_TRUE(back.match("pci:v00008086d000010D4sv00008086sd0000A01Fbc02sc00i00").empty());
  EXPECT_EQ(back.modules_of("kernel-amd64").size(), 1u);
}

TEST(DriverIndex, BadFilesAreNamedWithTheirLine) {
  auto dir = temp_dir();
  write_gzip(dir + "/notindex.gz", "hello\n");
  try {
    read_driver_index(dir + "/notindex.gz");
    FAIL() << "accepted a file without the header";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Input);
    EXPECT_NE(std::string(e.what()).find("notindex.gz:1: not a kmpkit driver index"), std::string::npos) << e.what();
  }
  write_gzip(dir + "/badline.gz", "kmpkit-driver-index\t1\tK\nmodule\tx\tp\tpkg\nbogus\n");
  try {
    read_driver_index(dir + "/badline.gz");
    FAIL() << "accepted an unknown line";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("badline.gz:3:"), std::string::npos) << e.what();
  }
  write_gzip(dir + "/dangling.gz", "kmpkit-driver-index\t1\tK\nalias\tpci:*\tnosuch\n");
  EXPECT_THROW(read_driver_index(dir + "/dangling.gz"), Error);
  write_gzip(dir + "/newer.gz", "kmpkit-driver-index\t2\tK\n");
  EXPECT_THROW(read_driver_index(dir + "/newer.gz"), Error);
  // A truncated gzip stream: an error, never a silently shorter index.
  write_driver_index(small_index(), dir + "/ok.gz");
  auto bytes = read_text(dir + "/ok.gz");
  kmpkit::test::write_text(dir + "/cut.gz", bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(read_driver_index(dir + "/cut.gz"), Error);
  EXPECT_THROW(read_driver_index(dir + "/missing.gz"), Error);
}

}  // namespace
}  // namespace kmpkit::hardware
