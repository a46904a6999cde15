#include <gtest/gtest.h>

#include "agent/checkin.h"

namespace pk::agent {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(NextCheckinDelay, JitterSpansPlusMinusShare) {
  const Elapsed interval = minutes(60);
  EXPECT_EQ(nextCheckinDelay(interval, 0.1, 0.0, std::nullopt), minutes(54));
  EXPECT_EQ(nextCheckinDelay(interval, 0.1, 0.5, std::nullopt), minutes(60));
  EXPECT_EQ(nextCheckinDelay(interval, 0.1, 0.75, std::nullopt), minutes(63));
  // random values are below 1, so the top of the range is approached, not reached
  EXPECT_LT(nextCheckinDelay(interval, 0.1, 0.999999, std::nullopt), minutes(66));
  EXPECT_GT(nextCheckinDelay(interval, 0.1, 0.999999, std::nullopt), minutes(65));
}

TEST(NextCheckinDelay, ZeroJitterIsExact) {
  EXPECT_EQ(nextCheckinDelay(minutes(15), 0.0, 0.9, std::nullopt), minutes(15));
}

TEST(NextCheckinDelay, ServerRequestWinsOnlyWhenSooner) {
  EXPECT_EQ(nextCheckinDelay(minutes(60), 0.1, 0.5, seconds(60)), seconds(60));
  EXPECT_EQ(nextCheckinDelay(minutes(60), 0.1, 0.5, minutes(120)), minutes(60));
  EXPECT_EQ(nextCheckinDelay(minutes(60), 0.1, 0.5, seconds(0)), seconds(0));
}

TEST(BackoffDelay, CapDoublesUpToMaximum) {
  const Elapsed initial = seconds(10);
  const Elapsed maximum = seconds(3600);
  // With a random value just below 1 the delay is just below the cap.
  const double top = 0.999999;
  const struct {
    int failures;
    Elapsed cap;
  } cases[] = {{1, seconds(10)},   {2, seconds(20)},    {3, seconds(40)},    {4, seconds(80)},
               {9, seconds(2560)}, {10, seconds(3600)}, {11, seconds(3600)}, {1000, seconds(3600)}};
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.failures);
    const Elapsed delay = backoffDelay(test_case.failures, initial, maximum, top);
    EXPECT_LE(delay, test_case.cap);
    EXPECT_GT(delay, test_case.cap - seconds(1));
  }
}

TEST(BackoffDelay, FullJitterScalesTheCap) {
  EXPECT_EQ(backoffDelay(3, seconds(10), seconds(3600), 0.5), seconds(20));
  EXPECT_EQ(backoffDelay(3, seconds(10), seconds(3600), 0.25), seconds(10));
}

TEST(BackoffDelay, NeverBelowOneSecond) {
  EXPECT_EQ(backoffDelay(1, seconds(10), seconds(3600), 0.0), seconds(1));
  EXPECT_EQ(backoffDelay(5, seconds(10), seconds(3600), 0.001), seconds(1));
}

TEST(BackoffDelay, MaximumBelowOneSecondWins) {
  EXPECT_EQ(backoffDelay(1, std::chrono::milliseconds(100), std::chrono::milliseconds(500), 0.0),
            std::chrono::milliseconds(500));
}

TEST(BackoffDelay, OutOfRangeRandomIsClamped) {
  EXPECT_EQ(backoffDelay(2, seconds(10), seconds(3600), 7.0), seconds(20));
  EXPECT_EQ(backoffDelay(2, seconds(10), seconds(3600), -3.0), seconds(1));
}

}  // namespace
}  // namespace pk::agent
