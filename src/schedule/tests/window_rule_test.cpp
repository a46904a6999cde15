#include "schedule/window_rule.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "schedule/tests/test_times.h"

namespace pk::schedule {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using test_times::day;
using test_times::local;
using test_times::utc;

// One expected occurrence, written out by hand from the calendar and the
// America/New_York DST dates (2026: 8 March to 1 November; 2027: 14 March
// to 7 November).
struct ExpectedOccurrence {
  const char* day;        // the local day it belongs to
  const char* start_utc;  // when it opens
  const char* end_utc;    // when it closes
  seconds duration;       // real elapsed length
};

WindowRule makeWindow(WindowDefinition definition) {
  auto window = WindowRule::create(std::move(definition));
  EXPECT_TRUE(window.has_value()) << window.error().message;
  return std::move(window).value();
}

WindowDefinition newYork(std::string rrule, LocalSeconds start, seconds length,
                         int offset_days = 0) {
  WindowDefinition definition;
  definition.rrule = std::move(rrule);
  definition.start = start;
  definition.zone = "America/New_York";
  definition.length = length;
  definition.offset_days = offset_days;
  return definition;
}

void expectOccurrences(const std::vector<Occurrence>& actual,
                       const std::vector<ExpectedOccurrence>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].day);
    EXPECT_EQ(date::format("%F", date::sys_days{actual[i].day}), expected[i].day);
    EXPECT_EQ(formatUtc(actual[i].start), expected[i].start_utc);
    EXPECT_EQ(formatUtc(actual[i].end), expected[i].end_utc);
    EXPECT_EQ(actual[i].duration(), expected[i].duration);
  }
}

TEST(WindowRule, SecondTuesdayPlusFiveFor24Months) {
  auto window = makeWindow(newYork("FREQ=MONTHLY;BYDAY=2TU", local(2026, 1, 1, 2), hours(4), 5));
  // The Sunday after Patch Tuesday, 02:00-06:00. On 14 March 2027 02:00 does
  // not exist: the window opens at 03:00 EDT and still closes at 06:00.
  const std::vector<ExpectedOccurrence> expected = {
      {"2026-01-18", "2026-01-18T07:00:00Z", "2026-01-18T11:00:00Z", hours(4)},
      {"2026-02-15", "2026-02-15T07:00:00Z", "2026-02-15T11:00:00Z", hours(4)},
      {"2026-03-15", "2026-03-15T06:00:00Z", "2026-03-15T10:00:00Z", hours(4)},
      {"2026-04-19", "2026-04-19T06:00:00Z", "2026-04-19T10:00:00Z", hours(4)},
      {"2026-05-17", "2026-05-17T06:00:00Z", "2026-05-17T10:00:00Z", hours(4)},
      {"2026-06-14", "2026-06-14T06:00:00Z", "2026-06-14T10:00:00Z", hours(4)},
      {"2026-07-19", "2026-07-19T06:00:00Z", "2026-07-19T10:00:00Z", hours(4)},
      {"2026-08-16", "2026-08-16T06:00:00Z", "2026-08-16T10:00:00Z", hours(4)},
      {"2026-09-13", "2026-09-13T06:00:00Z", "2026-09-13T10:00:00Z", hours(4)},
      {"2026-10-18", "2026-10-18T06:00:00Z", "2026-10-18T10:00:00Z", hours(4)},
      {"2026-11-15", "2026-11-15T07:00:00Z", "2026-11-15T11:00:00Z", hours(4)},
      {"2026-12-13", "2026-12-13T07:00:00Z", "2026-12-13T11:00:00Z", hours(4)},
      {"2027-01-17", "2027-01-17T07:00:00Z", "2027-01-17T11:00:00Z", hours(4)},
      {"2027-02-14", "2027-02-14T07:00:00Z", "2027-02-14T11:00:00Z", hours(4)},
      {"2027-03-14", "2027-03-14T07:00:00Z", "2027-03-14T10:00:00Z", hours(3)},
      {"2027-04-18", "2027-04-18T06:00:00Z", "2027-04-18T10:00:00Z", hours(4)},
      {"2027-05-16", "2027-05-16T06:00:00Z", "2027-05-16T10:00:00Z", hours(4)},
      {"2027-06-13", "2027-06-13T06:00:00Z", "2027-06-13T10:00:00Z", hours(4)},
      {"2027-07-18", "2027-07-18T06:00:00Z", "2027-07-18T10:00:00Z", hours(4)},
      {"2027-08-15", "2027-08-15T06:00:00Z", "2027-08-15T10:00:00Z", hours(4)},
      {"2027-09-19", "2027-09-19T06:00:00Z", "2027-09-19T10:00:00Z", hours(4)},
      {"2027-10-17", "2027-10-17T06:00:00Z", "2027-10-17T10:00:00Z", hours(4)},
      {"2027-11-14", "2027-11-14T07:00:00Z", "2027-11-14T11:00:00Z", hours(4)},
      {"2027-12-19", "2027-12-19T07:00:00Z", "2027-12-19T11:00:00Z", hours(4)},
  };
  auto between =
      window.occurrencesBetween(utc("2026-01-01T00:00:00Z"), utc("2028-01-01T00:00:00Z"));
  ASSERT_TRUE(between.has_value()) << between.error().message;
  expectOccurrences(*between, expected);

  auto first = window.firstOccurrences(utc("2026-01-01T00:00:00Z"), expected.size());
  ASSERT_TRUE(first.has_value()) << first.error().message;
  expectOccurrences(*first, expected);

  // The wall clock shows 03:00 to 06:00 EDT on the DST day.
  const Occurrence& dst_day = (*between)[14];
  EXPECT_EQ(formatLocalWithOffset(dst_day.local_start, dst_day.start_utc_offset),
            "2027-03-14T03:00:00-04:00");
  EXPECT_EQ(formatLocalWithOffset(dst_day.local_end, dst_day.end_utc_offset),
            "2027-03-14T06:00:00-04:00");
}

