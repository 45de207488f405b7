// The "did you mean" helper: edit distance and the typo threshold.
#include <gtest/gtest.h>

#include "util/nearest_name.hpp"

namespace kmpkit {
namespace {

TEST(NearestName, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("virtio_pci", "virtio_pci"), 0u);
  EXPECT_EQ(edit_distance("virtio_pcii", "virtio_pci"), 1u);  // inserted
  EXPECT_EQ(edit_distance("virtio_pc", "virtio_pci"), 1u);    // deleted
  EXPECT_EQ(edit_distance("virtio_pco", "virtio_pci"), 1u);   // replaced
  EXPECT_EQ(edit_distance("virtoi_pci", "virtio_pci"), 1u);   // swapped
  EXPECT_EQ(edit_distance("ext4", "xfs"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(NearestName, OnlyCloseNamesAreSuggested) {
  std::vector<std::string> known = {"virtio_blk", "virtio_pci", "virtio_scsi", "nvme", "raid1", "sd_mod", "uas"};
  EXPECT_EQ(nearest_name("virtio_pcii", known), "virtio_pci");
  EXPECT_EQ(nearest_name("virtio_pic", known), "virtio_pci");
  EXPECT_EQ(nearest_name("nvmee", known), "nvme");
  EXPECT_EQ(nearest_name("raid0", known), "raid1");
  EXPECT_EQ(nearest_name("sd_md", known), "sd_mod");
  EXPECT_FALSE(nearest_name("virtio_pci", known));     // known: not a typo
  EXPECT_FALSE(nearest_name("virtual_pci", known));    // three edits
  EXPECT_FALSE(nearest_name("ua", known));             // short names: too close to too many
  EXPECT_FALSE(nearest_name("totally_gone", known));
  EXPECT_EQ(typo_distance("abc"), 0u);
  EXPECT_EQ(typo_distance("abcdefg"), 1u);
  EXPECT_EQ(typo_distance("abcdefgh"), 2u);
}

}  // namespace
}  // namespace kmpkit
