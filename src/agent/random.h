#pragma once

// Random values, behind an interface so that tests choose them.

#include <cstddef>
#include <span>
#include <string>

namespace pk::agent {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `bytes` with random bytes.
  virtual void fill(std::span<unsigned char> bytes) = 0;
  // Returns a value in [0, 1).
  virtual double uniform() = 0;
};

// libsodium's randombytes, suitable for ids. Thread-safe.
class SodiumRandom final : public RandomSource {
 public:
  // Initializes libsodium; aborts the program if that fails, as libsodium
  // cannot give safe random values then.
  SodiumRandom();
  void fill(std::span<unsigned char> bytes) override;
  double uniform() override;
};

// Returns 32 lower-case hex digits from 16 random bytes: a report id.
std::string newReportId(RandomSource& random);

}  // namespace pk::agent
