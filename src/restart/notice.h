#pragma once

// The contract between the endpoint restart manager and the ways it
// reaches users. The manager decides what to show and when. A
// NoticeChannel shows it in desktop notifications, the countdown window or
// terminal messages. Users reply through notification actions or the
// agent's local socket, which hand their Choice to a ChoiceSink.
//
// Only the standard library is used here, so the Windows agent includes
// this header unchanged. Instants are UTC; channels format them in local
// time for display only.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pk::restart {

using Instant = std::chrono::sys_seconds;

enum class NoticeKind {
  kInstalled,   // updates were installed; the machine restarts by the deadline
  kReminder,    // a periodic reminder before the final countdown
  kCountdown,   // the final countdown: cannot be closed, snoozed or deferred
  kRestarting,  // the restart is being requested now
};

// An action a user may take from a notice shown before the final countdown.
enum class Offer {
  kRestartNow,
  kRestartAt,  // pick an earlier restart time
  kSnooze1h,
  kSnooze4h,
  kSnoozeUntilCountdown,
};

struct Notice {
  NoticeKind kind = NoticeKind::kInstalled;
  Instant shown_at{};
  // The latest restart the policy allows. It never moves later.
  Instant deadline{};
  // When the restart comes: the deadline, or an earlier time a user picked.
  Instant restart_at{};
  // When the final countdown begins: restart_at minus the countdown length.
  Instant countdown_start{};
  // Empty for kCountdown and kRestarting.
  std::vector<Offer> offered{};
};

enum class ChoiceKind { kSnooze, kSnoozeUntilCountdown, kRestartNow, kRestartAt };

struct Choice {
  ChoiceKind kind = ChoiceKind::kSnooze;
  // The login name of the user who chose, from SO_PEERCRED or the session
  // that owns the notification.
  std::string user{};
  Instant made_at{};
  // kSnooze only: how long the reminder is put off (1 h or 4 h).
  std::chrono::seconds snooze{0};
  // kRestartAt only: the restart time picked, earlier than the deadline.
  Instant restart_at{};
};

// The restart state that `patchkeeper-agent status` prints and the server receives.
struct RestartStatus {
  bool pending = false;
  Instant required_since{};
  Instant deadline{};
  Instant restart_at{};
  Instant countdown_start{};
  std::optional<Instant> next_reminder{};
  bool in_countdown = false;
  std::vector<Choice> choices{};
};

// Shows notices to every logged-in user. Implementations must not block
// for long: the manager calls them from its own loop.
class NoticeChannel {
 public:
  virtual ~NoticeChannel() = default;
  // Shows a notice; a new notice replaces the one shown before. For
  // kCountdown the channel keeps a countdown window on screen, counting
  // down to notice.restart_at, until clear() is called.
  virtual void show(const Notice& notice) = 0;
  // Called at every step of the manager's loop with the notice that should
  // be on screen: shows it in login sessions that began since it was shown
  // (a notification, and the countdown window during the countdown),
  // leaving sessions that already have it alone. The default does nothing,
  // for channels that reach no sessions.
  virtual void keepShown(const Notice& current) { (void)current; }
  // Removes every notice and countdown window, once no restart is pending.
  virtual void clear() = 0;
};

// Takes users' choices. Thread-safe: notification actions and the local
// socket call it from their own threads.
class ChoiceSink {
 public:
  virtual ~ChoiceSink() = default;
  // Applies a choice and returns the status after it. When the choice is not
  // applied, the message gives the reason, for example a snooze during the
  // final countdown or a restart time after the deadline.
  struct Outcome {
    bool applied = false;
    std::string message{};
    RestartStatus status{};
  };
  virtual Outcome apply(const Choice& choice) = 0;
  virtual RestartStatus status() const = 0;
};

}  // namespace pk::restart
