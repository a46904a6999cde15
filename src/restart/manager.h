#pragma once

// The endpoint restart manager: a pure state machine that decides when a
// pending restart is announced, reminded, counted down and carried out.
// Nothing here reads a clock, a file or the network. The caller passes a
// Reading of its clocks to every call and persists the state (state_codec.h)
// after every call that changed it, so the Windows agent reuses this file
// unchanged. Only the standard library is used.
//
// The timeline of one pending restart, with the default policy:
//
//   install finished (10:00)        kInstalled notice; deadline 10:00 the next day
//   every reminder interval (4 h)   kReminder notice, with the offers
//   restart_at - countdown (08:30)  kCountdown notice; nothing can be deferred now
//   restart_at (10:00)              restart requested
//
// restart_at is the deadline unless a user picked an earlier time. Times
// are compared on the "policy clock": the wall clock, or the install time
// plus the CLOCK_BOOTTIME time elapsed since the install within the same
// boot, whichever is later. Setting the wall clock back therefore never
// delays the restart, and a deadline is a fixed elapsed time after the
// install, whatever happens to local time (DST) on the way.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "restart/notice.h"

namespace pk::restart {

using Seconds = std::chrono::seconds;

// The endpoint restart policy, as a job carries it.
struct Policy {
  Seconds deadline = std::chrono::hours(24);     // install finished to forced restart
  Seconds countdown = std::chrono::minutes(90);  // the final countdown
  Seconds reminder = std::chrono::hours(4);      // interval between reminders
};

// Returns the policy with each field made valid: a deadline of at least one
// second, a countdown between zero and the deadline, a reminder interval of
// at least one minute.
Policy normalizedPolicy(Policy policy);

// The caller's clocks at one moment.
struct Reading {
  Instant wall{};      // the system clock, UTC
  Seconds boottime{};  // CLOCK_BOOTTIME: counts while the machine sleeps, reset at boot
  std::string boot_id{};
};

// A gap between two steps longer than this, measured on CLOCK_BOOTTIME,
// means the machine slept or the agent did not run. A countdown interrupted
// by such a gap starts again in full. The agent's loop steps at least every
// 30 seconds, so a running agent never leaves such a gap.
inline constexpr Seconds kSleepGap = std::chrono::minutes(2);

// A countdown shown at most this late still ends at restart_at, because
// the agent's loop may wake a few seconds after the countdown start.
inline constexpr Seconds kCountdownLateness = std::chrono::minutes(1);

// After a restart request that did not lead to a boot, the request is made
// again after this time.
inline constexpr Seconds kRestartRetry = std::chrono::minutes(10);

// An entry of the restart's event log: a notice shown or a choice made.
// The agent reports each to the server once, by `sequence`.
struct LogEvent {
  std::int64_t sequence = 0;  // 1, 2, 3, ... within one pending restart
  Instant at{};
  enum class Type { kNotice, kChoice, kRestartRequested } type = Type::kNotice;
  Notice notice{};  // kNotice
  Choice choice{};  // kChoice
};

// A notice that was shown, kept in the state for `patchkeeper-agent status`
// and for the record after its event went to the server.
struct ShownNotice {
  NoticeKind kind = NoticeKind::kInstalled;
  Instant at{};
};

// A job whose install requires this restart.
struct AttachedJob {
  std::string job_id{};
  Instant installed_at{};
};

// The persisted state of one pending restart. `pending` is false when no
// restart is pending; the other fields then have no meaning.
struct State {
  bool pending = false;
  Policy policy{};
  // The end of the first install that required the restart.
  Instant required_since{};
  // required_since + policy.deadline. It never moves later.
  Instant deadline{};
  // The deadline, or an earlier time a user picked.
  Instant restart_at{};
  // The boot and its CLOCK_BOOTTIME reading at the first install.
  std::string boot_id{};
  Seconds boottime_at_install{};
  // The next reminder; none once only the countdown is left.
  std::optional<Instant> next_reminder{};
  // When the countdown notice was shown, and when that countdown ends. The
  // end is restart_at, or later when the countdown could not be shown at
  // its start (the machine slept): the countdown is always shown in full.
  std::optional<Instant> countdown_shown_at{};
  std::optional<Instant> countdown_end{};
  std::optional<Instant> restart_requested_at{};
  // The CLOCK_BOOTTIME readings at which the countdown ends and the restart
  // was requested. A wall clock that jumped forward and back cannot stretch
  // either: whichever clock reaches the end first counts.
  std::optional<Seconds> countdown_end_boottime{};
  std::optional<Seconds> restart_requested_boottime{};
  bool installed_shown = false;
  // A user chose "restart now"; the next step requests the restart.
  bool restart_now = false;
  // The policy-clock instant and boottime of the last step, to find gaps.
  Instant last_step{};
  Seconds last_step_boottime{};
  std::vector<AttachedJob> jobs{};
  // Jobs of an earlier restart that a boot completed before this one
  // began (an install right after the boot, before the agent verified
  // them). The agent verifies them, then removes them.
  std::vector<AttachedJob> earlier_boot_jobs{};
  std::vector<Choice> choices{};
  std::vector<ShownNotice> notices{};
  std::vector<LogEvent> events{};
  std::int64_t next_sequence = 1;
  // A random id chosen by the agent when the restart became pending; the
  // server identifies the events of this restart by it and `sequence`.
  std::string series_id{};
};

// The actions a step requires of the caller.
struct StepResult {
  // Notices to show, in order; the channel keeps the last one on screen.
  std::vector<Notice> show{};
  // Request the restart now (the restart time, or a user's "restart now").
  bool restart = false;
  // A boot happened since the install: verify the attached jobs, then call
  // clear() and remove every notice.
  bool rebooted = false;
  // The next time, on the policy clock, at which step() has work; none when
  // nothing is pending.
  std::optional<Instant> next_event{};
};

// Returns the start of the final countdown for `state`: restart_at minus
// the countdown length.
Instant countdownStart(const State& state);

class RestartManager {
 public:
  RestartManager() = default;
  explicit RestartManager(State state) : state_(std::move(state)) {}

