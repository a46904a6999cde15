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

// The shortest estimate that past jobs can give. A job reported as taking
// seconds would otherwise be started in the last minute of a window.
inline constexpr Elapsed kMinJobEstimate = std::chrono::minutes(5);

// `recent` is ordered oldest first. Negative durations are ignored, and a
// percentile below kMinJobEstimate gives kMinJobEstimate.
Elapsed estimateJobDuration(const std::vector<Elapsed>& recent,
                            Elapsed fallback = kDefaultJobEstimate);

}  // namespace pk::deploy
