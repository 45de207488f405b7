#pragma once
// The keys a running kernel checks module signatures with: the asymmetric keys of its system
// keyrings — .builtin_trusted_keys, .secondary_trusted_keys, .machine (MOK keys) and .platform
// (UEFI db; Debian's and Fedora's kernels also accept modules signed by it) — read from /proc/keys
// and the keyrings' member lists (keyctl). A module's signer, as modinfo prints it (the name of its
// signature's issuer), is accepted when one of these keys has that subject name: a self-signed
// signing certificate, or the CA that issued it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmpkit::verify {

struct KernelKey {
  std::string keyring;      // .builtin_trusted_keys, ...
  std::string description;  // as /proc/keys shows it: "SUBJECT: KEYID: X509.rsa ..."
  std::string subject;      // "SUBJECT" (CN, or "O: CN")
};

struct KernelKeys {
  std::string release;            // the kernel these keys belong to (uname -r)
  std::vector<KernelKey> keys;
  bool enforced = false;          // the kernel refuses modules it cannot verify (sig_enforce, lockdown)
  std::string enforced_by;        // "module.sig_enforce", "lockdown integrity", ...
};

// The secondary keyring last: the keys linked into it from the others are named by their own keyring.
inline constexpr const char* kModuleKeyrings[] = {".builtin_trusted_keys", ".machine", ".platform",
                                                  ".secondary_trusted_keys"};

// The keys of /proc/keys' text that belong to the module keyrings (directly or through a keyring
// linked into one); `members(serial)` lists a keyring's member serials.
std::vector<KernelKey> module_keys_from_proc(std::string_view proc_keys,
                                             const std::function<std::vector<int32_t>(int32_t)>& members);

// The running kernel's keys; nullopt (and why) when /proc/keys cannot be read.
std::optional<KernelKeys> running_kernel_keys(std::string* why);

// The key that accepts modules of this signer, or nullptr.
const KernelKey* accepting_key(const KernelKeys& keys, std::string_view signer);

}  // namespace kmpkit::verify
