#pragma once

// Deterministic stand-ins for the agent's random source and sleeper.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "agent/checkin.h"
#include "agent/random.h"

namespace pk::agent::test_fakes {

// Counts upwards so that every report id differs; uniform() returns a value
// the test sets.
class CountingRandom final : public RandomSource {
 public:
  void fill(std::span<unsigned char> bytes) override {
    ++counter_;
    std::uint64_t value = counter_;
    for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
      *it = static_cast<unsigned char>(value & 0xffu);
      value >>= 8;
    }
  }
  double uniform() override { return uniform_; }

  void setUniform(double value) { uniform_ = value; }

 private:
  std::uint64_t counter_ = 0;
  double uniform_ = 0.5;
};

// Records each requested wait and allows a fixed number of them. The
// optional hook runs on each wait with its 1-based number, so a test can
// change the world between cycles.
class RecordingSleeper final : public Sleeper {
 public:
  explicit RecordingSleeper(int allowed_sleeps, std::function<void(int)> on_sleep = {})
      : allowed_sleeps_(allowed_sleeps), on_sleep_(std::move(on_sleep)) {}

  bool sleepFor(Elapsed duration) override {
    waits_.push_back(duration);
    const int count = static_cast<int>(waits_.size());
    if (on_sleep_) on_sleep_(count);
    return count <= allowed_sleeps_;
  }

  const std::vector<Elapsed>& waits() const { return waits_; }

 private:
  int allowed_sleeps_;
  std::function<void(int)> on_sleep_;
  std::vector<Elapsed> waits_;
};

}  // namespace pk::agent::test_fakes
