#include "restart/manager.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

namespace pk::restart {
namespace {

constexpr Seconds kMinReminder = std::chrono::minutes(1);
constexpr Seconds kOneHour = std::chrono::hours(1);
constexpr Seconds kFourHours = std::chrono::hours(4);

}  // namespace

std::string formatInstant(Instant at) {
  const auto day = std::chrono::floor<std::chrono::days>(at);
  const std::chrono::year_month_day date{day};
  const std::chrono::hh_mm_ss time{at - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()));
  return text;
}

namespace {

ChoiceSink::Outcome rejected(std::string message, RestartStatus status) {
  return {.applied = false, .message = std::move(message), .status = std::move(status)};
}

}  // namespace

Policy normalizedPolicy(Policy policy) {
  policy.deadline = std::max(policy.deadline, Seconds(1));
  policy.countdown = std::clamp(policy.countdown, Seconds(0), policy.deadline);
  policy.reminder = std::max(policy.reminder, kMinReminder);
  return policy;
}

Instant countdownStart(const State& state) {
  return state.restart_at - state.policy.countdown;
}

Instant RestartManager::policyNow(const Reading& reading) const {
  if (!state_.pending || reading.boot_id != state_.boot_id ||
      reading.boottime < state_.boottime_at_install) {
    return reading.wall;
  }
  // Within the boot of the install, CLOCK_BOOTTIME measures the true time
  // since the install even when someone set the wall clock back.
  const Instant by_elapsed =
      state_.required_since + (reading.boottime - state_.boottime_at_install);
  return std::max(reading.wall, by_elapsed);
}

void RestartManager::attach(const std::string& job_id, const Policy& policy, const Reading& reading,
                            const std::string& series_id) {
  const Instant now = policyNow(reading);
  const bool known = std::any_of(state_.jobs.begin(), state_.jobs.end(),
                                 [&](const AttachedJob& job) { return job.job_id == job_id; });
  const bool rebooted = state_.pending && reading.boot_id != state_.boot_id;
  if (state_.pending && !rebooted) {
    if (!known) state_.jobs.push_back({.job_id = job_id, .installed_at = now});
    return;
  }

  State fresh;
  fresh.pending = true;
  fresh.policy = normalizedPolicy(policy);
  fresh.required_since = now;
  fresh.deadline = now + fresh.policy.deadline;
  fresh.restart_at = fresh.deadline;
  fresh.boot_id = reading.boot_id;
  fresh.boottime_at_install = reading.boottime;
  fresh.next_reminder = now + fresh.policy.reminder;
  fresh.last_step = now;
  fresh.last_step_boottime = reading.boottime;
  fresh.jobs.push_back({.job_id = job_id, .installed_at = now});
  fresh.series_id = series_id;
  if (rebooted) {
    // The boot completed the earlier restart: its jobs wait for
    // verification, and its unreported events keep their ids.
    fresh.earlier_boot_jobs = std::move(state_.earlier_boot_jobs);
    fresh.earlier_boot_jobs.insert(fresh.earlier_boot_jobs.end(), state_.jobs.begin(),
                                   state_.jobs.end());
    fresh.events = std::move(state_.events);
    fresh.next_sequence = state_.next_sequence;
    fresh.series_id = state_.series_id;
  }
  state_ = std::move(fresh);
}

void RestartManager::log(LogEvent event) {
  event.sequence = state_.next_sequence++;
  state_.events.push_back(std::move(event));
}

Notice RestartManager::makeNotice(NoticeKind kind, Instant at) const {
  Notice notice{.kind = kind,
                .shown_at = at,
                .deadline = state_.deadline,
                .restart_at = state_.restart_at,
                .countdown_start = countdownStart(state_)};
  if (state_.countdown_shown_at && state_.countdown_end) {
    notice.restart_at = *state_.countdown_end;
    notice.countdown_start = *state_.countdown_shown_at;
  }
  const bool before_countdown = !state_.countdown_shown_at && at < countdownStart(state_);
  if (before_countdown && (kind == NoticeKind::kInstalled || kind == NoticeKind::kReminder)) {
    notice.offered = {Offer::kRestartNow, Offer::kRestartAt, Offer::kSnooze1h, Offer::kSnooze4h,
                      Offer::kSnoozeUntilCountdown};
  }
  return notice;
}