TEST(WindowRule, SecondTuesdayPlusTwentyRollsIntoNextMonth) {
  auto window = makeWindow(newYork("FREQ=MONTHLY;BYDAY=2TU", local(2026, 1, 1, 2), hours(4), 20));
  // Second Tuesdays of 2026: 13 Jan, 10 Feb, 10 Mar, 14 Apr, 12 May, 9 Jun.
  // +20 days crosses into the next month except in March and June, and
  // nothing is clamped to a month end or skipped.
  const std::vector<ExpectedOccurrence> expected = {
      {"2026-02-02", "2026-02-02T07:00:00Z", "2026-02-02T11:00:00Z", hours(4)},
      {"2026-03-02", "2026-03-02T07:00:00Z", "2026-03-02T11:00:00Z", hours(4)},
      {"2026-03-30", "2026-03-30T06:00:00Z", "2026-03-30T10:00:00Z", hours(4)},
      {"2026-05-04", "2026-05-04T06:00:00Z", "2026-05-04T10:00:00Z", hours(4)},
      {"2026-06-01", "2026-06-01T06:00:00Z", "2026-06-01T10:00:00Z", hours(4)},
      {"2026-06-29", "2026-06-29T06:00:00Z", "2026-06-29T10:00:00Z", hours(4)},
  };
  auto first = window.firstOccurrences(utc("2026-01-01T00:00:00Z"), expected.size());
  ASSERT_TRUE(first.has_value()) << first.error().message;
  expectOccurrences(*first, expected);
}

