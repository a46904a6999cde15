#include "deploy/gate.h"

#include <cmath>

#include <fmt/format.h>

namespace pk::deploy {
namespace {

// Returns the successes that `ratio` of `jobs` requires, rounded up. A small
// tolerance makes 0.9 of 10 require 9 despite binary fractions.
std::int64_t successesNeeded(double ratio, std::int64_t jobs) {
  const double exact = ratio * static_cast<double>(jobs);
  return static_cast<std::int64_t>(std::ceil(exact - 1e-9));
}

}  // namespace

Result<void> validateGate(const GateRule& rule) {
  if (rule.min_soak < Elapsed{0}) {
    return fail(ErrorCode::kInvalidArgument, "The gate's min_soak_seconds must not be negative.");
  }
  if (std::isnan(rule.min_success_ratio) || rule.min_success_ratio < 0.0 ||
      rule.min_success_ratio > 1.0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The gate's min_success_ratio {} is impossible; give a number from "
                            "0 to 1, such as 0.95.",
                            rule.min_success_ratio));
  }
  if (rule.max_failures < 0) {
    return fail(ErrorCode::kInvalidArgument, "The gate's max_failures must not be negative.");
  }
  return {};
}

GateDecision evaluateGate(const GateRule& rule, const RingTally& tally, SystemTime now) {
  const std::int64_t needed = successesNeeded(rule.min_success_ratio, tally.jobs);
  if (tally.failed > rule.max_failures) {
    return {GateVerdict::kFailed,
            fmt::format("{} of {} jobs failed, more than the {} the gate allows", tally.failed,
                        tally.jobs, rule.max_failures)};
  }
  const std::int64_t unfinished = tally.jobs - tally.succeeded - tally.failed;
  if (tally.succeeded + unfinished < needed) {
    return {GateVerdict::kFailed,
            fmt::format("at most {} of {} jobs can still succeed, fewer than the {} the gate's "
                        "ratio of {} needs",
                        tally.succeeded + unfinished, tally.jobs, needed, rule.min_success_ratio)};
  }
  const SystemTime soaked_at = tally.entered_at + rule.min_soak;
  if (now < soaked_at) {
    return {GateVerdict::kWaiting,
            fmt::format("the ring's soak time lasts until {}", formatRfc3339(soaked_at))};
  }
  if (tally.succeeded < needed) {
    return {GateVerdict::kWaiting, fmt::format("{} of {} jobs succeeded; the gate needs {}",
                                               tally.succeeded, tally.jobs, needed)};
  }
  return {GateVerdict::kPassed, fmt::format("{} of {} jobs succeeded and {} failed",
                                            tally.succeeded, tally.jobs, tally.failed)};
}

}  // namespace pk::deploy
