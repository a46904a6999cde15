#include "restart/manager.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "restart/state_codec.h"

namespace pk::restart {
namespace {

using namespace std::chrono_literals;
using std::chrono::sys_days;

// 2027-03-10 10:00:00 UTC, a day far from any DST change in Europe or the
// United States.
const Instant kInstall = sys_days{std::chrono::year{2027} / 3 / 10} + 10h;

// A machine with a wall clock, CLOCK_BOOTTIME and a boot id, running the
// manager the way the agent does: a step at least every 30 seconds while
// awake. Notices and restart requests are recorded.
class Machine {
 public:
  Machine() = default;

  Reading reading() const { return {.wall = wall_, .boottime = boottime_, .boot_id = boot_id_}; }

  void install(const std::string& job_id = "j-0000000000000001", Policy policy = {}) {
    manager_.attach(job_id, policy, reading(), "series-1");
    step();
  }

  StepResult step() {
    StepResult result = manager_.step(reading());
    for (const auto& notice : result.show) shown_.push_back(notice);
    if (result.restart) restarts_.push_back(manager_.policyNow(reading()));
    return result;
  }

  // Lets `duration` pass while awake, stepping every 30 seconds and at
  // each next event, as the agent's loop does.
  void run(Seconds duration) {
    const Seconds end = boottime_ + duration;
    while (boottime_ < end) {
      Seconds wait = 30s;
      StepResult result = step();
      if (result.next_event) {
        const Instant now = manager_.policyNow(reading());
        if (*result.next_event > now) wait = std::min(wait, *result.next_event - now);
      }
      wait = std::min(wait, end - boottime_);
      wait = std::max(wait, 1s);
      advance(wait);
    }
    step();
  }

  // Lets `duration` pass asleep: both clocks move, nothing steps.
  void sleep(Seconds duration) { advance(duration); }

  void advance(Seconds duration) {
    wall_ += duration;
    boottime_ += duration;
  }
  void setWall(Instant wall) { wall_ = wall; }
  void boot(std::string boot_id) {
    boot_id_ = std::move(boot_id);
    boottime_ = 5s;
  }

  // Simulates killing the agent: the state goes through its persisted form
  // into a new manager.
  void restartAgent() {
    State loaded;
    std::string error;
    ASSERT_TRUE(decodeState(encodeState(manager_.state()), loaded, error)) << error;
    manager_ = RestartManager(std::move(loaded));
  }

  Instant now() const { return manager_.policyNow(reading()); }
  RestartManager& manager() { return manager_; }
  const std::vector<Notice>& shown() const { return shown_; }
  const std::vector<Instant>& restarts() const { return restarts_; }

  std::vector<Instant> shownAt(NoticeKind kind) const {
    std::vector<Instant> times;
    for (const auto& notice : shown_) {
      if (notice.kind == kind) times.push_back(notice.shown_at);
    }
    return times;
  }

  ChoiceSink::Outcome choose(Choice choice) {
    choice.user = choice.user.empty() ? "alice" : choice.user;
    return manager_.apply(choice, reading());
  }

