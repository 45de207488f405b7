// Which kernels an external KMP serves, on synthetic roots (files named like modules, links made
// as kmpkit weak-updates and SUSE's weak-modules2 make them): its own build, a weak-updates link
// to another kernel's build, a kernel's own module of that name, or nothing — with the message and
// the exact rebuild command. And the build record a KMP ships, read back.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "kmp/build_record.hpp"
#include "kmp/kmp_coverage.hpp"
#include "test_env.hpp"
#include "util/error.hpp"

namespace fs = std::filesystem;

namespace kmpkit::test {
namespace {

kmp::BuildRecord record(const std::string& kabi, const std::string& kver, const std::string& version = "0.1") {
  kmp::BuildRecord r;
  r.package = "vpoll-kmp-amd64-" + kabi;
  r.base_name = "vpoll-kmp-amd64";
  r.driver = "vpoll";
  r.version = version;
  r.release = "1";
  r.kver = kver;
  r.modules = {"updates/vpoll.ko"};
  r.source_dir = "/usr/src/vpoll-0.1";
  r.repo_dir = "/srv/kmps";
  return r;
}

void touch(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  write_text(path, "not a real module\n");
}

void link(const std::string& target, const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  fs::create_symlink(target, path);
}

const kmp::KmpService& service_for(const std::vector<kmp::KmpService>& all, const std::string& kver) {
  for (const auto& s : all)
    if (s.kver == kver) return s;
  throw std::runtime_error("no service for " + kver);
}

TEST(KmpBuildRecord, RoundTripsAndNamesTheRebuildCommand) {
  auto r = record("ca52c1d7", "6.1.0-53-amd64");
  r.options = {"--name", "vpoll", "--sign-key", "/etc/keys/my key.pem"};
  auto back = kmp::parse_build_record(kmp::format_build_record(r), "test");
  EXPECT_EQ(back.package, r.package);
  EXPECT_EQ(back.modules, r.modules);
  EXPECT_EQ(back.options, r.options);
  EXPECT_EQ(back.repo_dir, "/srv/kmps");
  // Quoted only where a shell needs it.
  EXPECT_EQ(kmp::rebuild_command(back, "6.1.0-54-amd64"),
            "kmpkit kmp build /usr/src/vpoll-0.1 6.1.0-54-amd64 --out /srv/kmps --name vpoll --sign-key '/etc/keys/my key.pem'");
  EXPECT_EQ(kmp::build_record_path(r.package), "/usr/lib/kmpkit/kmp/vpoll-kmp-amd64-ca52c1d7.build");
}

TEST(KmpBuildRecord, BadRecordsAreNamedNotGuessed) {
  EXPECT_THROW(kmp::parse_build_record("package=x\nno equals sign\n", "f"), Error);
  try {
    kmp::parse_build_record("package=x\nbase_name=x\nkver=k\nsource_dir=/s\n", "/usr/lib/kmpkit/kmp/x.build");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "/usr/lib/kmpkit/kmp/x.build: no module=");
    EXPECT_EQ(e.kind(), ErrorKind::Input);
  }
  // A newer kmpkit's keys are ignored; a bad file among good ones is reported, the rest read.
  std::string root = temp_dir("kmpkit-kmp-records");
  write_text(root + "/usr/lib/kmpkit/kmp/a.build", kmp::format_build_record(record("aaaaaaaa", "k")) + "future=1\n");
  write_text(root + "/usr/lib/kmpkit/kmp/b.build", "garbage\n");
  std::vector<std::string> problems;
  auto all = kmp::installed_build_records(root, &problems);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].package, "vpoll-kmp-amd64-aaaaaaaa");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("b.build:1: not key=value"), std::string::npos) << problems[0];
}

