#include "desktop/control_protocol.h"

#include <gtest/gtest.h>

namespace pk::desktop {
namespace {

using namespace std::chrono_literals;

restart::Instant utc(date::sys_days day, std::chrono::seconds time_of_day) {
  return restart::Instant(day.time_since_epoch() + time_of_day);
}

schedule::Zone berlin() {
  return *schedule::Zone::find("Europe/Berlin");
}

// 2027-03-14 09:00Z, 10:00 in Berlin.
const restart::Instant kNow = utc(date::year{2027} / 3 / 14, 9h);

TEST(ControlRequest, ParsesStatus) {
  const auto request = parseControlRequest("status\n");
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->verb, ControlVerb::kStatus);
}

TEST(ControlRequest, ParsesSnoozeSeconds) {
  const auto request = parseControlRequest("snooze 3600\n");
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->verb, ControlVerb::kSnooze);
  EXPECT_EQ(request->snooze, 3600s);
}

TEST(ControlRequest, ParsesSnoozeUntilCountdown) {
  const auto request = parseControlRequest("snooze until-countdown");
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->verb, ControlVerb::kSnoozeUntilCountdown);
}

TEST(ControlRequest, ParsesRestartAt) {
  const auto request = parseControlRequest("restart-at 1805000000\n");
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->verb, ControlVerb::kRestartAt);
  EXPECT_EQ(request->restart_at.time_since_epoch(), 1805000000s);
}

TEST(ControlRequest, ParsesRestartNow) {
  const auto request = parseControlRequest("restart-now\n");
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->verb, ControlVerb::kRestartNow);
}

TEST(ControlRequest, RejectsMalformedLines) {
  const std::vector<std::string> cases = {
      "",
      "\n",
      "reboot\n",
      "STATUS\n",
      "status now\n",
      "restart-now 5\n",
      "snooze\n",
      "snooze \n",
      "snooze -3600\n",
      "snooze 0\n",
      "snooze 1h\n",
      "snooze 36 00\n",
      "snooze 99999999999999999999\n",
      "restart-at 253402300800\n",
      "restart-at 12:00\n",
      "status\r\n",
      std::string("status\0", 7),
      "snooze 3600\n\n",
      "status\x7f",
      std::string(300, 'a'),
  };
  for (const auto& line : cases) {
    const auto request = parseControlRequest(line);
    EXPECT_FALSE(request.has_value()) << "accepted: '" << line << "'";
    if (!request) {
      EXPECT_EQ(request.error().code, ErrorCode::kMalformedInput) << line;
    }
  }
}

TEST(ControlRequest, UnknownVerbNamesIt) {
  const auto request = parseControlRequest("reboot\n");
  ASSERT_FALSE(request.has_value());
  EXPECT_NE(request.error().message.find("'reboot'"), std::string::npos);
}

TEST(ControlRequest, FormatRoundTrips) {
  const std::vector<ControlRequest> requests = {
      {.verb = ControlVerb::kStatus},
      {.verb = ControlVerb::kSnooze, .snooze = 14400s},
      {.verb = ControlVerb::kSnoozeUntilCountdown},
      {.verb = ControlVerb::kRestartNow},
      {.verb = ControlVerb::kRestartAt, .restart_at = kNow + 2h},
  };
  for (const auto& request : requests) {
    const auto line = formatControlRequest(request);
    const auto parsed = parseControlRequest(line);
    ASSERT_TRUE(parsed.has_value()) << line;
    EXPECT_EQ(parsed->verb, request.verb) << line;
    EXPECT_EQ(parsed->snooze, request.snooze) << line;
    EXPECT_EQ(parsed->restart_at, request.restart_at) << line;
  }
}

restart::RestartStatus sampleStatus() {
  restart::RestartStatus status;
  status.pending = true;
  status.required_since = kNow;
  status.deadline = kNow + 24h;
  status.restart_at = kNow + 24h;
  status.countdown_start = kNow + 24h - 90min;
  status.next_reminder = kNow + 5h;
  status.choices.push_back({.kind = restart::ChoiceKind::kSnooze,
                            .user = "alice",
                            .made_at = kNow + 1h,
                            .snooze = 4h,
                            .restart_at = {}});
  status.choices.push_back({.kind = restart::ChoiceKind::kRestartAt,
                            .user = "bob",
                            .made_at = kNow + 2h,
                            .snooze = 0s,
                            .restart_at = kNow + 20h});
  return status;
}

TEST(ControlReply, RoundTripsStatus) {
  const ControlReply reply{.ok = true, .message = "Snoozed.", .status = sampleStatus()};
  const auto parsed = parseControlReply(formatControlReply(reply));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_TRUE(parsed->ok);
  EXPECT_EQ(parsed->message, "Snoozed.");
  ASSERT_TRUE(parsed->status.has_value());
  EXPECT_EQ(parsed->status->deadline, kNow + 24h);
  EXPECT_EQ(parsed->status->next_reminder, kNow + 5h);
  ASSERT_EQ(parsed->status->choices.size(), 2U);
  EXPECT_EQ(parsed->status->choices[0].user, "alice");
  EXPECT_EQ(parsed->status->choices[0].snooze, 4h);
  EXPECT_EQ(parsed->status->choices[1].kind, restart::ChoiceKind::kRestartAt);
  EXPECT_EQ(parsed->status->choices[1].restart_at, kNow + 20h);
}

TEST(ControlReply, RoundTripsRejection) {
  const ControlReply reply{.ok = false, .message = "No.", .status = std::nullopt};
  const auto parsed = parseControlReply(formatControlReply(reply));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_FALSE(parsed->ok);
  EXPECT_FALSE(parsed->status.has_value());
}

