#include "winagent/pin.h"

#include <fmt/format.h>

#include "common/sha256.h"

namespace pk::winagent {

bool isPublicKeyPin(std::string_view pin) {
  if (pin.size() != kPinPrefix.size() + 2 * Sha256::kDigestBytes) return false;
  if (pin.substr(0, kPinPrefix.size()) != kPinPrefix) return false;
  for (char c : pin.substr(kPinPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string pinOfPublicKeyInfo(std::string_view der) {
  const Sha256::Digest digest = sha256(der);
  return std::string(kPinPrefix) + lowerHex(digest.data(), digest.size());
}

bool pinsMatch(std::string_view expected, std::string_view presented) {
  if (expected.size() != presented.size()) return false;
  unsigned difference = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    difference |= static_cast<unsigned>(static_cast<unsigned char>(expected[i]) ^
                                        static_cast<unsigned char>(presented[i]));
  }
  return difference == 0;
}

#ifdef _WIN32
Result<std::string> pinOfCertificate(const CERT_CONTEXT& certificate) {
  if (certificate.pCertInfo == nullptr) {
    return fail(ErrorCode::kMalformedInput, "The server certificate has no certificate info.");
  }
  BYTE* der = nullptr;
  DWORD size = 0;
  if (!CryptEncodeObjectEx(X509_ASN_ENCODING, X509_PUBLIC_KEY_INFO,
                           &certificate.pCertInfo->SubjectPublicKeyInfo, CRYPT_ENCODE_ALLOC_FLAG,
                           nullptr, &der, &size)) {
    return fail(ErrorCode::kIoError,
                fmt::format("Could not encode the server certificate's public key "
                            "(CryptEncodeObjectEx error {}).",
                            GetLastError()));
  }
  std::string pin = pinOfPublicKeyInfo(std::string_view(reinterpret_cast<const char*>(der), size));
  LocalFree(der);
  return pin;
}
#endif

}  // namespace pk::winagent
