#pragma once

// The agent's endpoint restart service. It owns the restart manager
// (restart/manager.h) and persists its state in STATE/restart.json after
// every change. It runs the manager on a loop, shows its notices through a
// NoticeChannel and requests the restart at its time. As the ChoiceSink of
// the desktop channels and the local socket, it takes users' choices.
//
// Threads: run() loops on its own thread. attach(), the boot check and the
// report to the server are called from the check-in thread (JobRunner and
// JobScheduler), and apply() from the channels' threads. One mutex guards
// the manager, so every public member is thread-safe.
//
// After the boot that completes the restart, the check-in thread verifies
// the attached jobs (JobRunner::verifyAfterRestart), sends the final report
// and calls clearAfterBoot(). Until then the loop does nothing more.

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/random.h"
#include "agent/restarter.h"
#include "common/clock.h"
#include "common/error.h"
#include "protocol/restart_report.h"
#include "restart/manager.h"
#include "restart/notice.h"

namespace pk::agent {

class Sleeper;  // checkin.h, which includes this header through job_runner.h

// The maximum wait between two steps of the loop, short enough that a gap
// of restart::kSleepGap means the machine slept.
inline constexpr Elapsed kMaxRestartStep = std::chrono::seconds(30);

struct RestartServiceOptions {
  // The state file, STATE/restart.json; unreadable files move to
  // STATE/corrupt/.
  std::filesystem::path state_file{};
  RestartOptions restart{};
};

// A NoticeChannel that only writes log lines: the default when no desktop
// channel is configured, and a record of what users would have seen.
class LoggingNoticeChannel final : public restart::NoticeChannel {
 public:
  void show(const restart::Notice& notice) override;
  void clear() override;
};

class RestartService final : public restart::ChoiceSink {
 public:
  // `clock`, `channel` and `random` must outlive the service.
  RestartService(RestartServiceOptions options, const Clock& clock, restart::NoticeChannel& channel,
                 RandomSource& random);

  // Loads the state file. A missing file means no pending restart. A file
  // that cannot be parsed is moved to STATE/corrupt/ with an error log,
  // and the service starts with no pending restart. Fails with kIoError
  // when the file exists but cannot be read.
  Result<void> load();

  // Attaches a job whose install requires a restart (see
  // RestartManager::attach), persists the state and shows the notice that
  // is due. Fails with kIoError when the boot id or the state file cannot
  // be read or written.
  Result<void> attach(const std::string& job_id, const restart::Policy& policy);

  // Runs one step: shows due notices and requests the restart at its time.
  // Returns the wait before the next step, at most kMaxRestartStep.
  Elapsed step();

  // Steps until `sleeper` reports a stop.
  void run(Sleeper& sleeper);

  // Returns the attached jobs when a boot happened since the pending
  // restart began, so they can be verified; nullopt otherwise.
  std::optional<std::vector<std::string>> jobsToVerify();

  // Returns the jobs of a restart that a boot completed before a new
  // install started the pending one (RestartManager::attach); they wait for
  // verification. forgetEarlierBootJobs() drops them once verified.
  std::vector<std::string> earlierBootJobs() const;
  void forgetEarlierBootJobs();

  // Forgets the pending restart after its boot, clears the notices, and
  // removes the state file. Fails with kIoError when the file cannot be
  // written.
  Result<void> clearAfterBoot();

  // Returns the report for the server: the status and the events not yet
  // acknowledged. `restarted` marks the final report after the boot.
  protocol::RestartReport report(bool restarted);
  // Drops the events of `sent` once the server stored them.
  void acknowledge(const protocol::RestartReport& sent);
  // Writes `rejected`, which the server rejected with `server_error`, to
  // STATE/restart-report-rejected.json (the latest one only), for an
  // administrator. The events stay queued. Returns the file, or nullopt
  // (logged) when it cannot be written.
  std::optional<std::filesystem::path> keepRejectedReport(const protocol::RestartReport& rejected,
                                                          const std::string& server_error);

  // ChoiceSink: applies a user's choice, persists it, and steps at once so
  // that a "restart now" is not delayed by the loop.
  Outcome apply(const restart::Choice& choice) override;
  restart::RestartStatus status() const override;

 private:
  Result<restart::Reading> reading() const;
  // Persists the state when it changed since the last write; logs failures.
  bool persist();
  // Shows the step's notices; without any, shows the current notice again
  // after load() or keeps it shown in new sessions.
  void showNotices(const restart::StepResult& result, const restart::Reading& reading);
  void requestRestartIfDue(const restart::StepResult& result);
  Elapsed stepLocked();

  RestartServiceOptions options_;
  const Clock& clock_;
  restart::NoticeChannel& channel_;
  RandomSource& random_;
  mutable std::mutex mutex_;
  restart::RestartManager manager_;
  std::string written_;  // the state file's content as last written
  // Set by load(): the next step shows the current notice again.
  bool show_current_again_ = false;
};

// Reads CLOCK_BOOTTIME from `clock` in whole seconds and the wall clock
// rounded down to a second, with the boot id from `boot_id_path`.
Result<restart::Reading> readRestartClocks(const Clock& clock,
                                           const std::filesystem::path& boot_id_path);

}  // namespace pk::agent