TEST(WindowRule, FridayNightFor56Hours) {
  auto window = makeWindow(newYork("FREQ=WEEKLY;BYDAY=FR", local(2026, 10, 1, 22), hours(56)));
  // Friday 22:00 to Monday 06:00 local: 56 real hours, 57 across the
  // fall-back weekend and 55 across the spring-forward weekend.
  auto autumn = window.firstOccurrences(utc("2026-10-23T00:00:00Z"), 3);
  ASSERT_TRUE(autumn.has_value()) << autumn.error().message;
  expectOccurrences(*autumn,
                    {
                        {"2026-10-23", "2026-10-24T02:00:00Z", "2026-10-26T10:00:00Z", hours(56)},
                        {"2026-10-30", "2026-10-31T02:00:00Z", "2026-11-02T11:00:00Z", hours(57)},
                        {"2026-11-06", "2026-11-07T03:00:00Z", "2026-11-09T11:00:00Z", hours(56)},
                    });
  auto spring = window.firstOccurrences(utc("2027-03-12T00:00:00Z"), 1);
  ASSERT_TRUE(spring.has_value()) << spring.error().message;
  expectOccurrences(*spring,
                    {{"2027-03-12", "2027-03-13T03:00:00Z", "2027-03-15T10:00:00Z", hours(55)}});

  // Open all weekend, closed on a Monday afternoon.
  FakeClock clock(utc("2026-10-24T01:59:59Z"));
  EXPECT_FALSE(window.isOpen(clock).value());
  clock.advance(seconds(1));
  EXPECT_TRUE(window.isOpen(clock).value());
  clock.advance(hours(55));
  EXPECT_TRUE(window.isOpen(clock).value());
  EXPECT_EQ(window.timeLeft(clock).value(), Elapsed(hours(1)));
  clock.advance(hours(1));
  EXPECT_FALSE(window.isOpen(clock).value());
}

TEST(WindowRule, DailyOvernightWindowMatchesAfterMidnight) {
  auto window = makeWindow(newYork("FREQ=DAILY", local(2026, 6, 1, 21), hours(8)));
  // 21:00 EDT is 01:00Z the next day; the occurrence belongs to the day it
  // starts even though most of it falls on the next day.
  FakeClock clock(utc("2026-06-02T00:59:00Z"));  // 20:59 local on 1 June
  EXPECT_FALSE(window.isOpen(clock).value());
  EXPECT_EQ(window.timeLeft(clock).value(), std::nullopt);

  clock.advance(minutes(1));  // 21:00 local
  auto current = window.currentOccurrence(clock).value();
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->day, day(2026, 6, 1));

  clock.advance(hours(5));  // 02:00 local on 2 June
  current = window.currentOccurrence(clock).value();
  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->day, day(2026, 6, 1));
  EXPECT_EQ(formatUtc(current->end), "2026-06-02T09:00:00Z");
  EXPECT_EQ(window.timeLeft(clock).value(), Elapsed(hours(3)));

  clock.advance(hours(3));  // 05:00 local: closed, and the next one opens at 21:00
  EXPECT_FALSE(window.isOpen(clock).value());
  auto next = window.nextOccurrence(clock).value();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(formatUtc(next->start), "2026-06-03T01:00:00Z");
  EXPECT_EQ(next->day, day(2026, 6, 2));
}

TEST(WindowRule, DailyOvernightAcrossDstChanges) {
  auto window = makeWindow(newYork("FREQ=DAILY", local(2026, 1, 1, 21), hours(8)));
  auto autumn = window.firstOccurrences(utc("2026-10-31T12:00:00Z"), 2);
  ASSERT_TRUE(autumn.has_value()) << autumn.error().message;
  expectOccurrences(*autumn,
                    {
                        {"2026-10-31", "2026-11-01T01:00:00Z", "2026-11-01T10:00:00Z", hours(9)},
                        {"2026-11-01", "2026-11-02T02:00:00Z", "2026-11-02T10:00:00Z", hours(8)},
                    });
  auto spring = window.firstOccurrences(utc("2027-03-13T12:00:00Z"), 2);
  ASSERT_TRUE(spring.has_value()) << spring.error().message;
  expectOccurrences(*spring,
                    {
                        {"2027-03-13", "2027-03-14T02:00:00Z", "2027-03-14T09:00:00Z", hours(7)},
                        {"2027-03-14", "2027-03-15T01:00:00Z", "2027-03-15T09:00:00Z", hours(8)},
                    });
}

