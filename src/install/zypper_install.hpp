#pragma once
// Installing a kmpkit repository for a machine's hardware: zypper into a root, with the devices
// given to libzypp's modalias matching (docs/install.md; the recipe scripts/main-job.sh runs).
#include <string>
#include <vector>

namespace kmpkit::install {

struct InstallRequest {
  std::string root;      // the system to install into; created (empty is fine) when missing
  std::string repo;      // an rpm-md repository: `kmpkit build`'s DIR/repo
  std::string hardware;  // see read_hardware: modalias.tsv, a list, a sysfs-like tree, "this-machine"
  std::string kernel;    // the kernel package to install; "" = the repository's only kernel-* package
  std::string trust_key; // a signed repository's public key to trust in the root; "" = the one it publishes
};

struct InstallResult {
  std::string kernel;                  // the kernel package installed
  size_t devices = 0;                  // device modaliases zypper matched Supplements against
  std::vector<std::string> installed;  // package names in the root afterwards, sorted
  std::string signatures;              // "checked (key FILE)" or why not: "not checked: the repository is not signed"
};

// Adds the repository to the root's zypper (alias "kmpkit"), then `zypper in KERNEL`, which pulls
// in every KMP whose Supplements: modalias(...) matches a device. A signed repository
// (repodata/repomd.xml.asc) is installed from with zypper's checks on, every package's own signature
// too (--gpgcheck-strict), its key trusted in the root first: `trust_key`, else the key the
// repository publishes (RPM-GPG-KEY-kmpkit, as zypper's --gpg-auto-import-keys would trust it); an
// unsigned one without checks, and `signatures` says so. Throws Error: Usage (no kernel
// package, or several and none chosen), Input (no repository, hardware or zypper), Tool (zypper
// failed: its output quoted), Write (the root or the device list cannot be written).
InstallResult install_for_hardware(const InstallRequest& request);

// `zypper in PACKAGES` into a root from its configured repositories (what `kmpkit drivers --install`
// runs), with `devices` (may be empty: zypper reads the root's /sys) for its modalias matching.
// Returns the packages installed afterwards. Throws Error: Input (no zypper), Tool (zypper failed).
std::vector<std::string> install_packages(const std::string& root, const std::vector<std::string>& packages,
                                          const std::vector<std::string>& devices);

// The kernel-* packages of a repository (by the rpm headers' names), sorted.
std::vector<std::string> kernel_packages(const std::string& repo);

}  // namespace kmpkit::install