std::optional<Notice> RestartManager::currentNotice() const {
  if (!state_.pending || state_.notices.empty()) return std::nullopt;
  const ShownNotice& last = state_.notices.back();
  return makeNotice(last.kind, last.at);
}

Notice RestartManager::forDisplay(Notice notice, const Reading& reading) const {
  if (!state_.pending) return notice;
  const Instant now = policyNow(reading);
  Seconds shift = reading.wall - now;
  const bool counting_down = state_.countdown_end && notice.restart_at == *state_.countdown_end;
  if (counting_down && state_.countdown_end_boottime && reading.boot_id == state_.boot_id) {
    const Seconds left_by_policy = *state_.countdown_end - now;
    const Seconds left_by_boottime = *state_.countdown_end_boottime - reading.boottime;
    if (left_by_boottime < left_by_policy) shift -= left_by_policy - left_by_boottime;
  }
  notice.deadline += shift;
  notice.restart_at += shift;
  notice.countdown_start += shift;
  return notice;
}

Notice RestartManager::showNotice(NoticeKind kind, Instant at, StepResult& result) {
  Notice notice = makeNotice(kind, at);
  log({.at = at, .type = LogEvent::Type::kNotice, .notice = notice});
  state_.notices.push_back({.kind = kind, .at = at});
  if (state_.notices.size() > kMaxKeptNotices) state_.notices.erase(state_.notices.begin());
  result.show.push_back(notice);
  return notice;
}

void RestartManager::requestRestart(Instant at, Seconds boottime, StepResult& result) {
  showNotice(NoticeKind::kRestarting, at, result);
  log({.at = at, .type = LogEvent::Type::kRestartRequested});
  state_.restart_requested_at = at;
  state_.restart_requested_boottime = boottime;
  state_.restart_now = false;
  result.restart = true;
}

StepResult RestartManager::step(const Reading& reading) {
  StepResult result;
  if (!state_.pending) return result;
  if (reading.boot_id != state_.boot_id) {
    // Any boot after the install counts as the restart, also one a user started.
    result.rebooted = true;
    return result;
  }

  const Instant now = policyNow(reading);
  const bool slept = reading.boottime - state_.last_step_boottime > kSleepGap;
  state_.last_step = now;
  state_.last_step_boottime = reading.boottime;

  if (!state_.installed_shown) {
    showNotice(NoticeKind::kInstalled, now, result);
    state_.installed_shown = true;
  }

  if (state_.restart_now) {
    requestRestart(now, reading.boottime, result);
    result.next_event = nextEvent();
    return result;
  }

  // A countdown once shown runs to its end, even when the wall clock went
  // back before its start after a jump forward.
  const Instant countdown_start = countdownStart(state_);
  if (!state_.countdown_shown_at && now < countdown_start) {
    if (state_.next_reminder && now >= *state_.next_reminder) {
      // One reminder however many were missed while the machine slept.
      showNotice(NoticeKind::kReminder, now, result);
      state_.next_reminder = now + state_.policy.reminder;
    }
    result.next_event = nextEvent();
    return result;
  }

  // The final countdown is shown in full before the restart: when it could
  // not start on time, because the machine slept or the agent did not run,
  // it starts now and the restart moves by as much. A machine that slept
  // through the end of a countdown that had not moved gets one full
  // countdown at waking. Sleeping during the countdown moves nothing, so
  // the restart never comes later than max(restart time, first waking
  // after it + countdown).
  const bool countdown_moved =
      state_.countdown_end.has_value() && *state_.countdown_end > state_.restart_at;
  const bool slept_through_end = slept && !state_.restart_requested_at &&
                                 state_.countdown_end.has_value() && now >= *state_.countdown_end &&
                                 !countdown_moved;
  if (!state_.countdown_shown_at || slept_through_end) {
    Instant end = state_.restart_at;
    if (slept_through_end || now - countdown_start > kCountdownLateness) {
      end = std::max(state_.restart_at, now + state_.policy.countdown);
    }
    state_.countdown_shown_at = now;
    state_.countdown_end = end;
    state_.countdown_end_boottime = reading.boottime + (end - now);
    state_.next_reminder.reset();
    showNotice(NoticeKind::kCountdown, now, result);
  }

  const bool ended =
      now >= *state_.countdown_end ||
      (state_.countdown_end_boottime && reading.boottime >= *state_.countdown_end_boottime);
  if (ended) {
    const bool retry_due = !state_.restart_requested_at ||
                           now - *state_.restart_requested_at >= kRestartRetry ||
                           (state_.restart_requested_boottime &&
                            reading.boottime - *state_.restart_requested_boottime >= kRestartRetry);
    if (retry_due) requestRestart(now, reading.boottime, result);
  }
  result.next_event = nextEvent();
  return result;
}