 private:
  Instant wall_ = kInstall;
  Seconds boottime_ = 1000s;
  std::string boot_id_ = "boot-1";
  RestartManager manager_;
  std::vector<Notice> shown_;
  std::vector<Instant> restarts_;
};

const Instant kDeadline = kInstall + 24h;
const Instant kCountdown = kDeadline - 90min;

TEST(RestartManager, InstallShowsNoticeAndDeadline) {
  Machine machine;
  machine.install();

  ASSERT_EQ(machine.shown().size(), 1u);
  EXPECT_EQ(machine.shown()[0].kind, NoticeKind::kInstalled);
  EXPECT_EQ(machine.shown()[0].shown_at, kInstall);
  EXPECT_EQ(machine.shown()[0].deadline, sys_days{std::chrono::year{2027} / 3 / 11} + 10h);
  EXPECT_EQ(machine.manager().state().restart_at, kDeadline);
  EXPECT_EQ(machine.shown()[0].offered.size(), 5u);
}

TEST(RestartManager, RemindsEveryFourHours) {
  Machine machine;
  machine.install();
  machine.run(13h);

  const std::vector<Instant> expected{kInstall + 4h, kInstall + 8h, kInstall + 12h};
  EXPECT_EQ(machine.shownAt(NoticeKind::kReminder), expected);
}

TEST(RestartManager, SnoozeOneHourMovesReminder) {
  Machine machine;
  machine.install();
  machine.run(4h);  // the first reminder
  auto outcome = machine.choose({.kind = ChoiceKind::kSnooze, .snooze = 1h});

  ASSERT_TRUE(outcome.applied) << outcome.message;
  EXPECT_EQ(outcome.status.next_reminder, kInstall + 5h);
  EXPECT_EQ(outcome.status.deadline, kDeadline);
  EXPECT_EQ(outcome.status.restart_at, kDeadline);
  machine.run(2h);
  const std::vector<Instant> expected{kInstall + 4h, kInstall + 5h};
  EXPECT_EQ(machine.shownAt(NoticeKind::kReminder), expected);
}

TEST(RestartManager, SnoozeFourHoursMovesReminder) {
  Machine machine;
  machine.install();
  machine.run(1h);
  auto outcome = machine.choose({.kind = ChoiceKind::kSnooze, .snooze = 4h});

  ASSERT_TRUE(outcome.applied) << outcome.message;
  EXPECT_EQ(outcome.status.next_reminder, kInstall + 5h);
  EXPECT_EQ(outcome.status.deadline, kDeadline);
  EXPECT_EQ(outcome.status.countdown_start, kCountdown);
  machine.run(5h);
  EXPECT_EQ(machine.shownAt(NoticeKind::kReminder), std::vector<Instant>{kInstall + 5h});
}

TEST(RestartManager, SnoozeRecordsUser) {
  Machine machine;
  machine.install();
  machine.choose({.kind = ChoiceKind::kSnooze, .user = "bob", .snooze = 1h});

  ASSERT_EQ(machine.manager().state().choices.size(), 1u);
  EXPECT_EQ(machine.manager().state().choices[0].user, "bob");
  EXPECT_EQ(machine.manager().state().choices[0].made_at, kInstall);
}

TEST(RestartManager, SnoozeOtherLengthRejected) {
  Machine machine;
  machine.install();
  auto outcome = machine.choose({.kind = ChoiceKind::kSnooze, .snooze = 2h});

  EXPECT_FALSE(outcome.applied);
  EXPECT_NE(outcome.message.find("1 hour or 4 hours"), std::string::npos) << outcome.message;
}

TEST(RestartManager, SnoozeClippedAtCountdownStart) {
  Machine machine;
  machine.install();
  machine.run(21h);  // 1.5 h before the countdown
  auto outcome = machine.choose({.kind = ChoiceKind::kSnooze, .snooze = 4h});

  ASSERT_TRUE(outcome.applied) << outcome.message;
  EXPECT_EQ(outcome.status.next_reminder, kCountdown);
  machine.run(2h);
  EXPECT_EQ(machine.shownAt(NoticeKind::kCountdown), std::vector<Instant>{kCountdown});
  EXPECT_EQ(machine.shownAt(NoticeKind::kReminder).back(), kInstall + 20h);
}

TEST(RestartManager, SnoozeUntilCountdown) {
  Machine machine;
  machine.install();
  auto outcome = machine.choose({.kind = ChoiceKind::kSnoozeUntilCountdown});
  machine.run(23h);

  ASSERT_TRUE(outcome.applied) << outcome.message;
  EXPECT_TRUE(machine.shownAt(NoticeKind::kReminder).empty());
  EXPECT_EQ(machine.shownAt(NoticeKind::kCountdown), std::vector<Instant>{kCountdown});
}

TEST(RestartManager, CountdownStartsExactly) {
  Machine machine;
  machine.install();
  machine.run(24h - 90min);

  ASSERT_EQ(machine.shownAt(NoticeKind::kCountdown), std::vector<Instant>{kCountdown});
  const Notice& countdown = machine.shown().back();
  EXPECT_TRUE(countdown.offered.empty());
  EXPECT_EQ(countdown.restart_at, kDeadline);
  EXPECT_EQ(countdown.countdown_start, kCountdown);
}

TEST(RestartManager, CountdownRejectsSnooze) {
  Machine machine;
  machine.install();
  machine.run(24h - 90min);
  auto outcome = machine.choose({.kind = ChoiceKind::kSnooze, .snooze = 1h});

  EXPECT_FALSE(outcome.applied);
  EXPECT_TRUE(outcome.status.in_countdown);
}

TEST(RestartManager, CountdownRejectsRestartAt) {
  Machine machine;
  machine.install();
  machine.run(24h - 60min);
  auto outcome = machine.choose({.kind = ChoiceKind::kRestartAt, .restart_at = kDeadline - 5min});

  EXPECT_FALSE(outcome.applied);
}

TEST(RestartManager, RestartsAtDeadline) {
  Machine machine;
  machine.install();
  machine.run(25h);

  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), kDeadline);
  EXPECT_EQ(machine.shownAt(NoticeKind::kRestarting).front(), kDeadline);
}

