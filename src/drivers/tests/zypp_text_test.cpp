// The text formats kmpkit drivers reads offline (src/drivers/zypp_text.cpp).
#include <gtest/gtest.h>

#include "drivers/zypp_text.hpp"
#include "util/error.hpp"

namespace kmpkit::drivers {
namespace {

TEST(ZyppText, PrimaryHrefOfARepomd) {
  const std::string repomd =
      "<repomd><data type=\"filelists\"><location href=\"repodata/f-filelists.xml.gz\"/></data>"
      "<data type=\"primary\"><checksum type=\"sha256\">ab</checksum>"
      "<location href=\"repodata/ab-primary.xml.gz\"/></data></repomd>";
  EXPECT_EQ(primary_href(repomd, "r"), "repodata/ab-primary.xml.gz");
}

// The href is a path kmpkit opens below the repository: one that leaves it is refused, as are a
// repomd without primary metadata and an unclosed attribute.
TEST(ZyppText, PrimaryHrefOutsideTheRepositoryIsRefused) {
  auto with = [](const std::string& href) {
    return "<data type=\"primary\"><location href=\"" + href + "\"/></data>";
  };
  for (const char* bad : {"/etc/shadow", "../other/repodata/p.xml.gz", "repodata/../../p.xml.gz", "..", ""})
    EXPECT_THROW(primary_href(with(bad), "r"), Error) << bad;
  EXPECT_NO_THROW(primary_href(with("repodata/..p.xml.gz"), "r"));
  EXPECT_THROW(primary_href("<data type=\"filelists\"><location href=\"x\"/></data>", "r"), Error);
  EXPECT_THROW(primary_href("<data type=\"primary\"><location href=\"repodata/p.xml.gz", "r"), Error);
}

TEST(ZyppText, PackageNamesOfPrimary) {
  auto names = primary_package_names(
      "<package type=\"rpm\"><name>e1000e-kmp-amd64</name><rpm:requires><rpm:entry name=\"ksym(x)\"/>"
      "</rpm:requires></package><package><name>kernel-amd64</name></package><package><name>cut");
  EXPECT_EQ(names, (std::set<std::string>{"e1000e-kmp-amd64", "kernel-amd64"}));
}

TEST(ZyppText, RepoFilesAndLocalUrls) {
  auto e = parse_repo_file("[kmpkit]\r\nname=kmpkit\r\nenabled=1\r\nautorefresh=0\r\nbaseurl=dir:///media/kmpkit\r\n");
  EXPECT_TRUE(e.enabled);
  EXPECT_EQ(e.url, "dir:///media/kmpkit");
  EXPECT_EQ(local_path_of(e.url), "/media/kmpkit");
  EXPECT_FALSE(parse_repo_file("[x]\nenabled=0\nbaseurl=file:/srv/r").enabled);
  EXPECT_EQ(local_path_of("file:/srv/r"), "/srv/r");
  EXPECT_EQ(local_path_of("/srv/r"), "/srv/r");
  EXPECT_EQ(local_path_of("https://download.example.org/repo"), std::nullopt);
  EXPECT_EQ(local_path_of("dir:relative"), std::nullopt);
}

TEST(ZyppText, AutoInstalled) {
  EXPECT_EQ(parse_auto_installed("# zypp::AutoInstalled file\n\nlibfoo\ne1000e-kmp-amd64\r\n"),
            (std::set<std::string>{"e1000e-kmp-amd64", "libfoo"}));
}

}  // namespace
}  // namespace kmpkit::drivers