std::optional<Instant> RestartManager::nextEvent() const {
  if (!state_.pending) return std::nullopt;
  if (state_.restart_now) return state_.last_step;
  if (state_.restart_requested_at) return *state_.restart_requested_at + kRestartRetry;
  if (state_.countdown_end) return *state_.countdown_end;

  Instant next = countdownStart(state_);
  if (state_.next_reminder) next = std::min(next, *state_.next_reminder);
  return next;
}

ChoiceSink::Outcome RestartManager::apply(const Choice& choice, const Reading& reading) {
  if (!state_.pending) return rejected("No restart is pending.", status());
  if (reading.boot_id != state_.boot_id) {
    return rejected("The machine has restarted since the install; nothing is left to do.",
                    status());
  }

  const Instant now = policyNow(reading);
  const bool in_countdown = state_.countdown_shown_at.has_value() || now >= countdownStart(state_);
  Choice made = choice;
  made.made_at = now;
  std::string message;

  switch (choice.kind) {
    case ChoiceKind::kRestartNow:
      state_.restart_now = true;
      message = "The machine restarts now.";
      break;

    case ChoiceKind::kSnooze:
    case ChoiceKind::kSnoozeUntilCountdown: {
      if (in_countdown) {
        return rejected("The final countdown has started; it cannot be snoozed.", status());
      }
      Instant until = countdownStart(state_);
      if (choice.kind == ChoiceKind::kSnooze) {
        if (choice.snooze != kOneHour && choice.snooze != kFourHours) {
          return rejected("A snooze lasts 1 hour or 4 hours, not " +
                              std::to_string(choice.snooze.count()) + " seconds.",
                          status());
        }
        // A snooze never reaches into the countdown: it ends at its start.
        until = std::min(until, now + choice.snooze);
      }
      state_.next_reminder = until;
      message = "The next reminder comes at " + formatInstant(until) + ".";
      break;
    }

    case ChoiceKind::kRestartAt: {
      if (in_countdown) {
        return rejected("The final countdown has started; the restart time cannot change.",
                        status());
      }
      const Instant at = choice.restart_at;
      if (at <= now) {
        return rejected("The restart time " + formatInstant(at) + " is in the past.", status());
      }
      if (at > state_.restart_at) {
        return rejected("The restart time " + formatInstant(at) +
                            " is later than the restart set for " +
                            formatInstant(state_.restart_at) + "; pick an earlier time.",
                        status());
      }
      if (at - now < state_.policy.countdown) {
        return rejected("The restart time " + formatInstant(at) +
                            " leaves no room for the final countdown; pick a time at least " +
                            std::to_string(state_.policy.countdown.count() / 60) +
                            " minutes from now, or restart now.",
                        status());
      }
      state_.restart_at = at;
      if (state_.next_reminder && *state_.next_reminder > countdownStart(state_)) {
        state_.next_reminder = countdownStart(state_);
      }
      message = "The machine restarts at " + formatInstant(at) + ".";
      break;
    }
  }

  state_.choices.push_back(made);
  if (state_.choices.size() > kMaxKeptChoices) state_.choices.erase(state_.choices.begin());
  log({.at = now, .type = LogEvent::Type::kChoice, .choice = made});
  return {.applied = true, .message = std::move(message), .status = status()};
}

