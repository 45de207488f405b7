// Signed packages and repositories (issue 13 part 3): `kmpkit package --gpg-key` signs every rpm
// and repomd.xml and publishes the public key; zypper with its signature checks on installs from
// the repository once the key is trusted in the root, and refuses a tampered rpm or tampered
// metadata, installing nothing; `kmpkit verify` names installed packages without a signature.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "gpg_key.hpp"
#include "package/tests/fixture_repo.hpp"
#include "test_env.hpp"

namespace kmpkit::test {
namespace {

namespace fs = std::filesystem;
namespace pl = pipeline;
using pl::q;

using SigningKey = GpgSigningKey;

// The fast tests' tree packaged again, signed (the shared fixture repository stays unsigned).
struct SignedRepo {
  SigningKey key;
  std::string dir = temp_dir("kmpkit-signed"), repo = dir + "/split/repo";
  SignedRepo() {
    pl::make_fixture_tree(dir + "/root");
    pl::write_text(dir + "/policy.toml", kFixturePolicy);
    auto r = run(key.env() + q(kmpkit_binary()) + " package --policy " + q(dir + "/policy.toml") + " -b " +
                 q(dir + "/root") + " " + kernel_release() + " --out " + q(dir + "/split") + " --host-base --gpg-key " +
                 q(key.id));
    if (r.exit_code != 0) throw std::runtime_error("kmpkit package --gpg-key: " + r.out + r.err);
  }
};

const SignedRepo& signed_repo() {
  static SignedRepo s;
  return s;
}

std::vector<std::string> rpms_of(const std::string& repo) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(repo))
    if (e.path().extension() == ".rpm") out.push_back(e.path().string());
  return out;
}

// A copy of the repository to change ("" when it could not be made: the test's checks then fail).
std::string copy_of(const std::string& repo, const std::string& hint) {
  std::string copy = temp_dir(hint) + "/repo";
  return run("cp -a " + q(repo) + " " + q(copy)).exit_code == 0 ? copy : "";
}

std::string kernel_rpm_in(const std::string& repo) {
  if (repo.empty()) return "";
  for (const auto& rpm : rpms_of(repo))
    if (fs::path(rpm).filename().string().starts_with("kernel-amd64-")) return rpm;
  return "";
}

// zypper with its signature checks on (no --no-gpg-checks; --gpgcheck-strict: the packages' own
// signatures too, not only the signed metadata's checksums), the published key trusted in the root.
struct CheckedRoot {
  std::string root;
  CheckedRoot(const std::string& repo, const std::string& hint) : root(pl::new_root(hint)) {
    auto imp = run(pl::rpm_in(root) + "--import " + q(repo + "/RPM-GPG-KEY-kmpkit") + " 2>&1");
    if (imp.exit_code != 0) throw std::runtime_error("rpm --import: " + imp.out);
    auto ar = zypper("ar --gpgcheck-strict " + q("file://" + repo) + " kmp");
    if (ar.exit_code != 0) throw std::runtime_error("zypper ar: " + ar.out + ar.err);
  }
  CommandResult zypper(const std::string& args) const {
    return run(pl::zypper_env(root, "") + "zypper --root " + q(root) + " --non-interactive " + args + " 2>&1");
  }
};

TEST(SignedRepository, EveryRpmAndTheMetadataAreSignedAndTheKeyPublished) {
  const auto& s = signed_repo();
  auto rpms = rpms_of(s.repo);
  ASSERT_GT(rpms.size(), 5u);
  for (const auto& rpm : rpms) {
    auto sig = run("rpm -qp --qf '%{RSAHEADER:pgpsig}' " + q(rpm) + " 2>/dev/null");
    EXPECT_NE(sig.out.find("Key ID"), std::string::npos) << rpm << ": " << sig.out;
  }
  ASSERT_TRUE(fs::exists(s.repo + "/repodata/repomd.xml.asc"));
  ASSERT_TRUE(fs::exists(s.repo + "/repodata/repomd.xml.key"));
  auto v = run(s.key.env() + "gpg --batch --verify " + q(s.repo + "/repodata/repomd.xml.asc") + " " +
               q(s.repo + "/repodata/repomd.xml") + " 2>&1");
  EXPECT_EQ(v.exit_code, 0) << v.out;
  // rpm's own check, with the published key in a database of its own.
  const std::string db = temp_dir("kmpkit-signed-rpmdb");
  ASSERT_EQ(run("rpm --dbpath " + q(db) + " --import " + q(s.repo + "/RPM-GPG-KEY-kmpkit")).exit_code, 0);
  auto k = run("rpm --dbpath " + q(db) + " -K " + q(rpms.front()) + " 2>&1");
  EXPECT_EQ(k.exit_code, 0) << k.out;
  EXPECT_NE(k.out.find("signatures OK"), std::string::npos) << k.out;
}

