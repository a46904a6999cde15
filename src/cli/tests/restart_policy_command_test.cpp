#include "cli/restart_policy_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/exit_codes.h"

namespace pk::cli {
namespace {

struct PreviewRun {
  int status = -1;
  std::string out;
  std::string err;
};

PreviewRun preview(RestartPreviewOptions options, const std::string& format = "json") {
  options.format = format;
  std::ostringstream out;
  std::ostringstream err;
  PreviewRun run;
  run.status = runRestartPreview(options, out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

RestartPreviewOptions berlin() {
  return {.installed_at = "2027-03-10T10:00", .zone = "Europe/Berlin"};
}

std::vector<std::string> kindsOf(const nlohmann::json& json) {
  std::vector<std::string> kinds;
  for (const auto& event : json["events"]) kinds.push_back(event["kind"]);
  return kinds;
}

TEST(RestartPreview, JsonHasExactShape) {
  const PreviewRun run = preview(berlin());
  ASSERT_EQ(run.status, kExitOk) << run.err;
  const auto json = nlohmann::json::parse(run.out);

  EXPECT_EQ(json.size(), 4u);
  EXPECT_EQ(json["deadline_utc"], "2027-03-11T09:00:00Z");
  EXPECT_EQ(json["countdown_start_utc"], "2027-03-11T07:30:00Z");
  EXPECT_EQ(json["restart_utc"], "2027-03-11T09:00:00Z");
  ASSERT_FALSE(json["events"].empty());
  EXPECT_EQ(json["events"][0].size(), 3u);
  EXPECT_EQ(json["events"][0]["at_utc"], "2027-03-10T09:00:00Z");
  EXPECT_EQ(json["events"][0]["kind"], "installed");
  EXPECT_EQ(json["events"][0]["offered"].size(), 5u);
}

TEST(RestartPreview, ListsRemindersAndCountdown) {
  const auto json = nlohmann::json::parse(preview(berlin()).out);

  const std::vector<std::string> expected{"installed", "reminder", "reminder",  "reminder",
                                          "reminder",  "reminder", "countdown", "restarting"};
  EXPECT_EQ(kindsOf(json), expected);
  EXPECT_TRUE(json["events"][6]["offered"].empty());
}

TEST(RestartPreview, DeadlineAcrossDstIsElapsed) {
  // Berlin moves its clocks forward in the night to 2027-03-28.
  RestartPreviewOptions options{.installed_at = "2027-03-27T10:00", .zone = "Europe/Berlin"};
  const auto json = nlohmann::json::parse(preview(options).out);

  EXPECT_EQ(json["deadline_utc"], "2027-03-28T09:00:00Z");
  EXPECT_EQ(json["restart_utc"], "2027-03-28T09:00:00Z");
}

TEST(RestartPreview, TableShowsLocalDeadlineAfterDst) {
  RestartPreviewOptions options{.installed_at = "2027-03-27T10:00", .zone = "Europe/Berlin"};
  const PreviewRun run = preview(options, "table");

  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_NE(run.out.find("deadline:         2027-03-28T11:00:00+02:00"), std::string::npos)
      << run.out;
}

TEST(RestartPreview, NewYorkFallBackDeadline) {
  RestartPreviewOptions options{.installed_at = "2027-11-06T10:00", .zone = "America/New_York"};
  const PreviewRun run = preview(options, "table");

  ASSERT_EQ(run.status, kExitOk) << run.err;
  EXPECT_NE(run.out.find("deadline:         2027-11-07T09:00:00-05:00"), std::string::npos)
      << run.out;
}

TEST(RestartPreview, DeferMovesReminderOnly) {
  RestartPreviewOptions options = berlin();
  options.defers = {"2027-03-10T14:00=1h"};
  const auto json = nlohmann::json::parse(preview(options).out);

  ASSERT_GE(json["events"].size(), 4u);
  EXPECT_EQ(json["events"][1]["kind"], "reminder");
  EXPECT_EQ(json["events"][2]["kind"], "snooze-1h");
  EXPECT_EQ(json["events"][3]["at_utc"], "2027-03-10T14:00:00Z");
  EXPECT_EQ(json["deadline_utc"], "2027-03-11T09:00:00Z");
}

TEST(RestartPreview, OfflineGivesFullCountdown) {
  RestartPreviewOptions options = berlin();
  options.offline = {"2027-03-11T08:00/2027-03-11T13:00"};  // deadline - 2 h to deadline + 3 h
  const auto json = nlohmann::json::parse(preview(options).out);

  EXPECT_EQ(json["countdown_start_utc"], "2027-03-11T12:00:00Z");
  EXPECT_EQ(json["restart_utc"], "2027-03-11T13:30:00Z");
}

TEST(RestartPreview, RejectsBadInstant) {
  RestartPreviewOptions options = berlin();
  options.installed_at = "yesterday";
  const PreviewRun run = preview(options);

  EXPECT_EQ(run.status, kExitInvalidInput);
  EXPECT_NE(run.err.find("--installed-at: \"yesterday\" is not an instant"), std::string::npos)
      << run.err;
}

TEST(RestartPreview, RejectsBadZone) {
  RestartPreviewOptions options = berlin();
  options.zone = "Mars/Olympus";
  const PreviewRun run = preview(options);

  EXPECT_EQ(run.status, kExitInvalidInput);
  EXPECT_NE(run.err.find("--tz"), std::string::npos) << run.err;
}

TEST(RestartPreview, RejectsBadDuration) {
  RestartPreviewOptions options = berlin();
  options.deadline = "soon";
  const PreviewRun run = preview(options);

  EXPECT_EQ(run.status, kExitInvalidInput);
  EXPECT_NE(run.err.find("--deadline"), std::string::npos) << run.err;
}

TEST(RestartPreview, RejectsSnoozeLength) {
  RestartPreviewOptions options = berlin();
  options.defers = {"2027-03-10T14:00=2h"};
  const PreviewRun run = preview(options);

  EXPECT_EQ(run.status, kExitInvalidInput);
  EXPECT_NE(run.err.find("a snooze lasts 1h, 4h"), std::string::npos) << run.err;
}

TEST(RestartPreview, RejectsSnoozeInCountdown) {
  RestartPreviewOptions options = berlin();
  options.defers = {"2027-03-11T09:00:00+01:00=1h"};
  const PreviewRun run = preview(options);

  EXPECT_EQ(run.status, kExitInvalidInput);
  EXPECT_NE(run.err.find("cannot be snoozed"), std::string::npos) << run.err;
}

TEST(RestartPreview, RejectsDeferAfterRestart) {
  RestartPreviewOptions options = berlin();
  options.defers = {"2027-03-12T09:00:00+01:00=1h"};
  const PreviewRun run = preview(options);

  EXPECT_EQ(run.status, kExitInvalidInput);
  EXPECT_NE(run.err.find("comes after the restart"), std::string::npos) << run.err;
}

TEST(RestartPreview, RejectsReversedOffline) {
  RestartPreviewOptions options = berlin();
  options.offline = {"2027-03-11T13:00/2027-03-11T08:00"};
  const PreviewRun run = preview(options);

  EXPECT_EQ(run.status, kExitInvalidInput);
  EXPECT_NE(run.err.find("the end must come after the start"), std::string::npos) << run.err;
}

TEST(RestartPreview, RejectsCountdownLongerThanDeadline) {
  RestartPreviewOptions options = berlin();
  options.deadline = "1h";
  const PreviewRun run = preview(options);

  EXPECT_EQ(run.status, kExitInvalidInput);
  EXPECT_NE(run.err.find("longer than --deadline"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace pk::cli
