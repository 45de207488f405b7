// The running kernel's module keys: /proc/keys as Debian's kernels show it, keyrings linked into
// others, and signer names matched as the kernel names its keys.
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <map>

#include "verify/kernel_keys.hpp"

using namespace kmpkit::verify;

namespace {

// /proc/keys of a Debian 6.1 machine with Secure Boot, a MOK key and a user keyring (serials made up).
constexpr const char* kProcKeys =
    "0336a6e9 I------     1 perm 1f0b0000     0     0 keyring   .builtin_trusted_keys: 1\n"
    "05e1a3f2 I------     1 perm 1f0f0000     0     0 keyring   .secondary_trusted_keys: 2\n"
    "0a4e3f0c I------     1 perm 1f0f0000     0     0 keyring   .machine: 1\n"
    "0b0d0e0f I------     1 perm 1f0f0000     0     0 keyring   .platform: 1\n"
    "1098f2bd I------     1 perm 1f0b0000     0     0 keyring   .blacklist: 1\n"
    "11111111 I------     1 perm 1f010000     0     0 asymmetri Debian Secure Boot CA: "
    "6ccece7e4c6c0d1f6149f3dd27dfcc5cbb419ea1: X509.rsa 4b419ea1 []\n"
    "22222222 I------     1 perm 1f010000     0     0 asymmetri Acme Corp: kmpkit vendor key: "
    "0123456789abcdef0123456789abcdef01234567: X509.rsa 01234567 []\n"
    "33333333 I------     1 perm 1f010000     0     0 asymmetri Microsoft Corporation UEFI CA 2011: "
    "13adbf4309bd82709c8cd54f316ed522988a1bd4: X509.rsa 988a1bd4 []\n"
    "44444444 I------     1 perm 1f030000     0     0 blacklist bin:7d9c4f7b2c8e3d1a\n"
    "55555555 I--Q---     1 perm 3f010000     0     0 asymmetri user key: aaaa: X509.rsa aaaa []\n"
    "66666666 I--Q---     2 perm 1f3f0000     0 65534 keyring   _uid.0: 1\n";

std::vector<int32_t> members(int32_t ring) {
  static const std::map<int32_t, std::vector<int32_t>> m = {
      {0x0336a6e9, {0x11111111}},
      {0x05e1a3f2, {0x0336a6e9, 0x0a4e3f0c}},  // secondary links builtin and machine
      {0x0a4e3f0c, {0x22222222}},
      {0x0b0d0e0f, {0x33333333}},
      {0x1098f2bd, {0x44444444}},
      {0x66666666, {0x55555555}},
  };
  auto it = m.find(ring);
  return it == m.end() ? std::vector<int32_t>{} : it->second;
}

}  // namespace

TEST(KernelKeys, KeysOfTheModuleKeyringsOnly) {
  auto keys = module_keys_from_proc(kProcKeys, members);
  ASSERT_EQ(keys.size(), 3u);  // not the blacklist's hash, not the user's key
  EXPECT_EQ(keys[0].keyring, ".builtin_trusted_keys");
  EXPECT_EQ(keys[0].subject, "Debian Secure Boot CA");
  EXPECT_EQ(keys[1].keyring, ".machine");  // the MOK key, also linked into .secondary_trusted_keys
  EXPECT_EQ(keys[1].subject, "Acme Corp: kmpkit vendor key");
  EXPECT_EQ(keys[2].keyring, ".platform");
  EXPECT_EQ(keys[2].subject, "Microsoft Corporation UEFI CA 2011");
}

TEST(KernelKeys, SignerMatchedByTheKeysSubject) {
  KernelKeys k;
  k.keys = module_keys_from_proc(kProcKeys, members);
  ASSERT_NE(accepting_key(k, "Debian Secure Boot CA"), nullptr);
  EXPECT_EQ(accepting_key(k, "Debian Secure Boot CA")->keyring, ".builtin_trusted_keys");
  ASSERT_NE(accepting_key(k, "kmpkit vendor key"), nullptr);  // "O: CN" subject, CN signer
  EXPECT_EQ(accepting_key(k, "Acme Corp: kmpkit vendor key"), accepting_key(k, "kmpkit vendor key"));
  EXPECT_EQ(accepting_key(k, "vendor key"), nullptr);
  EXPECT_EQ(accepting_key(k, "user key"), nullptr);
  EXPECT_EQ(accepting_key(k, ""), nullptr);
}

TEST(KernelKeys, MalformedLinesAreSkipped) {
  auto keys = module_keys_from_proc("garbage\n\nzz 1 2\n0336a6e9 I------ 1 perm 1f0b0000 0 0 keyring\n", members);
  EXPECT_TRUE(keys.empty());
}

// This machine's own kernel: /proc/keys is read and the keys (if any) are of the module keyrings.
TEST(KernelKeys, RunningKernelKeysAreRead) {
  std::string why;
  auto k = running_kernel_keys(&why);
  ASSERT_TRUE(k) << why;
  utsname u{};
  ASSERT_EQ(::uname(&u), 0);
  EXPECT_EQ(k->release, u.release);
  for (const auto& key : k->keys) {
    EXPECT_FALSE(key.subject.empty()) << key.description;
    EXPECT_TRUE(key.keyring == ".builtin_trusted_keys" || key.keyring == ".secondary_trusted_keys" ||
                key.keyring == ".machine" || key.keyring == ".platform")
        << key.keyring;
  }
}
