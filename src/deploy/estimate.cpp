#include "deploy/estimate.h"

#include <algorithm>

namespace pk::deploy {

Elapsed estimateJobDuration(const std::vector<Elapsed>& recent, Elapsed fallback) {
  std::vector<Elapsed> samples;
  const std::size_t skip = recent.size() > kEstimateSamples ? recent.size() - kEstimateSamples : 0;
  for (std::size_t i = skip; i < recent.size(); ++i) {
    if (recent[i] >= Elapsed{0}) samples.push_back(recent[i]);
  }
  if (samples.empty()) return fallback;
  std::sort(samples.begin(), samples.end());
  // Nearest rank: the smallest sample with at least 90 % of the samples at
  // or below it, rank = ceil(0.9 * n), counted from 1.
  const std::size_t rank = (samples.size() * 9 + 9) / 10;
  return std::max(samples[rank - 1], kMinJobEstimate);
}

}  // namespace pk::deploy
