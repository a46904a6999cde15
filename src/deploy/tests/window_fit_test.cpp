#include "deploy/window_fit.h"

#include <gtest/gtest.h>

namespace pk::deploy {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

SystemTime at(const char* text) {
  return *parseRfc3339(text);
}

// Two Saturday windows, 02:00-06:00 UTC.
StartRequest twoWindows(Elapsed estimate) {
  return StartRequest{
      .available_at = at("2026-12-01T00:00:00Z"),
      .window_bound = true,
      .windows = {{at("2026-12-12T02:00:00Z"), at("2026-12-12T06:00:00Z")},
                  {at("2026-12-05T02:00:00Z"), at("2026-12-05T06:00:00Z")}},
      .estimate = estimate,
  };
}

TEST(WindowFit, StartsInsideWindowWhenEstimateFits) {
  auto decision = decideStart(at("2026-12-05T03:00:00Z"), twoWindows(minutes(30)));
  EXPECT_EQ(decision.verdict, StartVerdict::kStartNow);
}

TEST(WindowFit, WaitsOutsideWindow) {
  auto decision = decideStart(at("2026-12-04T12:00:00Z"), twoWindows(minutes(30)));
  EXPECT_EQ(decision.verdict, StartVerdict::kWait);
  EXPECT_EQ(decision.at, at("2026-12-05T02:00:00Z"));
}

TEST(WindowFit, TooLittleLeftMovesToNextOccurrence) {
  auto decision = decideStart(at("2026-12-05T05:45:00Z"), twoWindows(minutes(30)));
  EXPECT_EQ(decision.verdict, StartVerdict::kWait);
  EXPECT_EQ(decision.at, at("2026-12-12T02:00:00Z"));
  EXPECT_NE(decision.reason.find("too little"), std::string::npos) << decision.reason;
}

TEST(WindowFit, ExactFitStarts) {
  auto decision = decideStart(at("2026-12-05T05:30:00Z"), twoWindows(minutes(30)));
  EXPECT_EQ(decision.verdict, StartVerdict::kStartNow);
}

TEST(WindowFit, WindowEndIsExclusive) {
  auto decision = decideStart(at("2026-12-05T06:00:00Z"), twoWindows(minutes(1)));
  EXPECT_EQ(decision.at, at("2026-12-12T02:00:00Z"));
}

TEST(WindowFit, EstimateLongerThanEveryWindowIsUnschedulable) {
  auto decision = decideStart(at("2026-12-04T12:00:00Z"), twoWindows(hours(5)));
  EXPECT_EQ(decision.verdict, StartVerdict::kUnschedulable);
  EXPECT_NE(decision.reason.find("300 min"), std::string::npos) << decision.reason;
}

TEST(WindowFit, NoWindowIsUnschedulable) {
  StartRequest request = twoWindows(minutes(30));
  request.windows.clear();
  EXPECT_EQ(decideStart(at("2026-12-04T12:00:00Z"), request).verdict, StartVerdict::kUnschedulable);
}

TEST(WindowFit, AvailabilityInsideWindowShortensIt) {
  StartRequest request = twoWindows(hours(2));
  request.available_at = at("2026-12-05T05:00:00Z");
  auto decision = decideStart(at("2026-12-05T05:00:00Z"), request);
  EXPECT_EQ(decision.verdict, StartVerdict::kWait);
  EXPECT_EQ(decision.at, at("2026-12-12T02:00:00Z"));
}

TEST(WindowFit, WaitsForAvailabilityInsideWindow) {
  StartRequest request = twoWindows(minutes(30));
  request.available_at = at("2026-12-05T03:00:00Z");
  auto decision = decideStart(at("2026-12-05T02:10:00Z"), request);
  EXPECT_EQ(decision.verdict, StartVerdict::kWait);
  EXPECT_EQ(decision.at, at("2026-12-05T03:00:00Z"));
}

TEST(WindowFit, AllOccurrencesPastAsksAgain) {
  auto decision = decideStart(at("2026-12-20T00:00:00Z"), twoWindows(minutes(30)));
  EXPECT_EQ(decision.verdict, StartVerdict::kWait);
  EXPECT_FALSE(decision.at.has_value());
}

TEST(WindowFit, EndpointStartsWhenAvailable) {
  StartRequest request{.available_at = at("2026-12-05T08:00:00Z"), .window_bound = false};
  EXPECT_EQ(decideStart(at("2026-12-05T07:59:59Z"), request).verdict, StartVerdict::kWait);
  EXPECT_EQ(decideStart(at("2026-12-05T08:00:00Z"), request).verdict, StartVerdict::kStartNow);
}

}  // namespace
}  // namespace pk::deploy
