#include <sodium.h>

#include <string>

#include <gtest/gtest.h>

#include "common/sha256.h"

namespace pk {
namespace {

// The inventory hash moved from libsodium to pk::Sha256, so that the
// Windows agent can compute it. Every length up to three blocks must give
// libsodium's digest, or stored hashes would stop matching.
TEST(Sha256Sodium, SameDigestAsLibsodium) {
  std::string message;
  for (std::size_t length = 0; length <= 200; ++length) {
    std::array<unsigned char, crypto_hash_sha256_BYTES> expected{};
    crypto_hash_sha256(expected.data(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size());
    const Sha256::Digest actual = sha256(message);
    EXPECT_EQ(lowerHex(actual.data(), actual.size()), lowerHex(expected.data(), expected.size()))
        << "length " << length;
    message.push_back(static_cast<char>(length * 31 + 7));
  }
}

}  // namespace
}  // namespace pk
