#include "schedule/zone.h"

#include <gtest/gtest.h>

#include "schedule/tests/test_times.h"

namespace pk::schedule {
namespace {

using std::chrono::hours;
using test_times::local;
using test_times::utc;

TEST(Zone, UnknownNameIsInvalidArgument) {
  auto zone = Zone::find("Mars/Olympus_Mons");
  ASSERT_FALSE(zone.has_value());
  EXPECT_EQ(zone.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(zone.error().message.find("unknown time zone 'Mars/Olympus_Mons'"), std::string::npos)
      << zone.error().message;
}

TEST(Zone, ConvertsUniqueTimes) {
  auto zone = Zone::find("America/New_York").value();
  EXPECT_EQ(zone.toInstant(local(2026, 1, 18, 2)), utc("2026-01-18T07:00:00Z"));
  EXPECT_EQ(zone.toInstant(local(2026, 7, 19, 2)), utc("2026-07-19T06:00:00Z"));
  EXPECT_EQ(zone.utcOffsetAt(utc("2026-07-19T06:00:00Z")), -hours(4));
  EXPECT_EQ(zone.toLocal(utc("2026-07-19T06:00:00Z")), local(2026, 7, 19, 2));
}

TEST(Zone, NonexistentTimeMovesForwardByGap) {
  auto zone = Zone::find("America/New_York").value();
  // 02:00-03:00 does not exist on 14 March 2027.
  EXPECT_EQ(zone.toInstant(local(2027, 3, 14, 2)), utc("2027-03-14T07:00:00Z"));
  EXPECT_EQ(zone.toInstant(local(2027, 3, 14, 2, 30)), utc("2027-03-14T07:30:00Z"));
  EXPECT_EQ(zone.toLocal(utc("2027-03-14T07:30:00Z")), local(2027, 3, 14, 3, 30));
}

TEST(Zone, AmbiguousTimeIsFirstInstant) {
  auto zone = Zone::find("America/New_York").value();
  // 01:00-02:00 happens twice on 7 November 2027: first EDT, then EST.
  EXPECT_EQ(zone.toInstant(local(2027, 11, 7, 1, 30)), utc("2027-11-07T05:30:00Z"));
  EXPECT_EQ(zone.toInstant(local(2026, 11, 1, 1)), utc("2026-11-01T05:00:00Z"));
}

TEST(Zone, SouthernHemisphereAndHalfHourZones) {
  auto sydney = Zone::find("Australia/Sydney").value();
  // Clocks go from 02:00 to 03:00 on 4 October 2026 in Sydney (+10 to +11).
  EXPECT_EQ(sydney.toInstant(local(2026, 10, 4, 2, 30)), utc("2026-10-03T16:30:00Z"));
  auto kolkata = Zone::find("Asia/Kolkata").value();
  EXPECT_EQ(kolkata.toInstant(local(2026, 6, 1, 2)), utc("2026-05-31T20:30:00Z"));
}

}  // namespace
}  // namespace pk::schedule