TEST(RestartManager, RestartRequestRetried) {
  Machine machine;
  machine.install();
  machine.run(24h + 15min);  // no boot follows the first request

  const std::vector<Instant> expected{kDeadline, kDeadline + kRestartRetry};
  EXPECT_EQ(machine.restarts(), expected);
}

TEST(RestartManager, SecondInstallKeepsDeadline) {
  Machine machine;
  machine.install("j-0000000000000001");
  machine.run(20h);
  machine.install("j-0000000000000002");

  EXPECT_EQ(machine.manager().state().deadline, kDeadline);
  EXPECT_EQ(machine.manager().state().jobs.size(), 2u);
  EXPECT_EQ(machine.shownAt(NoticeKind::kInstalled).size(), 1u);
}

TEST(RestartManager, AgentKillsKeepDeadline) {
  Machine machine;
  machine.install();
  machine.restartAgent();
  machine.run(3h);
  machine.restartAgent();
  machine.choose({.kind = ChoiceKind::kSnooze, .snooze = 4h});
  machine.restartAgent();
  EXPECT_EQ(machine.manager().state().next_reminder, kInstall + 7h);
  machine.run(20h);  // into the countdown
  machine.restartAgent();
  EXPECT_EQ(machine.manager().state().deadline, kDeadline);
  EXPECT_EQ(machine.manager().status().restart_at, kDeadline);
  machine.run(2h);

  EXPECT_EQ(machine.manager().state().deadline, kDeadline);
  EXPECT_EQ(machine.shownAt(NoticeKind::kInstalled).size(), 1u);
  EXPECT_EQ(machine.shownAt(NoticeKind::kCountdown), std::vector<Instant>{kCountdown});
  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), kDeadline);
}

TEST(RestartManager, AgentKilledInCountdownKeepsEnd) {
  Machine machine;
  machine.install();
  machine.run(24h - 60min);
  machine.restartAgent();
  machine.advance(90s);  // the agent is down for 90 seconds
  machine.run(2h);

  EXPECT_EQ(machine.shownAt(NoticeKind::kCountdown).size(), 1u);
  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), kDeadline);
}

TEST(RestartManager, SleepThroughDeadlineFullCountdown) {
  Machine machine;
  machine.install();
  machine.run(22h);   // deadline - 2 h
  machine.sleep(5h);  // until deadline + 3 h
  const Instant woke = kDeadline + 3h;
  machine.run(2h);

  ASSERT_EQ(machine.shownAt(NoticeKind::kCountdown), std::vector<Instant>{woke});
  const auto countdown =
      std::find_if(machine.shown().begin(), machine.shown().end(),
                   [](const Notice& notice) { return notice.kind == NoticeKind::kCountdown; });
  EXPECT_EQ(countdown->restart_at, woke + 90min);
  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), woke + 90min);
  EXPECT_EQ(machine.manager().state().deadline, kDeadline);
}