  const State& state() const { return state_; }

  // Returns the policy clock at `reading`: the wall clock, or the install
  // time plus the boottime elapsed since the install within the same boot,
  // whichever is later. Without a pending restart, the wall clock.
  Instant policyNow(const Reading& reading) const;

  // Records that job `job_id` finished installing at `reading` and needs a
  // restart. The first such install starts the pending restart: the
  // deadline is the policy clock now plus `policy.deadline`, and the
  // kInstalled notice is due at once (call step()). A later install while
  // a restart is pending only attaches its job: the deadline and policy
  // stay. An install after a boot that completed the pending restart
  // starts a new one; the earlier jobs move to earlier_boot_jobs, and the
  // events not yet reported keep their series and numbers. `series_id`
  // names the new restart's events when none are kept. Attaching a job
  // twice changes nothing.
  void attach(const std::string& job_id, const Policy& policy, const Reading& reading,
              const std::string& series_id);

  // Advances the machine to `reading`: shows the notices that are due, and
  // requests the restart when its time came. Call it at next_event, and at
  // least every 30 seconds, so that kSleepGap can detect sleep.
  StepResult step(const Reading& reading);

  // Applies a user's choice made at `reading`. A rejected choice returns a
  // message with the reason. Rejected are: any choice when no restart is
  // pending, a snooze or a restart time during the final countdown, a
  // snooze other than 1 h or 4 h, and a restart time in the past, sooner
  // than one countdown from now, or later than the current restart time.
  // "Restart now" is always applied, and the next step() requests it.
  ChoiceSink::Outcome apply(const Choice& choice, const Reading& reading);

  // Returns the notice that should be on screen now: the last one shown,
  // as it was shown (the countdown with its end, a reminder with its
  // offers). Neither logs an event nor changes the state, so the agent
  // shows it again after it restarted or when a user logs in. Nullopt when
  // nothing is pending or nothing was shown yet.
  std::optional<Notice> currentNotice() const;

  // Returns `notice` as users should see it at `reading`: its deadline,
  // restart time and countdown start moved from the policy clock onto the
  // wall clock, so that "restarts at" and the time left name when the
  // restart will really happen, also after the wall clock was set back or
  // forward. During the countdown, its end on CLOCK_BOOTTIME counts when
  // it comes first. shown_at stays on the policy clock: it names the notice.
  Notice forDisplay(Notice notice, const Reading& reading) const;

  // Returns the status that `patchkeeper-agent status` prints.
  RestartStatus status() const;

  // Forgets the pending restart, after the boot that completed it.
  void clear() { state_ = State{}; }

  // Returns the events after sequence `after`, oldest first.
  std::vector<LogEvent> eventsAfter(std::int64_t after) const;

  // Forgets earlier_boot_jobs once they were verified.
  void forgetEarlierBootJobs() { state_.earlier_boot_jobs.clear(); }

  // Drops the events up to sequence `through`, once the server stored them.
  void forgetEventsThrough(std::int64_t through);

 private:
  void log(LogEvent event);
  Notice makeNotice(NoticeKind kind, Instant at) const;
  Notice showNotice(NoticeKind kind, Instant at, StepResult& result);
  void requestRestart(Instant at, Seconds boottime, StepResult& result);
  std::optional<Instant> nextEvent() const;

  State state_{};
};

// The maximum number of notices State::notices keeps; older ones are
// dropped there, like choices.
inline constexpr std::size_t kMaxKeptNotices = 100;

// The maximum number of choices State::choices keeps. Older ones are
// dropped there, but the event log sent to the server still has them.
inline constexpr std::size_t kMaxKeptChoices = 100;

// Returns the notice kind's name: "installed", "reminder", "countdown" or
// "restarting".
std::string_view noticeKindName(NoticeKind kind);
std::optional<NoticeKind> parseNoticeKind(std::string_view name);

// Returns the offer's name: "restart-now", "restart-at", "snooze-1h",
// "snooze-4h" or "snooze-until-countdown".
std::string_view offerName(Offer offer);
std::optional<Offer> parseOffer(std::string_view name);

// Returns the choice kind's name: "snooze", "snooze-until-countdown",
// "restart-now" or "restart-at".
std::string_view choiceKindName(ChoiceKind kind);
std::optional<ChoiceKind> parseChoiceKind(std::string_view name);

// Formats `at` as RFC 3339 UTC with whole seconds, "2027-03-28T10:00:00Z".
// Messages from the manager name UTC instants; channels show local time.
std::string formatInstant(Instant at);

}  // namespace pk::restart
