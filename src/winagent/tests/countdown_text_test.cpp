#include "winagent/countdown_text.h"

#include <gtest/gtest.h>

namespace pk::winagent {
namespace {

using namespace std::chrono_literals;

TEST(CountdownText, FormatsHoursMinutesSeconds) {
  EXPECT_EQ(formatCountdownRemaining(90min - 1s), "1:29:59");
}

TEST(CountdownText, PadsMinutesAndSeconds) {
  EXPECT_EQ(formatCountdownRemaining(65s), "0:01:05");
}

TEST(CountdownText, NegativeIsZero) {
  EXPECT_EQ(formatCountdownRemaining(-5s), "0:00:00");
}

TEST(CountdownText, TitleShowsRemaining) {
  EXPECT_EQ(formatCountdownTitle(3600s), "Restart in 1:00:00");
}

TEST(CountdownText, TitleAtZeroIsRestarting) {
  EXPECT_EQ(formatCountdownTitle(0s), "Restarting now");
}

TEST(CountdownArguments, ParsesUntil) {
  auto until = parseCountdownArguments({"--until", "1806228000"});
  ASSERT_TRUE(until.has_value()) << until.error().message;
  EXPECT_EQ(until->time_since_epoch(), 1806228000s);
}

TEST(CountdownArguments, RejectsMissingUntil) {
  EXPECT_FALSE(parseCountdownArguments({}).has_value());
}

TEST(CountdownArguments, RejectsMissingValue) {
  EXPECT_FALSE(parseCountdownArguments({"--until"}).has_value());
}

TEST(CountdownArguments, RejectsTrailingText) {
  EXPECT_FALSE(parseCountdownArguments({"--until", "12x"}).has_value());
}

TEST(CountdownArguments, RejectsZero) {
  EXPECT_FALSE(parseCountdownArguments({"--until", "0"}).has_value());
}

TEST(CountdownArguments, RejectsUnknownArgument) {
  auto until = parseCountdownArguments({"--until", "100", "--close"});
  ASSERT_FALSE(until.has_value());
  EXPECT_NE(until.error().message.find("--close"), std::string::npos);
}

TEST(CountdownArguments, CommandLineRoundTrips) {
  const restart::Instant at{1806228000s};
  EXPECT_EQ(countdownCommandLine(L"C:\\Program Files\\patchkeeper\\patchkeeper-countdown.exe", at),
            L"\"C:\\Program Files\\patchkeeper\\patchkeeper-countdown.exe\" --until 1806228000");
}

}  // namespace
}  // namespace pk::winagent
