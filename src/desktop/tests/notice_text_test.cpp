#include "desktop/notice_text.h"

#include <gtest/gtest.h>

namespace pk::desktop {
namespace {

using namespace std::chrono_literals;
using restart::Notice;
using restart::NoticeKind;
using restart::Offer;

restart::Instant utc(date::sys_days day, std::chrono::seconds time_of_day) {
  return restart::Instant(day.time_since_epoch() + time_of_day);
}

schedule::Zone zoneNamed(std::string_view name) {
  return *schedule::Zone::find(name);
}

Notice installedNotice() {
  Notice notice;
  notice.kind = NoticeKind::kInstalled;
  // 2027-03-14 09:00Z: 10:00 in Berlin (CET); the deadline is the next day.
  notice.shown_at = utc(date::year{2027} / 3 / 14, 9h);
  notice.deadline = utc(date::year{2027} / 3 / 15, 9h);
  notice.restart_at = notice.deadline;
  notice.countdown_start = notice.deadline - 90min;
  notice.offered = {Offer::kRestartNow, Offer::kRestartAt, Offer::kSnooze1h, Offer::kSnooze4h,
                    Offer::kSnoozeUntilCountdown};
  return notice;
}

std::vector<std::string> actionKeys(const NoticeText& text) {
  std::vector<std::string> keys;
  for (const auto& action : text.actions) keys.push_back(action.key);
  return keys;
}

TEST(NoticeText, LocalTimeInBerlin) {
  EXPECT_EQ(formatLocalTime(utc(date::year{2027} / 3 / 15, 9h), zoneNamed("Europe/Berlin")),
            "Mon 15 Mar 10:00 CET");
}

TEST(NoticeText, LocalTimeAfterDstChange) {
  // New York moved to EDT on 2027-03-14: 13:00Z is 09:00 local.
  EXPECT_EQ(formatLocalTime(utc(date::year{2027} / 3 / 15, 13h), zoneNamed("America/New_York")),
            "Mon 15 Mar 09:00 EDT");
}

TEST(NoticeText, LocalTimeBeforeDstChange) {
  EXPECT_EQ(formatLocalTime(utc(date::year{2027} / 3 / 13, 13h), zoneNamed("America/New_York")),
            "Sat 13 Mar 08:00 EST");
}

TEST(NoticeText, RemainingTime) {
  EXPECT_EQ(formatRemaining(90min), "1:30:00");
  EXPECT_EQ(formatRemaining(5399s), "1:29:59");
  EXPECT_EQ(formatRemaining(59s), "0:00:59");
  EXPECT_EQ(formatRemaining(-5s), "0:00:00");
  EXPECT_EQ(formatRemaining(26h), "26:00:00");
}

TEST(NoticeText, CountdownTitle) {
  EXPECT_EQ(formatCountdownTitle(3600s), "Restart in 1:00:00");
}

TEST(NoticeText, InstalledNoticeShowsDeadline) {
  const auto text = formatDesktopNotice(installedNotice(), zoneNamed("Europe/Berlin"));
  EXPECT_EQ(text.summary, "Updates were installed");
  EXPECT_NE(text.body.find("restarts at Mon 15 Mar 10:00 CET at the latest"), std::string::npos)
      << text.body;
  EXPECT_EQ(text.urgency, Urgency::kNormal);
}

TEST(NoticeText, InstalledNoticeCarriesActions) {
  const auto text = formatDesktopNotice(installedNotice(), zoneNamed("Europe/Berlin"));
  const std::vector<std::string> expected = {"restart-now", "snooze-1h", "snooze-4h",
                                             "snooze-until-countdown"};
  EXPECT_EQ(actionKeys(text), expected);
  ASSERT_EQ(text.actions.size(), 4U);
  EXPECT_EQ(text.actions[1].label, "Snooze 1 h");
  EXPECT_EQ(text.actions[3].label, "Snooze until Mon 15 Mar 08:30 CET");
}

TEST(NoticeText, RestartAtOfferNamesCommand) {
  const auto text = formatDesktopNotice(installedNotice(), zoneNamed("Europe/Berlin"));
  EXPECT_NE(text.body.find("patchkeeper-agent restart-at HH:MM"), std::string::npos);
}

TEST(NoticeText, OnlyOfferedActionsAppear) {
  auto notice = installedNotice();
  notice.kind = NoticeKind::kReminder;
  notice.offered = {Offer::kRestartNow, Offer::kSnooze1h};
  const auto text = formatDesktopNotice(notice, zoneNamed("UTC"));
  const std::vector<std::string> expected = {"restart-now", "snooze-1h"};
  EXPECT_EQ(actionKeys(text), expected);
  EXPECT_EQ(text.body.find("restart-at"), std::string::npos);
}

TEST(NoticeText, PickedTimeIsShown) {
  auto notice = installedNotice();
  notice.kind = NoticeKind::kReminder;
  notice.restart_at = notice.deadline - 6h;
  const auto text = formatDesktopNotice(notice, zoneNamed("Europe/Berlin"));
  EXPECT_NE(text.body.find("restarts at Mon 15 Mar 04:00 CET, the time you picked"),
            std::string::npos)
      << text.body;
}

TEST(NoticeText, CountdownIsCriticalWithoutActions) {
  auto notice = installedNotice();
  notice.kind = NoticeKind::kCountdown;
  // A countdown notice never offers anything; even a stray offer shows no button.
  const auto text = formatDesktopNotice(notice, zoneNamed("Europe/Berlin"));
  EXPECT_EQ(text.urgency, Urgency::kCritical);
  EXPECT_TRUE(text.actions.empty());
  EXPECT_NE(text.body.find("cannot be postponed"), std::string::npos);
}

TEST(NoticeText, RestartingIsCritical) {
  auto notice = installedNotice();
  notice.kind = NoticeKind::kRestarting;
  notice.offered.clear();
  EXPECT_EQ(formatDesktopNotice(notice, zoneNamed("UTC")).urgency, Urgency::kCritical);
}

TEST(NoticeText, TerminalNoticeListsCommands) {
  const auto message = formatTerminalNotice(installedNotice(), zoneNamed("Europe/Berlin"));
  EXPECT_TRUE(message.starts_with("patchkeeper: Updates were installed\n")) << message;
  EXPECT_NE(message.find("patchkeeper-agent status | snooze 1h"), std::string::npos);
}

TEST(NoticeText, TerminalCountdownHasNoCommands) {
  auto notice = installedNotice();
  notice.kind = NoticeKind::kCountdown;
  notice.offered.clear();
  const auto message = formatTerminalNotice(notice, zoneNamed("UTC"));
  EXPECT_EQ(message.find("Commands:"), std::string::npos);
}

TEST(NoticeText, SnoozeActionBecomesChoice) {
  const auto now = utc(date::year{2027} / 3 / 14, 10h);
  const auto choice = choiceForAction("snooze-1h", "alice", now);
  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->kind, restart::ChoiceKind::kSnooze);
  EXPECT_EQ(choice->snooze, 1h);
  EXPECT_EQ(choice->user, "alice");
  EXPECT_EQ(choice->made_at, now);
}

TEST(NoticeText, EveryActionMapsToItsChoice) {
  const auto now = utc(date::year{2027} / 3 / 14, 10h);
  EXPECT_EQ(choiceForAction("snooze-4h", "a", now)->snooze, 4h);
  EXPECT_EQ(choiceForAction("restart-now", "a", now)->kind, restart::ChoiceKind::kRestartNow);
  EXPECT_EQ(choiceForAction("snooze-until-countdown", "a", now)->kind,
            restart::ChoiceKind::kSnoozeUntilCountdown);
}

TEST(NoticeText, DefaultActionIsNoChoice) {
  const auto now = utc(date::year{2027} / 3 / 14, 10h);
  EXPECT_FALSE(choiceForAction("default", "alice", now).has_value());
  EXPECT_FALSE(choiceForAction("snooze-99h", "alice", now).has_value());
}

}  // namespace
}  // namespace pk::desktop
