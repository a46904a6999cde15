#include "protocol/restart_report.h"

#include <gtest/gtest.h>

namespace pk::protocol {
namespace {

const std::string kSeries = "0123456789abcdef0123456789abcdef";

nlohmann::json pendingReport() {
  return {{"pending", true},
          {"required_since", "2027-03-10T10:00:00Z"},
          {"deadline", "2027-03-11T10:00:00Z"},
          {"restart_at", "2027-03-11T10:00:00Z"},
          {"countdown_start", "2027-03-11T08:30:00Z"},
          {"job_ids", {"j-0000000000000abc"}},
          {"events",
           {{{"event_id", kSeries + "-1"},
             {"at", "2027-03-10T10:00:00Z"},
             {"type", "notice"},
             {"notice", "installed"},
             {"offered", {"restart-now", "snooze-1h"}}},
            {{"event_id", kSeries + "-2"},
             {"at", "2027-03-10T11:00:00Z"},
             {"type", "choice"},
             {"choice", "snooze"},
             {"user", "alice"},
             {"snooze_seconds", 3600}}}}};
}

std::string errorOf(const nlohmann::json& body) {
  auto parsed = parseRestartReport(body.dump());
  return parsed ? "" : parsed.error().message;
}

TEST(RestartReport, ParsesPendingReport) {
  auto report = parseRestartReport(pendingReport().dump());
  ASSERT_TRUE(report) << report.error().message;

  EXPECT_TRUE(report->pending);
  EXPECT_EQ(formatRfc3339(*report->deadline), "2027-03-11T10:00:00Z");
  ASSERT_EQ(report->events.size(), 2u);
  EXPECT_EQ(report->events[0].type, RestartEventType::kNotice);
  EXPECT_EQ(report->events[0].offered.size(), 2u);
  EXPECT_EQ(report->events[1].user, "alice");
  EXPECT_EQ(report->events[1].snooze_seconds, 3600);
}

TEST(RestartReport, RoundTrips) {
  auto report = parseRestartReport(pendingReport().dump());
  ASSERT_TRUE(report);
  auto again = parseRestartReport(toJson(*report).dump());
  ASSERT_TRUE(again) << again.error().message;

  EXPECT_EQ(toJson(*again), toJson(*report));
}

TEST(RestartReport, RejectsPendingWithoutDeadline) {
  nlohmann::json body = pendingReport();
  body.erase("deadline");

  EXPECT_NE(errorOf(body).find("\"deadline\" is missing"), std::string::npos) << errorOf(body);
}

TEST(RestartReport, AcceptsRestartLongAfterDeadline) {
  // The machine slept eight days past its deadline; the full countdown
  // follows its waking.
  nlohmann::json body = pendingReport();
  body["restart_at"] = "2027-03-19T11:30:00Z";
  body["countdown_start"] = "2027-03-19T10:00:00Z";

  EXPECT_EQ(errorOf(body), "");
}

TEST(RestartReport, RejectsRestartBeforeInstall) {
  nlohmann::json body = pendingReport();
  body["restart_at"] = "2027-03-10T09:00:00Z";

  EXPECT_NE(errorOf(body).find("restart_at"), std::string::npos) << errorOf(body);
}

TEST(RestartReport, RejectsCountdownAfterRestart) {
  nlohmann::json body = pendingReport();
  body["countdown_start"] = "2027-03-11T10:30:00Z";

  EXPECT_NE(errorOf(body).find("\"countdown_start\" is later than restart_at"), std::string::npos)
      << errorOf(body);
}

TEST(RestartReport, RejectsReminderDuringCountdown) {
  nlohmann::json body = pendingReport();
  body["in_countdown"] = true;
  body["next_reminder"] = "2027-03-11T09:00:00Z";

  EXPECT_NE(errorOf(body).find("\"next_reminder\" is set during the countdown"), std::string::npos)
      << errorOf(body);
}

TEST(RestartReport, RejectsRestartedWhilePending) {
  nlohmann::json body = pendingReport();
  body["restarted_at"] = "2027-03-11T10:05:00Z";

  EXPECT_NE(errorOf(body).find("\"restarted_at\" is set while the restart is pending"),
            std::string::npos)
      << errorOf(body);
}

TEST(RestartReport, RejectsDeadlineWithoutPendingRestart) {
  nlohmann::json body = pendingReport();
  body["pending"] = false;

  EXPECT_NE(errorOf(body).find("is set while no restart is pending"), std::string::npos)
      << errorOf(body);
}

TEST(RestartReport, RejectsCountdownWithoutPendingRestart) {
  const nlohmann::json body{{"pending", false},
                            {"in_countdown", true},
                            {"restarted_at", "2027-03-11T10:05:00Z"},
                            {"job_ids", nlohmann::json::array()},
                            {"events", nlohmann::json::array()}};

  EXPECT_NE(errorOf(body).find("\"in_countdown\" is true while no restart is pending"),
            std::string::npos)
      << errorOf(body);
}

TEST(RestartReport, AcceptsFinalReportAfterBoot) {
  const nlohmann::json body{{"pending", false},
                            {"restarted_at", "2027-03-11T10:05:00Z"},
                            {"job_ids", {"j-0000000000000abc"}},
                            {"events", nlohmann::json::array()}};

  EXPECT_EQ(errorOf(body), "");
}

TEST(RestartReport, RejectsBadEventId) {
  nlohmann::json body = pendingReport();
  body["events"][0]["event_id"] = kSeries + "-01";

  EXPECT_NE(errorOf(body).find("events[0].event_id"), std::string::npos) << errorOf(body);
}

TEST(RestartReport, RejectsUnknownNotice) {
  nlohmann::json body = pendingReport();
  body["events"][0]["notice"] = "popup";

  EXPECT_NE(errorOf(body).find("is not a notice kind"), std::string::npos) << errorOf(body);
}

TEST(RestartReport, RejectsUnknownOffer) {
  nlohmann::json body = pendingReport();
  body["events"][0]["offered"] = {"dismiss"};

  EXPECT_NE(errorOf(body).find("events[0].offered[0]"), std::string::npos) << errorOf(body);
}

TEST(RestartReport, RejectsChoiceWithoutUser) {
  nlohmann::json body = pendingReport();
  body["events"][1].erase("user");

  EXPECT_NE(errorOf(body).find("events[1].user"), std::string::npos) << errorOf(body);
}

TEST(RestartReport, RejectsControlCharacterInUser) {
  nlohmann::json body = pendingReport();
  body["events"][1]["user"] = "alice\nbob";

  EXPECT_NE(errorOf(body).find("control character"), std::string::npos) << errorOf(body);
}

TEST(RestartReport, RejectsSnoozeWithoutLength) {
  nlohmann::json body = pendingReport();
  body["events"][1].erase("snooze_seconds");

  EXPECT_NE(errorOf(body).find("snooze_seconds"), std::string::npos) << errorOf(body);
}

TEST(RestartReport, RejectsBadJobId) {
  nlohmann::json body = pendingReport();
  body["job_ids"] = {"job-1"};

  EXPECT_NE(errorOf(body).find("job_ids[0]"), std::string::npos) << errorOf(body);
}

TEST(RestartReport, RejectsTooManyEvents) {
  nlohmann::json body = pendingReport();
  nlohmann::json events = nlohmann::json::array();
  for (std::size_t i = 1; i <= kMaxRestartEvents + 1; ++i) {
    events.push_back({{"event_id", kSeries + "-" + std::to_string(i)},
                      {"at", "2027-03-10T10:00:00Z"},
                      {"type", "restart_requested"}});
  }
  body["events"] = events;

  EXPECT_NE(errorOf(body).find("more than the limit"), std::string::npos) << errorOf(body);
}

TEST(RestartReport, RejectsInvalidJson) {
  auto parsed = parseRestartReport("{");

  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::kMalformedInput);
}

TEST(RestartEventId, AcceptsSeriesAndSequence) {
  EXPECT_TRUE(isRestartEventId(kSeries + "-1"));
  EXPECT_TRUE(isRestartEventId(kSeries + "-123456789012345678"));
}

TEST(RestartEventId, RejectsMalformed) {
  EXPECT_FALSE(isRestartEventId(kSeries));
  EXPECT_FALSE(isRestartEventId(kSeries + "-0"));
  EXPECT_FALSE(isRestartEventId(kSeries + "-1234567890123456789"));
  EXPECT_FALSE(isRestartEventId("0123456789ABCDEF0123456789abcdef-1"));
  EXPECT_FALSE(isRestartEventId(kSeries + "-1a"));
}

}  // namespace
}  // namespace pk::protocol
