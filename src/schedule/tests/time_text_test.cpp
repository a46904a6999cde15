#include "schedule/time_text.h"

#include <string>

#include <gtest/gtest.h>

#include "schedule/tests/test_times.h"

namespace pk::schedule {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using test_times::local;

TEST(ParseLocalDateTime, AcceptsMinutesAndSeconds) {
  EXPECT_EQ(parseLocalDateTime("2027-03-14T02:00").value(), local(2027, 3, 14, 2));
  EXPECT_EQ(parseLocalDateTime("2027-03-14T02:00:30").value(), local(2027, 3, 14, 2, 0, 30));
  EXPECT_EQ(parseLocalDateTime("2026-11-01 01:30").value(), local(2026, 11, 1, 1, 30));
}

TEST(ParseLocalDateTime, RejectsBadValues) {
  const char* cases[] = {"",
                         "2027-03-14",
                         "2027-3-14T02:00",
                         "2027-02-29T02:00",
                         "2027-03-14T24:00",
                         "2027-03-14T02:60",
                         "2027-03-14T02:00:60",
                         "2027-03-14T02:00Z",
                         "2027-03-14T02:00:00-05:00",
                         "1899-12-31T00:00",
                         "2501-01-01T00:00",
                         "2027-03-14T02:00:00.5"};
  for (const char* text : cases) {
    auto parsed = parseLocalDateTime(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << text;
    EXPECT_NE(parsed.error().message.find(std::string("'") + text + "'"), std::string::npos)
        << parsed.error().message;
  }
}

TEST(ParseLocalDateTime, ExplainsOffsetIsNotAllowed) {
  auto parsed = parseLocalDateTime("2027-03-14T02:00Z");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("without a UTC offset"), std::string::npos);
}

TEST(ParseLocalDate, AcceptsRealDaysOnly) {
  EXPECT_EQ(parseLocalDate("2028-02-29").value(), test_times::day(2028, 2, 29));
  EXPECT_FALSE(parseLocalDate("2027-02-29").has_value());
  EXPECT_FALSE(parseLocalDate("2027-13-01").has_value());
  EXPECT_FALSE(parseLocalDate("20270101").has_value());
}

struct LengthCase {
  const char* text;
  seconds expected;
};

TEST(ParseWindowLength, AcceptsShortAndIsoForms) {
  const LengthCase cases[] = {
      {"4h", hours(4)},
      {"90m", minutes(90)},
      {"56h", hours(56)},
      {"1h30m", minutes(90)},
      {"2d", hours(48)},
      {"3600s", hours(1)},
      {"1d2h3m4s", seconds(93784)},
      {"PT4H", hours(4)},
      {"PT90M", minutes(90)},
      {"P2DT8H", hours(56)},
      {"PT1H30M", minutes(90)},
      {"P1D", hours(24)},
      {"pt4h", hours(4)},
      {"PT45S", seconds(45)},
  };
  for (const LengthCase& test : cases) {
    auto parsed = parseWindowLength(test.text);
    ASSERT_TRUE(parsed.has_value()) << test.text << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, test.expected) << test.text;
  }
}

TEST(ParseWindowLength, RejectsZeroNegativeAndMalformed) {
  const char* cases[] = {"",     "0h", "-4h", "PT0S", "4",   "h",   "4x",   "30m1h",
                         "4h4h", "P",  "PT",  "P1W",  "P1M", "4 h", "367d", "1000000000000h"};
  for (const char* text : cases) {
    auto parsed = parseWindowLength(text);
    ASSERT_FALSE(parsed.has_value()) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << text;
  }
  EXPECT_NE(parseWindowLength("0h").error().message.find("must be positive"), std::string::npos);
  EXPECT_NE(parseWindowLength("-4h").error().message.find("must be positive"), std::string::npos);
  EXPECT_NE(parseWindowLength("367d").error().message.find("at most 366 days"), std::string::npos);
}

TEST(FormatTimes, WritesIso8601) {
  EXPECT_EQ(formatLocalWithOffset(local(2027, 3, 14, 3), -hours(4)), "2027-03-14T03:00:00-04:00");
  EXPECT_EQ(formatLocalWithOffset(local(2026, 7, 1, 9, 30), hours(5) + minutes(30)),
            "2026-07-01T09:30:00+05:30");
  EXPECT_EQ(formatLocalWithOffset(local(2026, 1, 1), seconds(0)), "2026-01-01T00:00:00+00:00");
  EXPECT_EQ(formatUtc(test_times::utc("2027-03-14T07:00:00Z")), "2027-03-14T07:00:00Z");
  EXPECT_EQ(formatLocal(local(2027, 3, 14, 2)), "2027-03-14T02:00:00");
}

TEST(FormatLength, UsesLargestUnits) {
  EXPECT_EQ(formatLength(hours(3)), "3h");
  EXPECT_EQ(formatLength(hours(6) + minutes(30)), "6h30m");
  EXPECT_EQ(formatLength(hours(56)), "2d8h");
  EXPECT_EQ(formatLength(seconds(45)), "45s");
  EXPECT_EQ(formatLength(seconds(0)), "0s");
  EXPECT_EQ(formatLength(-hours(1)), "-1h");
}

}  // namespace
}  // namespace pk::schedule
