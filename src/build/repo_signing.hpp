#pragma once
// Signing what a distribution publishes: every rpm (rpmsign, before createrepo_c: a signature
// changes the header, and so the checksums the metadata records) and the repository metadata
// (repomd.xml.asc, which zypper checks), with the public key published beside them (repomd.xml.key,
// which zypper offers to import, and REPO/RPM-GPG-KEY-kmpkit). The key comes from the caller's
// GNUPGHOME; without one nothing is signed.
#include <string>
#include <vector>

namespace kmpkit::build {

// The published public key's file name in the repository root.
inline constexpr const char* kPublicKeyFile = "RPM-GPG-KEY-kmpkit";

// Checks that gpg has a secret key for `key_id` (Error(Input) naming GNUPGHOME when not).
void check_signing_key(const std::string& key_id);

// rpmsign --addsign over `rpms`, `jobs` rpmsign processes at a time; output into `log` (further
// batches into LOG-2.log, ...). Throws Error(Tool) naming the failed batch's log.
void sign_rpms(const std::vector<std::string>& rpms, const std::string& key_id, const std::string& log, int jobs = 1);

// REPO/repodata/repomd.xml.asc (detached, armored), REPO/repodata/repomd.xml.key and
// REPO/kPublicKeyFile. Throws Error(Tool).
void sign_repository_metadata(const std::string& repo, const std::string& key_id, const std::string& log);

}  // namespace kmpkit::build
