// The kernel package's triggers on a full disk (issue 13): the module directory of an installed
// root fills up; the refresh script the triggers run fails with the system's message and leaves
// the previous database as it was; `kmpkit refresh` keeps the refresh pending; once space is freed
// the next `kmpkit refresh --pending` (what every package's %posttrans runs) completes, and the
// database is Debian depmod's.
#include <gtest/gtest.h>

#include <filesystem>

#include "fixture_repo.hpp"
#include "small_disk.hpp"

namespace kmpkit::test {
namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> database(const std::string& md) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(md))
    if (e.is_regular_file() && e.path().filename().string().rfind("modules.", 0) == 0)
      out[e.path().filename().string()] = pl::read_text(e.path().string());
  return out;
}

// COMMAND run inside the root, as on a running system: with /proc (a sanitizer build's run-time
// reads its options and the stack's bounds there).
std::string in_root(const std::string& root, const std::string& command) {
  fs::create_directories(root + "/proc");
  return "unshare -m --propagation private sh -c " +
         q("mount -t proc proc " + q(root + "/proc") + " && exec chroot " + q(root) + " " + command);
}

TEST(KernelTriggersFullDisk, FailClearlyKeepTheDatabaseAndCompleteWhenSpaceIsFreed) {
  const auto& f = fixture();
  std::string root = pl::new_root("kmpkit-trigger-full-disk");
  const std::string md = root + "/lib/modules/" + f.kver;
  fs::create_directories(md);
  SmallDisk disk("size=16m,nr_inodes=2000", md);
  if (!disk.mounted) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  std::string rpms;
  for (const auto& r : pl::repo_rpms(f.repo)) rpms += " " + q(r);
  auto inst = run(pl::rpm_in(root) + "-i" + rpms + " 2>&1");
  ASSERT_EQ(inst.exit_code, 0) << inst.out;
  ASSERT_TRUE(fs::exists(md + "/modules.dep"));
  const auto before = database(md);

  // A module goes (as a package removal would take it), and the disk is full when the trigger runs.
  std::string gone;
  for (const auto& e : fs::recursive_directory_iterator(md))
    if (e.path().filename().string().rfind("kmpt-dash.ko", 0) == 0) gone = e.path().string();
  ASSERT_FALSE(gone.empty());
  fs::remove(gone);
  disk.fill();
  const std::string script = "/usr/lib/kmpkit/refresh/" + f.kver;
  auto trig = run(in_root(root, q(script) + " triggerpostun"));
  EXPECT_NE(trig.exit_code, 0) << trig.out << trig.err;
  EXPECT_NE(trig.err.find("No space left on device"), std::string::npos) << trig.err;
  EXPECT_EQ(database(md), before) << "the previous database must stay as it was";
  for (const auto& e : fs::directory_iterator(md))
    EXPECT_FALSE(e.path().filename().string().starts_with(".")) << "left behind: " << e.path();

  // kmpkit refresh (the packages' %posttrans) says so and keeps the refresh pending.
  auto refresh = run(in_root(root, "/usr/bin/kmpkit refresh"));
  EXPECT_EQ(refresh.exit_code, 5) << refresh.err;
  EXPECT_NE(refresh.err.find("the refresh is still pending"), std::string::npos) << refresh.err;
  EXPECT_TRUE(fs::exists(root + "/var/lib/kmpkit/refresh-pending"));
  EXPECT_EQ(database(md), before);

  // Space freed: the next transaction's %posttrans completes it.
  disk.free_space();
  auto again = run(in_root(root, "/usr/bin/kmpkit refresh --pending"));
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_FALSE(fs::exists(root + "/var/lib/kmpkit/refresh-pending"));
  EXPECT_EQ(pl::read_modules_dep(md + "/modules.dep").count("extra/kmpt-dash.ko"), 0u);
  std::string ref = temp_dir("kmpkit-trigger-full-disk-ref");
  ASSERT_EQ(pl::reference_depmod(root, f.kver, ref).exit_code, 0);
  auto diff = pl::database_differences(md, ref + "/lib/modules/" + f.kver);
  EXPECT_TRUE(diff.empty()) << "differs from Debian's depmod: " << diff.front();
}

}  // namespace
}  // namespace kmpkit::test
