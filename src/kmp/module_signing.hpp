#pragma once
// Signing external modules with the kernel's own scripts/sign-file before they are packaged, and
// the certificate that verifies them, shipped in its own package (SUSE's -ueficert packages): the
// KMPs require it, so the key a machine must trust (mokutil --import) is installed with them.
#include <string>

namespace kmpkit::kmp {

struct SigningCertificate {
  std::string pem_or_der;    // the certificate file as given
  std::string der_file;      // the certificate in DER (what /etc/uefi/certs and mokutil take), written to the work dir
  std::string fingerprint;   // SHA-256 fingerprint, lower-case hex without colons
  std::string subject;       // "CN = Example driver signing"
};

// Reads the certificate with openssl (PEM or DER), writes its DER copy to WORK_DIR. Throws
// Error(Input) when openssl is missing or the file is no certificate.
SigningCertificate read_signing_certificate(const std::string& cert_file, const std::string& work_dir);

// Appends a signature to MODULE (in place) with SIGN_FILE HASH KEY CERT MODULE. Throws Error(Tool)
// quoting sign-file when it fails (a key that does not match the certificate, ...).
void sign_module(const std::string& sign_file, const std::string& hash, const std::string& key,
                 const std::string& cert, const std::string& module);

// The certificate package: its name ("kmp-signing-cert-" + 8 hex digits of the fingerprint, one
// package per key whatever the drivers) and the file it installs (/etc/uefi/certs/HEX8.crt, SUSE's place).
std::string certificate_package_name(const SigningCertificate& cert);
std::string certificate_install_path(const SigningCertificate& cert);

// The spec of that package (noarch, version 1: the same key gives the same package).
std::string certificate_spec(const SigningCertificate& cert);

}  // namespace kmpkit::kmp