TEST(RestartManager, SleepInCountdownKeepsEnd) {
  Machine machine;
  machine.install();
  machine.run(24h - 60min);  // 30 minutes into the countdown
  machine.sleep(20min);
  machine.run(2h);

  EXPECT_EQ(machine.shownAt(NoticeKind::kCountdown), std::vector<Instant>{kCountdown});
  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), kDeadline);
}

TEST(RestartManager, RepeatedSleepsKeepDeadline) {
  Machine machine;
  machine.install();
  machine.run(24h - 85min);  // 5 minutes into the countdown
  for (int i = 0; i < 4; ++i) {
    machine.sleep(10min);
    machine.run(5min);
  }
  machine.run(2h);

  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), kDeadline);
}

TEST(RestartManager, SleepThroughMovedEndRestartsAtWaking) {
  Machine machine;
  machine.install();
  machine.run(22h);   // deadline - 2 h
  machine.sleep(5h);  // until deadline + 3 h: one full countdown follows
  machine.run(30min);
  machine.sleep(3h);  // through the end of that countdown
  const Instant woke = kDeadline + 6h + 30min;
  machine.run(1min);

  EXPECT_EQ(machine.shownAt(NoticeKind::kCountdown).size(), 1u);
  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), woke);
}

TEST(RestartManager, SleepsInMovedCountdownKeepItsEnd) {
  Machine machine;
  machine.install();
  machine.run(22h);
  machine.sleep(5h);
  const Instant woke = kDeadline + 3h;
  for (int i = 0; i < 3; ++i) {
    machine.run(10min);
    machine.sleep(10min);
  }
  machine.run(2h);

  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), woke + 90min);
}

TEST(RestartManager, AttachAfterBootStartsAnew) {
  Machine machine;
  machine.install("j-0000000000000001");
  machine.run(2h);
  machine.boot("boot-2");
  const Instant booted = machine.now();
  machine.manager().attach("j-0000000000000002", {}, machine.reading(), "series-2");

  EXPECT_EQ(machine.manager().state().deadline, booted + 24h);
}

TEST(RestartManager, AttachAfterBootKeepsEarlierJobs) {
  Machine machine;
  machine.install("j-0000000000000001");
  machine.boot("boot-2");
  machine.manager().attach("j-0000000000000002", {}, machine.reading(), "series-2");

  const State& state = machine.manager().state();
  ASSERT_EQ(state.earlier_boot_jobs.size(), 1u);
  EXPECT_EQ(state.earlier_boot_jobs[0].job_id, "j-0000000000000001");
}

TEST(RestartManager, AttachAfterBootKeepsEventIds) {
  Machine machine;
  machine.install("j-0000000000000001");  // the installed notice is event 1
  machine.boot("boot-2");
  machine.manager().attach("j-0000000000000002", {}, machine.reading(), "series-2");
  machine.step();

  const State& state = machine.manager().state();
  EXPECT_EQ(state.series_id, "series-1");
  ASSERT_EQ(state.events.size(), 2u);
  EXPECT_EQ(state.events[1].sequence, 2);
}

TEST(RestartManager, CurrentNoticeIsCountdown) {
  Machine machine;
  machine.install();
  machine.run(24h - 60min);
  const std::size_t events = machine.manager().state().events.size();
  const auto current = machine.manager().currentNotice();

  ASSERT_TRUE(current.has_value());
  EXPECT_EQ(current->kind, NoticeKind::kCountdown);
  EXPECT_EQ(current->restart_at, kDeadline);
  EXPECT_EQ(machine.manager().state().events.size(), events);
}

TEST(RestartManager, DisplayFollowsWallClockBack) {
  Machine machine;
  machine.install();
  machine.run(24h - 60min);  // 60 minutes before the restart
  machine.setWall(machine.reading().wall - 24h);
  const Notice shown =
      machine.manager().forDisplay(*machine.manager().currentNotice(), machine.reading());

  EXPECT_EQ(shown.restart_at - machine.reading().wall, 60min);
}

