#pragma once
// A throw-away GNUPGHOME with one signing key without a passphrase, for the tests of --gpg-key.
#include <filesystem>
#include <stdexcept>
#include <string>

#include "test_env.hpp"

namespace kmpkit::test {

struct GpgSigningKey {
  std::string home, id = "kmpkit test signing <signing@kmpkit.test>";
  GpgSigningKey() : home(temp_dir("kmpkit-gnupg")) {
    std::filesystem::permissions(home, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    auto r = run(env() + "gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key " + shell_quote(id) +
                 " rsa2048 sign never 2>&1");
    if (r.exit_code != 0) throw std::runtime_error("gpg --quick-gen-key: " + r.out);
  }
  ~GpgSigningKey() { run(env() + "gpgconf --kill gpg-agent"); }  // no agent left running per test home
  GpgSigningKey(const GpgSigningKey&) = delete;
  GpgSigningKey& operator=(const GpgSigningKey&) = delete;
  // "GNUPGHOME=... " to put before a command.
  std::string env() const { return "GNUPGHOME=" + shell_quote(home) + " "; }
};

}  // namespace kmpkit::test