RestartStatus RestartManager::status() const {
  RestartStatus status;
  if (!state_.pending) return status;
  status.pending = true;
  status.required_since = state_.required_since;
  status.deadline = state_.deadline;
  status.restart_at = state_.countdown_end.value_or(state_.restart_at);
  status.countdown_start = state_.countdown_shown_at.value_or(countdownStart(state_));
  status.in_countdown = state_.countdown_shown_at.has_value();
  if (!status.in_countdown) status.next_reminder = state_.next_reminder;
  status.choices = state_.choices;
  return status;
}

std::vector<LogEvent> RestartManager::eventsAfter(std::int64_t after) const {
  std::vector<LogEvent> events;
  for (const auto& event : state_.events) {
    if (event.sequence > after) events.push_back(event);
  }
  return events;
}

void RestartManager::forgetEventsThrough(std::int64_t through) {
  std::erase_if(state_.events,
                [through](const LogEvent& event) { return event.sequence <= through; });
}

namespace {

constexpr std::array<std::pair<NoticeKind, std::string_view>, 4> kNoticeNames{{
    {NoticeKind::kInstalled, "installed"},
    {NoticeKind::kReminder, "reminder"},
    {NoticeKind::kCountdown, "countdown"},
    {NoticeKind::kRestarting, "restarting"},
}};

constexpr std::array<std::pair<Offer, std::string_view>, 5> kOfferNames{{
    {Offer::kRestartNow, "restart-now"},
    {Offer::kRestartAt, "restart-at"},
    {Offer::kSnooze1h, "snooze-1h"},
    {Offer::kSnooze4h, "snooze-4h"},
    {Offer::kSnoozeUntilCountdown, "snooze-until-countdown"},
}};

constexpr std::array<std::pair<ChoiceKind, std::string_view>, 4> kChoiceNames{{
    {ChoiceKind::kSnooze, "snooze"},
    {ChoiceKind::kSnoozeUntilCountdown, "snooze-until-countdown"},
    {ChoiceKind::kRestartNow, "restart-now"},
    {ChoiceKind::kRestartAt, "restart-at"},
}};

template <typename Value, std::size_t N>
std::string_view nameOf(const std::array<std::pair<Value, std::string_view>, N>& names,
                        Value value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

template <typename Value, std::size_t N>
std::optional<Value> valueOf(const std::array<std::pair<Value, std::string_view>, N>& names,
                             std::string_view name) {
  for (const auto& [value, candidate] : names) {
    if (candidate == name) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view noticeKindName(NoticeKind kind) {
  return nameOf(kNoticeNames, kind);
}
std::optional<NoticeKind> parseNoticeKind(std::string_view name) {
  return valueOf(kNoticeNames, name);
}
std::string_view offerName(Offer offer) {
  return nameOf(kOfferNames, offer);
}
std::optional<Offer> parseOffer(std::string_view name) {
  return valueOf(kOfferNames, name);
}
std::string_view choiceKindName(ChoiceKind kind) {
  return nameOf(kChoiceNames, kind);
}
std::optional<ChoiceKind> parseChoiceKind(std::string_view name) {
  return valueOf(kChoiceNames, name);
}

}  // namespace pk::restart
