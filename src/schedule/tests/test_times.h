#pragma once

// Builders for the literal times in schedule tests, independent of the
// parsers under test.

#include <chrono>
#include <string_view>

#include <date/date.h>
#include <gtest/gtest.h>

#include "common/clock.h"
#include "schedule/time_text.h"

namespace pk::schedule::test_times {

inline LocalSeconds local(int year, unsigned month, unsigned day, int hour = 0, int minute = 0,
                          int second = 0) {
  return LocalSeconds{date::local_days{date::year{year} / date::month{month} / date::day{day}}
                          .time_since_epoch()} +
         std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
}

// Parses "2027-03-14T07:00:00Z"; a malformed literal fails the test.
inline SystemTime utc(std::string_view text) {
  auto parsed = parseRfc3339(text);
  EXPECT_TRUE(parsed.has_value()) << "bad literal " << text;
  return parsed.value_or(SystemTime{});
}

inline date::year_month_day day(int year, unsigned month, unsigned day_of_month) {
  return date::year{year} / date::month{month} / date::day{day_of_month};
}

}  // namespace pk::schedule::test_times
