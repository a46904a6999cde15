#pragma once

// SHA-256 (FIPS 180-4) without a crypto library, so that code shared with
// the Windows agent, which links no libsodium or OpenSSL, can hash. The
// Linux tests compare it with libsodium's crypto_hash_sha256.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pk {

class Sha256 {
 public:
  static constexpr std::size_t kDigestBytes = 32;
  using Digest = std::array<unsigned char, kDigestBytes>;

  Sha256();

  // Adds `size` bytes at `data` to the message.
  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }

  // Pads the message and returns its digest. The object must not be used
  // again afterwards.
  Digest finish();

 private:
  void compressBlock(const unsigned char* block);

  std::array<std::uint32_t, 8> state_{};
  std::array<unsigned char, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

// Returns the SHA-256 digest of `bytes`.
Sha256::Digest sha256(std::string_view bytes);

// Returns `size` bytes at `data` as lower-case hex digits.
std::string lowerHex(const unsigned char* data, std::size_t size);

}  // namespace pk