TEST(ControlReply, RejectsOtherShapes) {
  const std::vector<std::string> cases = {
      "",
      "null",
      "[]",
      "{\"ok\":true}",
      "{\"ok\":1,\"message\":\"\",\"status\":null}",
      "{\"ok\":true,\"message\":\"\",\"status\":{\"pending\":true}}",
      R"({"ok":true,"message":"","status":{"pending":true,"in_countdown":false,"choices":[],)"
      R"("next_reminder":null,"required_since":0,"deadline":"x","restart_at":0,"countdown_start":0}})",
  };
  for (const auto& line : cases) {
    EXPECT_FALSE(parseControlReply(line).has_value()) << line;
  }
}

TEST(ControlArguments, SnoozeOneHour) {
  const auto request = requestFromArguments("snooze", "1h", berlin(), kNow);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->verb, ControlVerb::kSnooze);
  EXPECT_EQ(request->snooze, 1h);
}

TEST(ControlArguments, SnoozeIsoDuration) {
  const auto request = requestFromArguments("snooze", "PT4H", berlin(), kNow);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->snooze, 4h);
}

TEST(ControlArguments, SnoozeUntilCountdown) {
  const auto request = requestFromArguments("snooze", "until-countdown", berlin(), kNow);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->verb, ControlVerb::kSnoozeUntilCountdown);
}

TEST(ControlArguments, BadDurationExplainsForm) {
  const auto request = requestFromArguments("snooze", "soon", berlin(), kNow);
  ASSERT_FALSE(request.has_value());
  EXPECT_EQ(request.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(request.error().message,
            "The snooze duration 'soon' is invalid. Write a duration such as 1h or 4h, or "
            "until-countdown.");
}

TEST(ControlArguments, NegativeDurationRejected) {
  EXPECT_FALSE(requestFromArguments("snooze", "-1h", berlin(), kNow).has_value());
}

TEST(ControlArguments, RestartAtLaterToday) {
  const auto request = requestFromArguments("restart-at", "18:30", berlin(), kNow);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->verb, ControlVerb::kRestartAt);
  // 18:30 CET is 17:30Z.
  EXPECT_EQ(request->restart_at, utc(date::year{2027} / 3 / 14, 17h + 30min));
}

TEST(ControlArguments, RestartAtPassedTimeIsTomorrow) {
  const auto request = requestFromArguments("restart-at", "08:00", berlin(), kNow);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->restart_at, utc(date::year{2027} / 3 / 15, 7h));
}

TEST(ControlArguments, RestartAtLocalDateTime) {
  const auto request = requestFromArguments("restart-at", "2027-03-14T20:15", berlin(), kNow);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->restart_at, utc(date::year{2027} / 3 / 14, 19h + 15min));
}

TEST(ControlArguments, RestartAtUtc) {
  const auto request = requestFromArguments("restart-at", "2027-03-14T20:15:00Z", berlin(), kNow);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->restart_at, utc(date::year{2027} / 3 / 14, 20h + 15min));
}

TEST(ControlArguments, RestartAtPastRejected) {
  const auto request = requestFromArguments("restart-at", "2027-03-14T09:00", berlin(), kNow);
  ASSERT_FALSE(request.has_value());
  EXPECT_EQ(request.error().message,
            "The restart time '2027-03-14T09:00' (Sun 14 Mar 09:00 CET) is not in the future.");
}

TEST(ControlArguments, BadTimeExplainsForms) {
  const std::vector<std::string_view> cases = {
      "25:00", "9:30", "12:60", "tonight", "2027-02-30T10:00", "12:3a", ""};
  for (const auto text : cases) {
    const auto request = requestFromArguments("restart-at", text, berlin(), kNow);
    ASSERT_FALSE(request.has_value()) << text;
    EXPECT_NE(request.error().message.find("Write HH:MM"), std::string::npos) << text;
  }
}

TEST(ControlArguments, MissingArgument) {
  const auto request = requestFromArguments("snooze", std::nullopt, berlin(), kNow);
  ASSERT_FALSE(request.has_value());
  EXPECT_EQ(request.error().message,
            "The command 'snooze' needs DURATION: patchkeeper-agent snooze DURATION.");
}

TEST(ControlArguments, ExtraArgument) {
  const auto request = requestFromArguments("restart-now", "5", berlin(), kNow);
  ASSERT_FALSE(request.has_value());
  EXPECT_NE(request.error().message.find("takes no argument"), std::string::npos);
}

TEST(ControlArguments, UnknownCommand) {
  const auto request = requestFromArguments("reboot", std::nullopt, berlin(), kNow);
  ASSERT_FALSE(request.has_value());
  EXPECT_NE(request.error().message.find("'reboot' is unknown"), std::string::npos);
}

TEST(StatusText, NotPending) {
  EXPECT_EQ(formatStatusText(restart::RestartStatus{}, berlin(), kNow),
            "restart:         not required\n");
}

TEST(StatusText, ShowsLocalTimesAndChoices) {
  const auto text = formatStatusText(sampleStatus(), berlin(), kNow);
  EXPECT_NE(text.find("deadline:        Mon 15 Mar 10:00 CET\n"), std::string::npos) << text;
  EXPECT_NE(text.find("restart at:      Mon 15 Mar 10:00 CET (in 24:00:00)\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("choice:          snooze 4h by alice at Sun 14 Mar 11:00 CET\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("choice:          restart-at Mon 15 Mar 06:00 CET by bob"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace pk::desktop
