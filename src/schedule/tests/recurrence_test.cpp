#include "schedule/recurrence.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "schedule/tests/test_times.h"

namespace pk::schedule {
namespace {

using test_times::local;

std::vector<LocalSeconds> take(RecurrenceCursor cursor, std::size_t count) {
  std::vector<LocalSeconds> starts;
  while (starts.size() < count) {
    auto next = cursor.next();
    if (!next) break;
    starts.push_back(*next);
  }
  return starts;
}

TEST(RecurrenceRule, ExpandsSecondTuesdayInFloatingTime) {
  auto rule = RecurrenceRule::parse("FREQ=MONTHLY;BYDAY=2TU", local(2027, 1, 1, 2)).value();
  std::vector<LocalSeconds> expected = {local(2027, 1, 12, 2), local(2027, 2, 9, 2),
                                        local(2027, 3, 9, 2), local(2027, 4, 13, 2)};
  EXPECT_EQ(take(rule.cursorFrom(rule.dtstart()), 4), expected);
}

TEST(RecurrenceRule, CursorFromLaterStartSkipsEarlierOccurrences) {
  auto rule =
      RecurrenceRule::parse("freq=monthly;interval=5;bymonthday=-1", local(2026, 1, 13, 2)).value();
  // Every fifth month from January 2026: ..., March 2040, August 2040, ...
  std::vector<LocalSeconds> expected = {local(2040, 3, 31, 2), local(2040, 8, 31, 2),
                                        local(2041, 1, 31, 2)};
  EXPECT_EQ(take(rule.cursorFrom(local(2040, 1, 1)), 3), expected);
}

TEST(RecurrenceRule, CountIsCountedFromDtstart) {
  auto rule = RecurrenceRule::parse("RRULE:FREQ=DAILY;COUNT=3", local(2026, 5, 1, 21)).value();
  EXPECT_TRUE(rule.hasCount());
  std::vector<LocalSeconds> expected = {local(2026, 5, 3, 21)};
  EXPECT_EQ(take(rule.cursorFrom(local(2026, 5, 2, 22)), 5), expected);
}

TEST(RecurrenceRule, DateUntilIncludesThatDay) {
  auto rule = RecurrenceRule::parse("FREQ=DAILY;UNTIL=20260503", local(2026, 5, 1, 21)).value();
  EXPECT_EQ(take(rule.cursorFrom(rule.dtstart()), 5).size(), 3u);
}

struct InvalidRuleCase {
  const char* rule;
  const char* message_part;
};

TEST(RecurrenceRule, RejectsInvalidRulesWithReason) {
  const InvalidRuleCase cases[] = {
      {"", "it is empty"},
      {"BYDAY=MO", "FREQ is missing"},
      {"FREQ=SOMETIMES", "FREQ=SOMETIMES is not a frequency"},
      {"FREQ=HOURLY", "repeats at most daily"},
      {"FREQ=DAILY;BYHOUR=2", "BYHOUR is not supported"},
      {"FREQ=DAILY;FOO=1", "'FOO' is not a supported rule part"},
      {"FREQ=DAILY;;COUNT=2", "not a NAME=VALUE part"},
      {"FREQ=DAILY;COUNT", "not a NAME=VALUE part"},
      {"FREQ=DAILY;COUNT=2;COUNT=3", "COUNT is given twice"},
      {"FREQ=DAILY;COUNT=0", "COUNT=0 is not valid"},
      {"FREQ=DAILY;COUNT=100001", "COUNT=100001 is not valid"},
      {"FREQ=DAILY;INTERVAL=-1", "INTERVAL=-1 is not valid"},
      {"FREQ=DAILY;COUNT=2;UNTIL=20270101", "COUNT and UNTIL cannot both be given"},
      {"FREQ=DAILY;UNTIL=20270101T000000Z", "is in UTC"},
      {"FREQ=DAILY;UNTIL=20270230", "UNTIL=20270230 is not a valid date"},
      {"FREQ=MONTHLY;BYDAY=XX", "does not end in a weekday"},
      {"FREQ=MONTHLY;BYDAY=6TU", "must be plus or minus 1 to 5"},
      {"FREQ=MONTHLY;BYDAY=0TU", "must be plus or minus 1 to 5"},
      {"FREQ=WEEKLY;BYDAY=2TU", "needs FREQ=MONTHLY or FREQ=YEARLY"},
      {"FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY=32 is not valid"},
      {"FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY=0 is not valid"},
      {"FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY cannot be used with FREQ=WEEKLY"},
      {"FREQ=MONTHLY;BYYEARDAY=1", "BYYEARDAY can only be used with FREQ=YEARLY"},
      {"FREQ=MONTHLY;BYWEEKNO=1", "BYWEEKNO can only be used with FREQ=YEARLY"},
      {"FREQ=YEARLY;BYMONTH=13", "BYMONTH=13 is not valid"},
      {"FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS needs another BYxxx part"},
      {"FREQ=DAILY;WKST=XX", "WKST=XX is not a weekday"},
      {"FREQ=DAILY COUNT=2", "contains spaces"},
      // libical proves that no year has a 30 February.
      {"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "libical rejected it"},
  };
  for (const InvalidRuleCase& test : cases) {
    auto rule = RecurrenceRule::parse(test.rule, local(2026, 1, 1, 2));
    ASSERT_FALSE(rule.has_value()) << test.rule;
    EXPECT_EQ(rule.error().code, ErrorCode::kInvalidArgument) << test.rule;
    EXPECT_NE(rule.error().message.find("invalid RRULE"), std::string::npos)
        << rule.error().message;
    EXPECT_NE(rule.error().message.find(test.message_part), std::string::npos)
        << test.rule << " -> " << rule.error().message;
  }
}

TEST(RecurrenceRule, RefusesRulesLibicalExpandsWrongly) {
  const InvalidRuleCase cases[] = {
      {"FREQ=YEARLY;BYWEEKNO=20", "BYWEEKNO"},
      {"FREQ=WEEKLY;BYDAY=TU,TH;BYSETPOS=1", "BYSETPOS with FREQ=WEEKLY"},
      {"FREQ=YEARLY;BYMONTHDAY=15", "BYMONTHDAY under FREQ=YEARLY without BYMONTH"},
      {"FREQ=DAILY;INTERVAL=2;BYMONTHDAY=-1", "a negative BYMONTHDAY under FREQ=DAILY"},
      // 1 January 2026 is a Thursday.
      {"FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", "the start is not on a BYDAY weekday"},
      {"FREQ=WEEKLY;INTERVAL=2;BYDAY=TH;WKST=SU", "a WKST other than MO"},
  };
  for (const InvalidRuleCase& test : cases) {
    auto rule = RecurrenceRule::parse(test.rule, local(2026, 1, 1, 2));
    ASSERT_FALSE(rule.has_value()) << test.rule;
    EXPECT_EQ(rule.error().code, ErrorCode::kUnsupported) << test.rule;
    EXPECT_NE(rule.error().message.find(test.message_part), std::string::npos)
        << test.rule << " -> " << rule.error().message;
  }
}

TEST(RecurrenceRule, DailyNegativeMonthDayExpandsAsMonthly) {
  auto rule = RecurrenceRule::parse("FREQ=DAILY;BYMONTHDAY=-1", local(2026, 1, 1, 2)).value();
  std::vector<LocalSeconds> expected = {local(2026, 1, 31, 2), local(2026, 2, 28, 2),
                                        local(2026, 3, 31, 2)};
  EXPECT_EQ(take(rule.cursorFrom(rule.dtstart()), 3), expected);
}

}  // namespace
}  // namespace pk::schedule
