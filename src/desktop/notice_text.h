#pragma once

// The words of restart notices: desktop notification summaries, bodies and
// action labels, terminal (wall) messages, and the countdown window's
// remaining time. Instants arrive in UTC and are shown in the zone given.
// All functions are pure and thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "restart/notice.h"
#include "schedule/zone.h"

namespace pk::desktop {

// The freedesktop notification urgency levels (the "urgency" hint).
enum class Urgency : unsigned char { kLow = 0, kNormal = 1, kCritical = 2 };

// One notification action: the key sent back in ActionInvoked and its label.
struct NoticeAction {
  std::string key;
  std::string label;
};

// A desktop notification ready to send.
struct NoticeText {
  std::string summary;
  std::string body;
  std::vector<NoticeAction> actions;
  Urgency urgency = Urgency::kNormal;
};

// The action keys that notifications carry, one per restart::Offer that a
// notification button can express.
inline constexpr std::string_view kActionRestartNow = "restart-now";
inline constexpr std::string_view kActionSnooze1h = "snooze-1h";
inline constexpr std::string_view kActionSnooze4h = "snooze-4h";
inline constexpr std::string_view kActionSnoozeUntilCountdown = "snooze-until-countdown";

// Formats an instant as the local time a user reads: "Tue 14 Mar 15:00 CET".
std::string formatLocalTime(restart::Instant instant, const schedule::Zone& zone);

// Formats a remaining time as "H:MM:SS" ("1:29:59"); negative times are "0:00:00".
std::string formatRemaining(std::chrono::seconds remaining);

// Builds the desktop notification for `notice`. Notices before the final
// countdown carry one action for each offer except kRestartAt, which has no
// button because a notification cannot ask for a time: its body names the
// `patchkeeper-agent restart-at` command instead. kCountdown and kRestarting
// notices are critical, so that do-not-disturb modes still show them.
NoticeText formatDesktopNotice(const restart::Notice& notice, const schedule::Zone& zone);

// Builds the message sent to terminal sessions with wall, one line per fact.
std::string formatTerminalNotice(const restart::Notice& notice, const schedule::Zone& zone);

// Turns an action key from ActionInvoked into the choice it selects,
// made by `user` at `now`. Returns nullopt for "default" (a click on the
// notification itself) and for unknown keys.
std::optional<restart::Choice> choiceForAction(std::string_view key, std::string_view user,
                                               restart::Instant now);

// The countdown window's title for `remaining` time: "Restart in 1:29:59".
std::string formatCountdownTitle(std::chrono::seconds remaining);

}  // namespace pk::desktop
