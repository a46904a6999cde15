#pragma once

// How long a host's job is expected to take, install and restart together,
// from the durations of its past jobs: the 90th percentile by nearest rank
// of the most recent samples, or a configured default (30 minutes) while
// the host has none.

#include <chrono>
#include <vector>

#include "common/clock.h"

namespace pk::deploy {

inline constexpr Elapsed kDefaultJobEstimate = std::chrono::minutes(30);
// Only this many of the most recent durations count, so a host that got
// faster is not judged by its history forever.
inline constexpr std::size_t kEstimateSamples = 20;

// `recent` is ordered oldest first. Negative durations are ignored.
Elapsed estimateJobDuration(const std::vector<Elapsed>& recent,
                            Elapsed fallback = kDefaultJobEstimate);

}  // namespace pk::deploy
