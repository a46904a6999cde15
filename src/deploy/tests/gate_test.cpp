#include "deploy/gate.h"

#include <cmath>

#include <gtest/gtest.h>

namespace pk::deploy {
namespace {

using std::chrono::hours;

const SystemTime kEntered = *parseRfc3339("2026-12-01T00:00:00Z");

GateRule testRing() {
  return GateRule{.min_soak = hours(24), .min_success_ratio = 0.9, .max_failures = 1};
}

TEST(Gate, WaitsForSoakTime) {
  RingTally tally{.entered_at = kEntered, .jobs = 10, .succeeded = 10};
  EXPECT_EQ(evaluateGate(testRing(), tally, kEntered + hours(23)).verdict, GateVerdict::kWaiting);
  EXPECT_EQ(evaluateGate(testRing(), tally, kEntered + hours(24)).verdict, GateVerdict::kPassed);
}

TEST(Gate, WaitsForEnoughSuccesses) {
  RingTally tally{.entered_at = kEntered, .jobs = 10, .succeeded = 8};
  EXPECT_EQ(evaluateGate(testRing(), tally, kEntered + hours(48)).verdict, GateVerdict::kWaiting);
  tally.succeeded = 9;
  EXPECT_EQ(evaluateGate(testRing(), tally, kEntered + hours(48)).verdict, GateVerdict::kPassed);
}

TEST(Gate, TooManyFailuresFailAtOnce) {
  RingTally tally{.entered_at = kEntered, .jobs = 10, .succeeded = 0, .failed = 2};
  auto decision = evaluateGate(testRing(), tally, kEntered);
  EXPECT_EQ(decision.verdict, GateVerdict::kFailed);
  EXPECT_NE(decision.reason.find("2 of 10"), std::string::npos) << decision.reason;
}

TEST(Gate, UnreachableRatioFails) {
  GateRule rule{.min_soak = hours(1), .min_success_ratio = 0.9, .max_failures = 5};
  RingTally tally{.entered_at = kEntered, .jobs = 10, .succeeded = 3, .failed = 2};
  EXPECT_EQ(evaluateGate(rule, tally, kEntered).verdict, GateVerdict::kFailed);
}

TEST(Gate, EmptyRingPassesAfterSoak) {
  RingTally tally{.entered_at = kEntered};
  EXPECT_EQ(evaluateGate(testRing(), tally, kEntered + hours(24)).verdict, GateVerdict::kPassed);
}

TEST(Gate, FullRatioNeedsEveryJob) {
  GateRule rule{.min_soak = hours(0), .min_success_ratio = 1.0, .max_failures = 0};
  RingTally tally{.entered_at = kEntered, .jobs = 3, .succeeded = 2};
  EXPECT_EQ(evaluateGate(rule, tally, kEntered).verdict, GateVerdict::kWaiting);
  tally.succeeded = 3;
  EXPECT_EQ(evaluateGate(rule, tally, kEntered).verdict, GateVerdict::kPassed);
}

TEST(Gate, ImpossibleRatioIsInvalid) {
  GateRule rule = testRing();
  rule.min_success_ratio = 1.5;
  auto valid = validateGate(rule);
  ASSERT_FALSE(valid);
  EXPECT_NE(valid.error().message.find("impossible"), std::string::npos);
  rule.min_success_ratio = -0.1;
  EXPECT_FALSE(validateGate(rule));
  rule.min_success_ratio = std::nan("");
  EXPECT_FALSE(validateGate(rule));
}

TEST(Gate, NegativeFieldsAreInvalid) {
  GateRule rule = testRing();
  rule.max_failures = -1;
  EXPECT_FALSE(validateGate(rule));
  rule = testRing();
  rule.min_soak = hours(-1);
  EXPECT_FALSE(validateGate(rule));
  EXPECT_TRUE(validateGate(testRing()));
}

}  // namespace
}  // namespace pk::deploy