TEST(WindowRule, StartInFallBackHourIsFirstInstant) {
  // 01:00-06:00 on 1 November 2026 lasts 6 real hours: 01:00 is the first
  // (EDT) 01:00 and 06:00 is EST.
  auto five_hours = makeWindow(newYork("FREQ=DAILY", local(2026, 10, 30, 1), hours(5)));
  auto occurrence = five_hours.nextOccurrence(utc("2026-11-01T00:00:00Z")).value();
  ASSERT_TRUE(occurrence.has_value());
  EXPECT_EQ(formatUtc(occurrence->start), "2026-11-01T05:00:00Z");
  EXPECT_EQ(formatUtc(occurrence->end), "2026-11-01T11:00:00Z");
  EXPECT_EQ(occurrence->duration(), hours(6));

  // A 01:30 start for one hour ends at 02:30 EST: two real hours.
  auto half_past = makeWindow(newYork("FREQ=DAILY", local(2026, 10, 30, 1, 30), hours(1)));
  occurrence = half_past.nextOccurrence(utc("2026-11-01T00:00:00Z")).value();
  ASSERT_TRUE(occurrence.has_value());
  EXPECT_EQ(formatUtc(occurrence->start), "2026-11-01T05:30:00Z");
  EXPECT_EQ(formatLocalWithOffset(occurrence->local_start, occurrence->start_utc_offset),
            "2026-11-01T01:30:00-04:00");
  EXPECT_EQ(formatLocalWithOffset(occurrence->local_end, occurrence->end_utc_offset),
            "2026-11-01T02:30:00-05:00");
  EXPECT_EQ(occurrence->duration(), hours(2));
  // Open during the second 01:30 too (06:30Z), closed at 02:30 EST.
  EXPECT_TRUE(half_past.isOpen(utc("2026-11-01T06:30:00Z")).value());
  EXPECT_FALSE(half_past.isOpen(utc("2026-11-01T07:30:00Z")).value());
}

TEST(WindowRule, StartInSpringGapMovesForward) {
  auto window = makeWindow(newYork("FREQ=DAILY", local(2027, 3, 10, 2, 30), hours(2)));
  auto occurrence = window.nextOccurrence(utc("2027-03-14T00:00:00Z")).value();
  ASSERT_TRUE(occurrence.has_value());
  // 02:30 becomes 03:30 EDT; 04:30 EDT is the local end.
  EXPECT_EQ(formatUtc(occurrence->start), "2027-03-14T07:30:00Z");
  EXPECT_EQ(formatUtc(occurrence->end), "2027-03-14T08:30:00Z");
  EXPECT_EQ(occurrence->duration(), hours(1));

  // A window that would close inside the hour it lost is empty that day.
  auto short_window = makeWindow(newYork("FREQ=DAILY", local(2027, 3, 10, 2, 30), minutes(40)));
  occurrence = short_window.nextOccurrence(utc("2027-03-14T00:00:00Z")).value();
  ASSERT_TRUE(occurrence.has_value());
  EXPECT_EQ(occurrence->duration(), seconds(0));
}

