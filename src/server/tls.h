#pragma once

// The server's TLS identity: a configured certificate and key, or a
// self-signed pair generated on first start. Agents pin the server's public
// key as "sha256:" + 64 lower-case hex digits of the SHA-256 of the DER
// SubjectPublicKeyInfo, which stays the same across certificate renewals
// that keep the key. Functions here are thread-safe.

#include <string>
#include <string_view>

#include <openssl/x509.h>

#include "common/clock.h"
#include "common/error.h"

namespace pk::server {

struct TlsIdentity {
  std::string certificate_path;
  std::string private_key_path;
  std::string pin;         // "sha256:..." of the certificate's public key
  std::string subject;     // the certificate's subject, "CN=host,O=patchkeeper"
  SystemTime not_after{};  // the certificate's expiry, UTC
  bool generated = false;  // whether this call generated the pair
};

// Returns the pin of `certificate`'s public key. `certificate` must not be
// null.
std::string spkiPin(X509* certificate);

// Returns the pin of the first certificate in the PEM file at `path`. Fails
// with kNotFound when the file is missing, kIoError when it cannot be read,
// and kMalformedInput when it contains no PEM certificate.
Result<std::string> spkiPinFromPemFile(const std::string& path);

// Generates a self-signed certificate and its private key: ECDSA P-256,
// SHA-256 signature, subject CN=<hostname>, subjectAltName DNS:<hostname>,
// DNS:localhost, IP:127.0.0.1 and IP:::1, a random 128-bit serial, valid
// from an hour before `now` until ten years after it, and extended key usage
// serverAuth. Writes both files as PEM with mode 0600, each atomically (a
// temporary file renamed over the target), creating missing parent folders
// with mode 0700. An empty or unusable `hostname` is left out of the names.
// Fails with kIoError naming the file that could not be written, or
// kInternal when OpenSSL fails.
Result<void> generateSelfSignedCertificate(const std::string& certificate_path,
                                           const std::string& private_key_path,
                                           std::string_view hostname, SystemTime now);

// Loads a certificate and key pair and checks that the key belongs to the
// certificate. Fails with kNotFound for a missing file, kIoError for an
// unreadable one, and kMalformedInput when a file contains no PEM certificate
// or key, or the key does not match the certificate. Does not check expiry:
// see TlsIdentity::not_after.
Result<TlsIdentity> loadTlsIdentity(const std::string& certificate_path,
                                    const std::string& private_key_path);

// Loads the pair at the two paths. When `generate_when_missing` and either
// file is missing, first generates a new pair (replacing the other file),
// and the result has generated = true. Without `generate_when_missing`, a
// missing file fails as loadTlsIdentity() does.
Result<TlsIdentity> loadOrGenerateTlsIdentity(const std::string& certificate_path,
                                              const std::string& private_key_path,
                                              bool generate_when_missing, std::string_view hostname,
                                              SystemTime now);

}  // namespace pk::server
