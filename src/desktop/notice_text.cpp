#include "desktop/notice_text.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

namespace pk::desktop {
namespace {

using restart::NoticeKind;
using restart::Offer;

// Returns the zone abbreviation at `instant`: "CET", "EDT", or a number
// such as "+0530" where the tz database has no letters for the zone.
std::string zoneAbbreviation(restart::Instant instant, const schedule::Zone& zone) {
  const auto* tz = date::locate_zone(zone.name());
  return tz->get_info(instant).abbrev;
}

std::string restartSentence(const restart::Notice& notice, const schedule::Zone& zone) {
  if (notice.restart_at < notice.deadline) {
    return fmt::format("The computer restarts at {}, the time you picked (the latest is {}).",
                       formatLocalTime(notice.restart_at, zone),
                       formatLocalTime(notice.deadline, zone));
  }
  return fmt::format("The computer restarts at {} at the latest.",
                     formatLocalTime(notice.restart_at, zone));
}

bool offers(const restart::Notice& notice, Offer offer) {
  for (const auto offered : notice.offered) {
    if (offered == offer) return true;
  }
  return false;
}

}  // namespace

std::string formatLocalTime(restart::Instant instant, const schedule::Zone& zone) {
  const auto local = zone.toLocal(pk::SystemTime(instant));
  return fmt::format("{} {}", date::format("%a %d %b %H:%M", local),
                     zoneAbbreviation(instant, zone));
}

std::string formatRemaining(std::chrono::seconds remaining) {
  const long long total = remaining.count() < 0 ? 0 : remaining.count();
  return fmt::format("{}:{:02}:{:02}", total / 3600, total / 60 % 60, total % 60);
}

std::string formatCountdownTitle(std::chrono::seconds remaining) {
  return "Restart in " + formatRemaining(remaining);
}

NoticeText formatDesktopNotice(const restart::Notice& notice, const schedule::Zone& zone) {
  NoticeText text;
  switch (notice.kind) {
    case NoticeKind::kInstalled:
      text.summary = "Updates were installed";
      text.body = "Security updates were installed and take effect after a restart. " +
                  restartSentence(notice, zone);
      break;
    case NoticeKind::kReminder:
      text.summary = "Restart required";
      text.body = "Security updates take effect after a restart. " + restartSentence(notice, zone);
      break;
    case NoticeKind::kCountdown:
      text.summary = "Restart soon";
      text.body = fmt::format(
          "The computer restarts at {} to finish installing security updates. Save your work. "
          "This restart cannot be postponed.",
          formatLocalTime(notice.restart_at, zone));
      text.urgency = Urgency::kCritical;
      break;
    case NoticeKind::kRestarting:
      text.summary = "Restarting now";
      text.body = "The computer restarts now to finish installing security updates.";
      text.urgency = Urgency::kCritical;
      break;
  }

  if (notice.kind == NoticeKind::kCountdown || notice.kind == NoticeKind::kRestarting) {
    return text;
  }
  if (offers(notice, Offer::kRestartNow)) {
    text.actions.push_back({std::string(kActionRestartNow), "Restart now"});
  }
  if (offers(notice, Offer::kSnooze1h)) {
    text.actions.push_back({std::string(kActionSnooze1h), "Snooze 1 h"});
  }
  if (offers(notice, Offer::kSnooze4h)) {
    text.actions.push_back({std::string(kActionSnooze4h), "Snooze 4 h"});
  }
  if (offers(notice, Offer::kSnoozeUntilCountdown)) {
    text.actions.push_back(
        {std::string(kActionSnoozeUntilCountdown),
         fmt::format("Snooze until {}", formatLocalTime(notice.countdown_start, zone))});
  }
  if (offers(notice, Offer::kRestartAt)) {
    text.body += " To restart earlier at a time you pick, run: patchkeeper-agent restart-at HH:MM";
  }
  return text;
}

std::string formatTerminalNotice(const restart::Notice& notice, const schedule::Zone& zone) {
  const auto desktop = formatDesktopNotice(notice, zone);
  std::string message = "patchkeeper: " + desktop.summary + "\n" + desktop.body + "\n";
  if (!notice.offered.empty()) {
    message +=
        "Commands: patchkeeper-agent status | snooze 1h | snooze 4h | snooze until-countdown "
        "| restart-now | restart-at HH:MM\n";
  }
  return message;
}

std::optional<restart::Choice> choiceForAction(std::string_view key, std::string_view user,
                                               restart::Instant now) {
  restart::Choice choice;
  choice.user = std::string(user);
  choice.made_at = now;
  if (key == kActionRestartNow) {
    choice.kind = restart::ChoiceKind::kRestartNow;
  } else if (key == kActionSnooze1h) {
    choice.kind = restart::ChoiceKind::kSnooze;
    choice.snooze = std::chrono::hours(1);
  } else if (key == kActionSnooze4h) {
    choice.kind = restart::ChoiceKind::kSnooze;
    choice.snooze = std::chrono::hours(4);
  } else if (key == kActionSnoozeUntilCountdown) {
    choice.kind = restart::ChoiceKind::kSnoozeUntilCountdown;
  } else {
    return std::nullopt;
  }
  return choice;
}

}  // namespace pk::desktop