TEST(WindowRule, MonthlyOnThe31stSkipsShortMonths) {
  auto window = makeWindow(newYork("FREQ=MONTHLY;BYMONTHDAY=31", local(2026, 1, 1, 22), hours(4)));
  auto first = window.firstOccurrences(utc("2026-01-01T00:00:00Z"), 8);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  expectOccurrences(*first,
                    {
                        {"2026-01-31", "2026-02-01T03:00:00Z", "2026-02-01T07:00:00Z", hours(4)},
                        {"2026-03-31", "2026-04-01T02:00:00Z", "2026-04-01T06:00:00Z", hours(4)},
                        {"2026-05-31", "2026-06-01T02:00:00Z", "2026-06-01T06:00:00Z", hours(4)},
                        {"2026-07-31", "2026-08-01T02:00:00Z", "2026-08-01T06:00:00Z", hours(4)},
                        {"2026-08-31", "2026-09-01T02:00:00Z", "2026-09-01T06:00:00Z", hours(4)},
                        {"2026-10-31", "2026-11-01T02:00:00Z", "2026-11-01T07:00:00Z", hours(5)},
                        {"2026-12-31", "2027-01-01T03:00:00Z", "2027-01-01T07:00:00Z", hours(4)},
                        {"2027-01-31", "2027-02-01T03:00:00Z", "2027-02-01T07:00:00Z", hours(4)},
                    });

  // The last day of every month is BYMONTHDAY=-1.
  auto last_day =
      makeWindow(newYork("FREQ=MONTHLY;BYMONTHDAY=-1", local(2026, 1, 1, 22), hours(4)));
  auto ends = last_day.firstOccurrences(utc("2026-01-01T00:00:00Z"), 3);
  ASSERT_TRUE(ends.has_value());
  ASSERT_EQ(ends->size(), 3u);
  EXPECT_EQ((*ends)[1].day, day(2026, 2, 28));
  EXPECT_EQ((*ends)[2].day, day(2026, 3, 31));
}

TEST(WindowRule, ExclusionsRemoveTheDayAnOccurrenceStarts) {
  auto definition = newYork("FREQ=MONTHLY;BYDAY=2TU", local(2026, 10, 1, 2), hours(4), 5);
  // 13 December 2026 is an occurrence (Patch Tuesday 8 December + 5); 10
  // November is a Patch Tuesday, not an occurrence day, so it removes nothing.
  definition.exclusions = {day(2026, 12, 13), day(2026, 11, 10)};
  auto window = makeWindow(definition);
  auto first = window.firstOccurrences(utc("2026-10-01T00:00:00Z"), 3);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  expectOccurrences(*first,
                    {
                        {"2026-10-18", "2026-10-18T06:00:00Z", "2026-10-18T10:00:00Z", hours(4)},
                        {"2026-11-15", "2026-11-15T07:00:00Z", "2026-11-15T11:00:00Z", hours(4)},
                        {"2027-01-17", "2027-01-17T07:00:00Z", "2027-01-17T11:00:00Z", hours(4)},
                    });
  EXPECT_FALSE(window.isOpen(utc("2026-12-13T08:00:00Z")).value());
}

TEST(WindowRule, BlackoutRemovesOverlappingOccurrences) {
  auto definition = newYork("FREQ=DAILY", local(2026, 6, 1, 21), hours(8));
  // 03:00-04:00 on 2 June overlaps the night that started on 1 June only.
  definition.blackouts = {{local(2026, 6, 2, 3), local(2026, 6, 2, 4)}};
  auto window = makeWindow(definition);
  auto first = window.firstOccurrences(utc("2026-06-01T00:00:00Z"), 2);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].day, day(2026, 6, 2));
  EXPECT_EQ((*first)[1].day, day(2026, 6, 3));
  EXPECT_FALSE(window.isOpen(utc("2026-06-02T02:00:00Z")).value());

  // A blackout that begins exactly when an occurrence ends does not touch it.
  definition.blackouts = {{local(2026, 6, 2, 5), local(2026, 6, 2, 21)}};
  auto touching = makeWindow(definition);
  auto kept = touching.nextOccurrence(utc("2026-06-01T00:00:00Z")).value();
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->day, day(2026, 6, 1));
}

TEST(WindowRule, OccurrencesBetweenIsHalfOpenOnStart) {
  auto window = makeWindow(newYork("FREQ=DAILY", local(2026, 6, 1, 21), hours(8)));
  // 1 June 21:00 EDT is 2 June 01:00Z.
  auto between =
      window.occurrencesBetween(utc("2026-06-02T01:00:00Z"), utc("2026-06-04T01:00:00Z"));
  ASSERT_TRUE(between.has_value());
  ASSERT_EQ(between->size(), 2u);
  EXPECT_EQ((*between)[0].day, day(2026, 6, 1));
  EXPECT_EQ((*between)[1].day, day(2026, 6, 2));

  auto too_long =
      window.occurrencesBetween(utc("2026-01-01T00:00:00Z"), utc("2130-01-01T00:00:00Z"));
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().code, ErrorCode::kInvalidArgument);
}