TEST(RestartManager, SleepBeforeCountdownShowsOneReminder) {
  Machine machine;
  machine.install();
  machine.run(1h);
  machine.sleep(10h);  // two reminders missed
  machine.run(1min);

  EXPECT_EQ(machine.shownAt(NoticeKind::kReminder), std::vector<Instant>{kInstall + 11h});
}

TEST(RestartManager, BootCountsAsRestart) {
  Machine machine;
  machine.install();
  machine.run(5h);
  machine.sleep(1h);  // switched off
  machine.boot("boot-2");
  StepResult result = machine.step();

  EXPECT_TRUE(result.rebooted);
  EXPECT_TRUE(machine.restarts().empty());
}

TEST(RestartManager, ClockSetBackKeepsRestartTime) {
  Machine machine;
  machine.install();
  machine.run(2h);
  machine.setWall(kInstall + 2h - 24h);  // someone set the clock back a day
  machine.run(23h);

  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), kDeadline);
  EXPECT_EQ(machine.shownAt(NoticeKind::kCountdown), std::vector<Instant>{kCountdown});
}

TEST(RestartManager, ClockSetForwardRestartsEarly) {
  Machine machine;
  machine.install();
  machine.run(1h);
  machine.setWall(kDeadline + 1h);  // the wall-clock deadline passed
  machine.run(2h);

  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), kDeadline + 1h + 90min);
}

TEST(RestartManager, ClockJumpCannotStretchCountdown) {
  Machine machine;
  machine.install();
  machine.run(2h);
  // The wall clock jumps a year ahead, so the countdown starts and would
  // end a year from now by the wall clock, then the clock is set right.
  machine.setWall(kInstall + 2h + 365 * 24h);
  machine.run(1min);
  ASSERT_EQ(machine.shownAt(NoticeKind::kCountdown).size(), 1u);
  machine.setWall(kInstall + 2h + 1min);
  machine.run(2h);

  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_LE(machine.restarts().front(), kInstall + 2h + 1min + 90min)
      << "the countdown lasted longer than 90 elapsed minutes";
}

TEST(RestartManager, CountdownBoundSurvivesAgentKill) {
  Machine machine;
  machine.install();
  machine.run(2h);
  machine.setWall(kInstall + 2h + 365 * 24h);
  machine.run(1min);
  machine.restartAgent();
  machine.setWall(kInstall + 2h + 1min);
  machine.run(2h);

  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_LE(machine.restarts().front(), kInstall + 2h + 1min + 90min);
}

TEST(RestartManager, DeadlineCountsElapsedTimeAcrossDst) {
  // 2027-03-27 10:00 in Berlin is 09:00Z; the clocks go forward that night,
  // so the deadline 24 elapsed hours later is 11:00 local, 09:00Z.
  Machine machine;
  machine.setWall(sys_days{std::chrono::year{2027} / 3 / 27} + 9h);
  machine.install();

  EXPECT_EQ(machine.manager().state().deadline, sys_days{std::chrono::year{2027} / 3 / 28} + 9h);
}

TEST(RestartManager, RestartNowRequestsRestart) {
  Machine machine;
  machine.install();
  machine.run(2h);
  auto outcome = machine.choose({.kind = ChoiceKind::kRestartNow});
  StepResult result = machine.step();

  ASSERT_TRUE(outcome.applied);
  EXPECT_TRUE(result.restart);
  EXPECT_EQ(machine.restarts(), std::vector<Instant>{kInstall + 2h});
}

TEST(RestartManager, RestartNowSurvivesAgentKill) {
  Machine machine;
  machine.install();
  machine.choose({.kind = ChoiceKind::kRestartNow});
  machine.restartAgent();

  EXPECT_TRUE(machine.step().restart);
}