// Kernels A (the build's), B (linked by weak-updates: fits), C (no link: does not fit), D (its own
// vpoll.ko in-box), E (its own build installed), F (an absolute link, weak-modules2's kind), G (a
// link to another file, e.g. a stale one left behind).
TEST(KmpCoverage, EachKernelGetsItsBuildALinkOrTheCommand) {
  std::string root = temp_dir("kmpkit-kmp-coverage");
  const std::string m = root + "/lib/modules/";
  touch(m + "A/updates/vpoll.ko");
  link("../../../A/updates/vpoll.ko", m + "B/weak-updates/updates/vpoll.ko");
  fs::create_directories(m + "C/kernel");
  touch(m + "D/kernel/drivers/misc/vpoll.ko");
  touch(m + "E/updates/vpoll.ko");
  link("/lib/modules/A/updates/vpoll.ko", m + "F/weak-updates/updates/vpoll.ko");
  touch(m + "G/other/vpoll.ko");
  link("../../other/vpoll.ko", m + "G/weak-updates/updates/vpoll.ko");
  auto services = kmp::kmp_services(root, {"A", "B", "C", "D", "E", "F", "G"},
                                    {record("aaaaaaaa", "A"), record("eeeeeeee", "E")});
  ASSERT_EQ(services.size(), 7u);
  auto how = [&](const std::string& k) { return std::string(kmp::service_name(service_for(services, k).how)); };
  EXPECT_EQ(how("A"), "own-build");
  EXPECT_EQ(service_for(services, "A").build.package, "vpoll-kmp-amd64-aaaaaaaa");
  EXPECT_EQ(how("B"), "weak-updates");
  EXPECT_EQ(service_for(services, "B").build.package, "vpoll-kmp-amd64-aaaaaaaa");
  EXPECT_EQ(how("C"), "not-served");
  EXPECT_EQ(how("D"), "in-box-module");
  EXPECT_EQ(service_for(services, "D").detail, "kernel/drivers/misc/vpoll.ko");
  EXPECT_EQ(how("E"), "own-build");
  EXPECT_EQ(service_for(services, "E").build.package, "vpoll-kmp-amd64-eeeeeeee");
  EXPECT_EQ(how("F"), "weak-updates");
  EXPECT_EQ(how("G"), "in-box-module");  // its own other/vpoll.ko; the link leads there, not to a build
  for (const char* k : {"A", "B", "E", "F"}) EXPECT_EQ(kmp::coverage_message(service_for(services, k)), "") << k;

  // What the user reads at the end of the transaction and in verify: the KMP, the kernel, the
  // consequence, the exact command.
  std::string c = kmp::coverage_message(service_for(services, "C"));
  EXPECT_NE(c.find("vpoll-kmp-amd64-"), std::string::npos) << c;
  EXPECT_NE(c.find("does not fit kernel C"), std::string::npos) << c;
  EXPECT_NE(c.find("C will boot without vpoll.ko"), std::string::npos) << c;
  EXPECT_NE(c.find("`kmpkit kmp build /usr/src/vpoll-0.1 C --out /srv/kmps`"), std::string::npos) << c;
  std::string d = kmp::coverage_message(service_for(services, "D"));
  EXPECT_NE(d.find("kernel D uses its own kernel/drivers/misc/vpoll.ko"), std::string::npos) << d;
  EXPECT_NE(d.find("`kmpkit kmp build /usr/src/vpoll-0.1 D --out /srv/kmps`"), std::string::npos) << d;
}

// Several builds: the newest (version-release) is the one to build again; a kernel served by an
// older build's link is served.
TEST(KmpCoverage, TheNewestBuildIsTheOneToBuildAgain) {
  std::string root = temp_dir("kmpkit-kmp-coverage-newest");
  const std::string m = root + "/lib/modules/";
  touch(m + "A/updates/vpoll.ko");
  touch(m + "B/updates/vpoll.ko");
  link("../../../A/updates/vpoll.ko", m + "C/weak-updates/updates/vpoll.ko");
  fs::create_directories(m + "D");
  auto services =
      kmp::kmp_services(root, {"C", "D"}, {record("aaaaaaaa", "A", "0.1"), record("bbbbbbbb", "B", "0.10")});
  EXPECT_EQ(service_for(services, "C").how, kmp::Service::WeakUpdates);
  EXPECT_EQ(service_for(services, "C").build.package, "vpoll-kmp-amd64-aaaaaaaa");
  EXPECT_EQ(service_for(services, "D").how, kmp::Service::NotServed);
  EXPECT_EQ(service_for(services, "D").build.package, "vpoll-kmp-amd64-bbbbbbbb");  // 0.10 > 0.1 (rpm order)
  // No records: nothing to say.
  EXPECT_TRUE(kmp::kmp_services(root, {"C"}, {}).empty());
}

}  // namespace
}  // namespace kmpkit::test
