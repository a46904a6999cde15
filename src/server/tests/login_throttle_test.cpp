#include "server/login_throttle.h"

#include <string>

#include <gtest/gtest.h>

namespace pk::server {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

SystemTime start() {
  return SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1));
}

class LoginThrottleTest : public ::testing::Test {
 protected:
  void failTimes(int count, std::string_view username, std::string_view address) {
    for (int i = 0; i < count; ++i) throttle_.recordFailure(username, address);
  }

  FakeClock clock_{start()};
  LoginThrottle throttle_{clock_, 5, minutes(15)};
};

TEST_F(LoginThrottleTest, AllowsUntilTheLimit) {
  failTimes(4, "alice", "192.0.2.1");
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.1"), std::nullopt);
  failTimes(1, "alice", "192.0.2.1");
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.1"), seconds(15 * 60));
}

TEST_F(LoginThrottleTest, BlocksTheUserFromEveryAddress) {
  for (int i = 0; i < 5; ++i) throttle_.recordFailure("alice", "192.0.2." + std::to_string(i));
  EXPECT_TRUE(throttle_.retryAfter("alice", "198.51.100.7"));
  EXPECT_EQ(throttle_.retryAfter("bob", "198.51.100.7"), std::nullopt);
}

TEST_F(LoginThrottleTest, BlocksTheAddressForEveryUser) {
  for (int i = 0; i < 5; ++i) throttle_.recordFailure("user" + std::to_string(i), "192.0.2.9");
  EXPECT_TRUE(throttle_.retryAfter("carol", "192.0.2.9"));
  EXPECT_EQ(throttle_.retryAfter("carol", "192.0.2.10"), std::nullopt);
}

TEST_F(LoginThrottleTest, WindowSlidesOneFailureAtATime) {
  failTimes(1, "alice", "192.0.2.1");
  clock_.advance(minutes(5));
  failTimes(4, "alice", "192.0.2.1");
  // The first failure leaves the window 15 minutes after it happened.
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.1"), seconds(10 * 60));

  clock_.advance(minutes(10) - seconds(1));
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.1"), seconds(1));
  clock_.advance(seconds(1));
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.1"), std::nullopt);

  // One more failure fills the window again until the next oldest expires.
  failTimes(1, "alice", "192.0.2.1");
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.1"), seconds(5 * 60));
}

TEST_F(LoginThrottleTest, RetryAfterRoundsUpToWholeSeconds) {
  failTimes(5, "alice", "192.0.2.1");
  clock_.advance(minutes(15) - std::chrono::milliseconds(1500));
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.1"), seconds(2));
  clock_.advance(std::chrono::milliseconds(1400));
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.1"), seconds(1));
}

TEST_F(LoginThrottleTest, SuccessClearsOnlyTheUsersCount) {
  failTimes(4, "alice", "192.0.2.1");
  throttle_.recordSuccess("alice");
  failTimes(4, "alice", "192.0.2.2");
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.3"), std::nullopt);

  // The first address still has four failures; one more blocks it.
  throttle_.recordFailure("bob", "192.0.2.1");
  EXPECT_TRUE(throttle_.retryAfter("dave", "192.0.2.1"));
}

TEST_F(LoginThrottleTest, FailuresWhileBlockedKeepTheBlockGoing) {
  failTimes(5, "alice", "192.0.2.1");
  clock_.advance(minutes(10));
  failTimes(1, "alice", "192.0.2.1");
  // Five failures remain in the window: four from the start and the new one.
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.1"), seconds(5 * 60));
  clock_.advance(minutes(5));
  EXPECT_EQ(throttle_.retryAfter("alice", "192.0.2.1"), std::nullopt);
}

TEST_F(LoginThrottleTest, WallClockJumpsDoNotLiftABlock) {
  failTimes(5, "alice", "192.0.2.1");
  // An administrator or NTP moving the wall clock must not matter: the
  // window is measured on elapsed time.
  clock_.setNow(start() + std::chrono::hours(24));
  EXPECT_TRUE(throttle_.retryAfter("alice", "192.0.2.1"));
}

TEST(LoginThrottle, ForgetsOldestKeysPastTheLimit) {
  FakeClock clock(start());
  LoginThrottle throttle(clock, 1, minutes(15), 10);
  throttle.recordFailure("first", "192.0.2.1");
  for (int i = 0; i < 10; ++i) {
    clock.advance(seconds(1));
    throttle.recordFailure("user" + std::to_string(i), "198.51.100." + std::to_string(i));
  }
  // The first failure was the oldest when the map filled up, so it was
  // forgotten; the newest is still counted.
  EXPECT_EQ(throttle.retryAfter("first", "203.0.113.1"), std::nullopt);
  EXPECT_TRUE(throttle.retryAfter("user9", "203.0.113.1"));
}

TEST(LoginThrottle, LimitBelowOneActsAsOne) {
  FakeClock clock(start());
  LoginThrottle throttle(clock, 0, minutes(15));
  EXPECT_EQ(throttle.retryAfter("alice", "192.0.2.1"), std::nullopt);
  throttle.recordFailure("alice", "192.0.2.1");
  EXPECT_TRUE(throttle.retryAfter("alice", "192.0.2.1"));
}

}  // namespace
}  // namespace pk::server
