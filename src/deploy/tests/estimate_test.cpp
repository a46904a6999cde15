#include "deploy/estimate.h"

#include <gtest/gtest.h>

namespace pk::deploy {
namespace {

using std::chrono::minutes;

TEST(Estimate, DefaultWithoutHistory) {
  EXPECT_EQ(estimateJobDuration({}), minutes(30));
  EXPECT_EQ(estimateJobDuration({}, minutes(45)), minutes(45));
}

TEST(Estimate, NinetiethPercentileByNearestRank) {
  std::vector<Elapsed> samples;
  for (int i = 10; i >= 1; --i) samples.push_back(minutes(i));
  EXPECT_EQ(estimateJobDuration(samples), minutes(9));
}

TEST(Estimate, OneSampleIsTheEstimate) {
  EXPECT_EQ(estimateJobDuration({minutes(7)}), minutes(7));
}

TEST(Estimate, OnlyRecentSamplesCount) {
  std::vector<Elapsed> samples(30, minutes(120));
  for (std::size_t i = 10; i < 30; ++i) samples[i] = minutes(6);
  EXPECT_EQ(estimateJobDuration(samples), minutes(6));
}

TEST(Estimate, ShortJobsGiveTheFloor) {
  EXPECT_EQ(estimateJobDuration({Elapsed{0}}), kMinJobEstimate);
  EXPECT_EQ(estimateJobDuration({std::chrono::seconds(40)}), minutes(5));
}

TEST(Estimate, NegativeSamplesAreIgnored) {
  EXPECT_EQ(estimateJobDuration({minutes(-3)}), minutes(30));
}

}  // namespace
}  // namespace pk::deploy
