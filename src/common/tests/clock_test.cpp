#include "common/clock.h"

#include <gtest/gtest.h>

namespace pk {
namespace {

using namespace std::chrono_literals;

SystemTime at(std::chrono::sys_seconds seconds) {
  return std::chrono::time_point_cast<std::chrono::microseconds>(seconds);
}

TEST(Rfc3339, FormatsWholeSecondsInUtc) {
  const auto time = std::chrono::sys_days(std::chrono::year(2026) / 12 / 4) + 23h + 24min + 8s;
  EXPECT_EQ(formatRfc3339(at(time) + 999ms), "2026-12-04T23:24:08Z");
}

TEST(Rfc3339, ParsesUtcOffsetsAndFractions) {
  const auto expected = at(std::chrono::sys_days(std::chrono::year(2027) / 3 / 14) + 7h + 30min);
  EXPECT_EQ(parseRfc3339("2027-03-14T07:30:00Z"), expected);
  EXPECT_EQ(parseRfc3339("2027-03-14T03:30:00-04:00"), expected);
  EXPECT_EQ(parseRfc3339("2027-03-14T07:30:00.250Z"), expected + 250ms);
}

TEST(Rfc3339, RoundTripsAcrossAMonthEnd) {
  const auto time = at(std::chrono::sys_days(std::chrono::year(2028) / 2 / 29) + 23h + 59min + 59s);
  EXPECT_EQ(parseRfc3339(formatRfc3339(time)), time);
  EXPECT_EQ(formatRfc3339(time + 1s), "2028-03-01T00:00:00Z");
}

TEST(Rfc3339, RejectsMalformedText) {
  for (const char* text :
       {"", "2026-12-04", "2026-12-04T23:24:08", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-12-04T24:00:00Z", "2026-12-04T23:24:08Zx", "2026-12-04T23:24:08+0100",
        "2026-12-04T23:24:08.Z", "20x6-12-04T23:24:08Z"}) {
    EXPECT_EQ(parseRfc3339(text), std::nullopt) << text;
  }
}

TEST(FakeClock, MovesOnlyWhenAdvanced) {
  FakeClock clock(at(std::chrono::sys_days(std::chrono::year(2026) / 12 / 4)));
  const auto start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(90min);
  EXPECT_EQ(clock.now() - start, 90min);
  EXPECT_EQ(clock.elapsed(), 90min);
  clock.setNow(start);
  EXPECT_EQ(clock.now(), start);
  EXPECT_EQ(clock.elapsed(), 90min);
}

TEST(ShiftedClock, AddsShiftToBothTimes) {
  FakeClock base(at(std::chrono::sys_days(std::chrono::year(2026) / 12 / 4)));
  base.advance(5min);
  ShiftedClock clock(base);
  EXPECT_EQ(clock.now(), base.now());
  EXPECT_EQ(clock.elapsed(), 5min);

  ASSERT_TRUE(clock.setShift(3h));
  EXPECT_EQ(clock.now() - base.now(), 3h);
  EXPECT_EQ(clock.elapsed(), 3h + 5min);
  base.advance(1min);
  EXPECT_EQ(clock.elapsed(), 3h + 6min);
}

TEST(ShiftedClock, SmallerShiftIsRefused) {
  FakeClock base(at(std::chrono::sys_days(std::chrono::year(2026) / 12 / 4)));
  ShiftedClock clock(base);
  ASSERT_TRUE(clock.setShift(2h));
  EXPECT_FALSE(clock.setShift(1h));
  EXPECT_EQ(clock.shift(), 2h);
  EXPECT_EQ(clock.elapsed(), 2h);
  EXPECT_TRUE(clock.setShift(2h));
}

TEST(SystemClock, ElapsedNeverGoesBack) {
  SystemClock clock;
  const auto first = clock.elapsed();
  EXPECT_GE(clock.elapsed(), first);
}

}  // namespace
}  // namespace pk