TEST(RestartManager, EarlierRestartTimeMovesCountdown) {
  Machine machine;
  machine.install();
  const Instant picked = kInstall + 6h;
  auto outcome = machine.choose({.kind = ChoiceKind::kRestartAt, .restart_at = picked});
  machine.run(7h);

  ASSERT_TRUE(outcome.applied) << outcome.message;
  EXPECT_EQ(outcome.status.countdown_start, picked - 90min);
  EXPECT_EQ(machine.shownAt(NoticeKind::kCountdown), std::vector<Instant>{picked - 90min});
  EXPECT_EQ(machine.shownAt(NoticeKind::kReminder), std::vector<Instant>{kInstall + 4h});
  ASSERT_FALSE(machine.restarts().empty());
  EXPECT_EQ(machine.restarts().front(), picked);
  EXPECT_EQ(machine.manager().state().deadline, kDeadline);
}

TEST(RestartManager, RestartAtAfterDeadlineRejected) {
  Machine machine;
  machine.install();
  auto outcome = machine.choose({.kind = ChoiceKind::kRestartAt, .restart_at = kDeadline + 1h});

  EXPECT_FALSE(outcome.applied);
  EXPECT_EQ(machine.manager().state().restart_at, kDeadline);
}

TEST(RestartManager, RestartAtInPastRejected) {
  Machine machine;
  machine.install();
  machine.run(1h);
  auto outcome = machine.choose({.kind = ChoiceKind::kRestartAt, .restart_at = kInstall});

  EXPECT_FALSE(outcome.applied);
  EXPECT_NE(outcome.message.find("in the past"), std::string::npos) << outcome.message;
}

TEST(RestartManager, RestartAtTooSoonRejected) {
  Machine machine;
  machine.install();
  auto outcome = machine.choose({.kind = ChoiceKind::kRestartAt, .restart_at = kInstall + 30min});

  EXPECT_FALSE(outcome.applied);
  EXPECT_NE(outcome.message.find("90 minutes"), std::string::npos) << outcome.message;
}

TEST(RestartManager, RestartAtLaterThanPickedRejected) {
  Machine machine;
  machine.install();
  machine.choose({.kind = ChoiceKind::kRestartAt, .restart_at = kInstall + 6h});
  auto outcome = machine.choose({.kind = ChoiceKind::kRestartAt, .restart_at = kInstall + 8h});

  EXPECT_FALSE(outcome.applied);
  EXPECT_EQ(machine.manager().state().restart_at, kInstall + 6h);
}

TEST(RestartManager, ChoiceWithoutRestartRejected) {
  RestartManager manager;
  auto outcome = manager.apply({.kind = ChoiceKind::kRestartNow, .user = "alice"},
                               {.wall = kInstall, .boottime = 10s, .boot_id = "boot-1"});

  EXPECT_FALSE(outcome.applied);
}

TEST(RestartManager, EventsNumberedInOrder) {
  Machine machine;
  machine.install();
  machine.choose({.kind = ChoiceKind::kSnooze, .snooze = 1h});
  machine.run(90min);

  const auto events = machine.manager().eventsAfter(0);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].sequence, 1);
  EXPECT_EQ(events[1].type, LogEvent::Type::kChoice);
  EXPECT_EQ(events[2].notice.kind, NoticeKind::kReminder);
  machine.manager().forgetEventsThrough(2);
  EXPECT_EQ(machine.manager().eventsAfter(0).size(), 1u);
}

TEST(RestartManager, ShownNoticesKeptAfterReport) {
  Machine machine;
  machine.install();
  machine.run(4h);
  machine.manager().forgetEventsThrough(100);

  const auto& notices = machine.manager().state().notices;
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_EQ(notices[0].kind, NoticeKind::kInstalled);
  EXPECT_EQ(notices[1].kind, NoticeKind::kReminder);
  EXPECT_EQ(notices[1].at, kInstall + 4h);
}

TEST(RestartManager, ShortPolicyStartsWithCountdown) {
  Machine machine;
  machine.install("j-0000000000000001", {.deadline = 90min, .countdown = 90min, .reminder = 4h});

  ASSERT_EQ(machine.shown().size(), 2u);
  EXPECT_TRUE(machine.shown()[0].offered.empty());
  EXPECT_EQ(machine.shown()[1].kind, NoticeKind::kCountdown);
  machine.run(2h);
  EXPECT_EQ(machine.restarts().front(), kInstall + 90min);
}

}  // namespace
}  // namespace pk::restart
