#include "agent/random.h"

#include <array>
#include <cstdint>
#include <cstdlib>

#include <sodium.h>

namespace pk::agent {

SodiumRandom::SodiumRandom() {
  if (sodium_init() < 0) std::abort();
}

void SodiumRandom::fill(std::span<unsigned char> bytes) {
  randombytes_buf(bytes.data(), bytes.size());
}

double SodiumRandom::uniform() {
  std::array<unsigned char, 8> bytes{};
  fill(bytes);
  std::uint64_t value = 0;
  for (unsigned char byte : bytes) value = (value << 8) | byte;
  // The top 53 bits fill a double's mantissa exactly, so the result is
  // uniform on [0, 1) and never reaches 1.
  return static_cast<double>(value >> 11) * 0x1.0p-53;
}

std::string newReportId(RandomSource& random) {
  std::array<unsigned char, 16> bytes{};
  random.fill(bytes);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id;
  id.reserve(32);
  for (unsigned char byte : bytes) {
    id.push_back(kDigits[byte >> 4]);
    id.push_back(kDigits[byte & 0x0f]);
  }
  return id;
}

}  // namespace pk::agent