TEST(WindowRule, NextOccurrenceFarFromStartIsCheap) {
  auto window = makeWindow(newYork("FREQ=DAILY", local(1990, 1, 1, 21), hours(8)));
  // Starting libical near the instant, not at 1990, is what keeps this fast;
  // the result is the same either way.
  auto next = window.nextOccurrence(utc("2036-06-01T12:00:00Z")).value();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->day, day(2036, 6, 1));
  EXPECT_EQ(formatUtc(next->start), "2036-06-02T01:00:00Z");
}

TEST(WindowRule, EndedRuleHasNoNextOccurrence) {
  auto window = makeWindow(newYork("FREQ=DAILY;COUNT=2", local(2026, 6, 1, 21), hours(1)));
  auto next = window.nextOccurrence(utc("2026-06-03T12:00:00Z"));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, std::nullopt);
  auto listed = window.firstOccurrences(utc("2026-01-01T00:00:00Z"), 5);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ(listed->size(), 2u);
}

struct BadDefinitionCase {
  const char* name;
  WindowDefinition definition;
  const char* message_part;
};

TEST(WindowRule, RejectsBadDefinitionsWithReason) {
  auto base = newYork("FREQ=MONTHLY;BYDAY=2TU", local(2026, 1, 1, 2), hours(4));
  std::vector<BadDefinitionCase> cases;
  cases.push_back({"invalid rrule", base, "invalid RRULE 'FREQ=MONTHLY;BYDAY=9XX'"});
  cases.back().definition.rrule = "FREQ=MONTHLY;BYDAY=9XX";
  cases.push_back({"unknown zone", base, "unknown time zone 'America/Springfield'"});
  cases.back().definition.zone = "America/Springfield";
  cases.push_back({"zero length", base, "invalid window length 0s: the length must be positive"});
  cases.back().definition.length = seconds(0);
  cases.push_back({"negative length", base, "invalid window length -4h"});
  cases.back().definition.length = -hours(4);
  cases.push_back({"too long", base, "at most 366 days"});
  cases.back().definition.length = hours(24 * 367);
  cases.push_back({"offset", base, "invalid offset of 400 days"});
  cases.back().definition.offset_days = 400;
  cases.push_back({"blackout reversed", base,
                   "invalid blackout from 2026-12-24T00:00:00 to 2026-12-20T00:00:00: it ends "
                   "before it starts"});
  cases.back().definition.blackouts = {{local(2026, 12, 24), local(2026, 12, 20)}};
  cases.push_back({"blackout empty", base, "it is empty"});
  cases.back().definition.blackouts = {{local(2026, 12, 24), local(2026, 12, 24)}};
  cases.push_back({"never matches", base, "libical rejected it"});
  cases.back().definition.rrule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30";
  cases.push_back({"all blacked out", base, "no occurrence is left"});
  cases.back().definition.rrule = "FREQ=MONTHLY;BYDAY=2TU;COUNT=2";
  cases.back().definition.blackouts = {{local(2026, 1, 1), local(2026, 3, 1)}};
  cases.push_back({"until before start", base, "no occurrence is left"});
  cases.back().definition.rrule = "FREQ=DAILY;UNTIL=20251231";

  for (const BadDefinitionCase& test : cases) {
    SCOPED_TRACE(test.name);
    auto window = WindowRule::create(test.definition);
    ASSERT_FALSE(window.has_value());
    EXPECT_EQ(window.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(window.error().message.find(test.message_part), std::string::npos)
        << window.error().message;
  }
}

}  // namespace
}  // namespace pk::schedule
