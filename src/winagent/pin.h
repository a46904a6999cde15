#pragma once

// The server's public key pin, as the Linux agent and `patchkeeper` use it
// (protocol/api_client.h): "sha256:" followed by the 64 lower-case hex
// digits of the SHA-256 of the certificate's DER SubjectPublicKeyInfo.

#include <string>
#include <string_view>

#include "common/error.h"

#ifdef _WIN32
#include <windows.h>
// wincrypt.h needs the types of windows.h.
#include <wincrypt.h>
#endif

namespace pk::winagent {

inline constexpr std::string_view kPinPrefix = "sha256:";

// Returns whether `pin` is "sha256:" followed by 64 lower-case hex digits.
bool isPublicKeyPin(std::string_view pin);

// Returns the pin of a DER-encoded SubjectPublicKeyInfo.
std::string pinOfPublicKeyInfo(std::string_view der);

// Compares two pins in time that depends only on their lengths, so that a
// network observer learns nothing from how long a mismatch takes.
bool pinsMatch(std::string_view expected, std::string_view presented);

#ifdef _WIN32
// Returns the pin of the public key in `certificate`, encoding its
// SubjectPublicKeyInfo with CryptEncodeObjectEx. Fails with kIoError when
// the crypto API cannot encode it.
Result<std::string> pinOfCertificate(const CERT_CONTEXT& certificate);
#endif

}  // namespace pk::winagent