TEST(SignedRepository, ZypperWithChecksInstallsAndVerifySeesTheSignatures) {
  const auto& s = signed_repo();
  CheckedRoot r(s.repo, "kmpkit-signed-root");
  auto in = r.zypper("in kernel-amd64");
  ASSERT_EQ(in.exit_code, 0) << in.out;
  EXPECT_TRUE(pl::installed(r.root).count("kernel-amd64"));
  auto v = run(q(kmpkit_binary()) + " verify --root " + q(r.root) + " 2>&1");
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_EQ(v.out.find("unsigned"), std::string::npos) << v.out;
  // The key no longer trusted (its gpg-pubkey erased): every package of the kernel's modules is named.
  auto keys = run(pl::rpm_in(r.root) + "-q gpg-pubkey");
  ASSERT_EQ(keys.exit_code, 0) << keys.out;
  ASSERT_EQ(run(pl::rpm_in(r.root) + "-e " + split_lines(keys.out).front() + " 2>&1").exit_code, 0);
  auto untrusted = run(q(kmpkit_binary()) + " verify --root " + q(r.root) + " 2>&1");
  EXPECT_EQ(untrusted.exit_code, 6) << untrusted.out;
  EXPECT_NE(untrusted.out.find("package-signature package kernel-amd64 is signed by key"), std::string::npos)
      << untrusted.out;
  EXPECT_NE(untrusted.out.find("kernel-amd64"), std::string::npos) << untrusted.out;
  // From an unsigned repository (the shared one's packages with their signatures removed): a note,
  // and still consistent.
  std::string unsigned_repo = copy_of(fixture().repo, "kmpkit-unsigned-repo");
  ASSERT_FALSE(unsigned_repo.empty());
  for (const auto& rpm : rpms_of(unsigned_repo)) ASSERT_EQ(run("rpmsign --delsign " + q(rpm) + " 2>&1").exit_code, 0);
  for (const char* f : {"/repodata/repomd.xml.asc", "/repodata/repomd.xml.key", "/RPM-GPG-KEY-kmpkit"})
    fs::remove(unsigned_repo + f);
  ASSERT_EQ(run("createrepo_c --update " + q(unsigned_repo) + " >/dev/null 2>&1").exit_code, 0);
  auto plain = pl::new_root("kmpkit-unsigned-root");
  ASSERT_EQ(pl::zypper_add_repo(plain, unsigned_repo).exit_code, 0);
  ASSERT_EQ(pl::zypper(plain, "in kernel-amd64").exit_code, 0);
  auto note = run(q(kmpkit_binary()) + " verify --root " + q(plain) + " --json 2>&1");
  EXPECT_EQ(note.exit_code, 0) << note.out;
  EXPECT_NE(note.out.find("unsigned-packages"), std::string::npos) << note.out.substr(0, 3000);
}

TEST(SignedRepository, ATamperedRpmOrTamperedMetadataIsRefusedAndNothingInstalled) {
  const auto& s = signed_repo();
  // An rpm changed after signing: its header still claims the signature.
  std::string copy = copy_of(s.repo, "kmpkit-tampered");
  std::string kernel = kernel_rpm_in(copy);
  ASSERT_FALSE(kernel.empty());
  {
    std::fstream f(kernel, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(kernel) - 100));
    f.put('\x5a');
  }
  CheckedRoot bad_rpm(copy, "kmpkit-tampered-rpm");
  auto in = bad_rpm.zypper("in kernel-amd64");
  EXPECT_NE(in.exit_code, 0) << in.out;
  EXPECT_FALSE(pl::installed(bad_rpm.root).count("kernel-amd64")) << in.out;
  std::cout << "tampered rpm:\n" << in.out.substr(in.out.size() > 1500 ? in.out.size() - 1500 : 0) << "\n";

  // Metadata changed after signing: repomd.xml no longer matches repomd.xml.asc.
  std::string meta = copy_of(s.repo, "kmpkit-tampered-meta");
  ASSERT_FALSE(meta.empty());
  {
    std::ofstream f(meta + "/repodata/repomd.xml", std::ios::app);
    f << "<!-- changed -->\n";
  }
  CheckedRoot bad_meta(meta, "kmpkit-tampered-meta-root");
  auto in2 = bad_meta.zypper("in kernel-amd64");
  EXPECT_NE(in2.exit_code, 0) << in2.out;
  EXPECT_TRUE(pl::installed(bad_meta.root).count("kernel-amd64") == 0) << in2.out;
  std::cout << "tampered metadata:\n" << in2.out.substr(in2.out.size() > 1500 ? in2.out.size() - 1500 : 0) << "\n";
}

TEST(SignedRepository, AnRpmSignedByAnUnknownKeyIsRefusedEvenInSignedMetadata) {
  const auto& s = signed_repo();
  // A mirror swaps in a package signed by another key and regenerates the metadata, signed with
  // the trusted key: zypper still checks the package's own signature.
  SigningKey other;
  std::string copy = copy_of(s.repo, "kmpkit-other-key");
  std::string kernel = kernel_rpm_in(copy);
  ASSERT_FALSE(kernel.empty());
  auto resign = run(other.env() + "rpmsign --addsign --define '__gpg /usr/bin/gpg' --define " +
                    q("_gpg_name " + other.id) +
                    " --define \"_gpg_sign_cmd_extra_args --batch --no-tty --pinentry-mode loopback --passphrase ''\" " +
                    q(kernel) + " </dev/null 2>&1");
  ASSERT_EQ(resign.exit_code, 0) << resign.out;
  ASSERT_EQ(run("createrepo_c --update " + q(copy) + " >/dev/null 2>&1").exit_code, 0);
  ASSERT_EQ(run(s.key.env() + "gpg --batch --yes --armor --detach-sign -u " + q(s.key.id) + " -o " +
                q(copy + "/repodata/repomd.xml.asc") + " " + q(copy + "/repodata/repomd.xml"))
                .exit_code,
            0);
  CheckedRoot r(copy, "kmpkit-other-key-root");
  auto in = r.zypper("in kernel-amd64");
  EXPECT_NE(in.exit_code, 0) << in.out;
  EXPECT_FALSE(pl::installed(r.root).count("kernel-amd64")) << in.out;
  EXPECT_NE(in.out.find("kernel-amd64"), std::string::npos);
  std::cout << "rpm signed by an unknown key:\n" << in.out.substr(in.out.size() > 1500 ? in.out.size() - 1500 : 0) << "\n";
}

}  // namespace
}  // namespace kmpkit::test
