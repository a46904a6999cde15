#pragma once

// A ring's gate: what must be true before a deployment moves from one ring
// to the next. The deployment must have spent at least `min_soak` in the
// ring, at least `min_success_ratio` of the ring's jobs must have
// succeeded, and no more than `max_failures` may have failed. A gate fails
// as soon as it can no longer pass: too many failures, or too few jobs
// left to reach the ratio. A failed gate halts the deployment.

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "common/error.h"

namespace pk::deploy {

struct GateRule {
  Elapsed min_soak{0};
  double min_success_ratio = 1.0;  // in [0, 1]
  std::int64_t max_failures = 0;
};

// Fails with kInvalidArgument, naming the field, when the soak time or the
// failure count is negative, or the ratio is not a number in [0, 1].
Result<void> validateGate(const GateRule& rule);

// The jobs of one deployment in one ring.
struct RingTally {
  SystemTime entered_at{};
  std::int64_t jobs = 0;       // all of them
  std::int64_t succeeded = 0;  // verified installed
  // Failed, or unschedulable: the patch did not reach the host either way.
  std::int64_t failed = 0;
  // Cancelled jobs count in none of the above and leave `jobs` too.
};

enum class GateVerdict { kWaiting, kPassed, kFailed };

struct GateDecision {
  GateVerdict verdict = GateVerdict::kWaiting;
  std::string reason;  // one sentence for the deployment's event log
};

// Decides the gate of a ring with `tally` at `now`. A ring without jobs
// passes once the soak time is over.
GateDecision evaluateGate(const GateRule& rule, const RingTally& tally, SystemTime now);

}  // namespace pk::deploy
