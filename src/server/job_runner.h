#pragma once

// Runs scheduled jobs (feed syncs) at fixed intervals on the node that
// holds the leader lock.
//
// Intervals are measured on the Clock's elapsed time, which keeps counting
// while the machine sleeps and ignores wall-clock changes. A job is due
// `interval` after its last start. A job that overran its interval, or
// whose due time passed while the machine slept, runs once as soon as it
// can, and is never run several times to catch up. Jobs run one at a time
// on the runner's thread, and only while tryAcquire() returns true; a node
// that is not the leader checks again after `leader_retry`.
//
// Several nodes each hold their own runner, and only the leader runs jobs.
// A node that becomes the leader calls each job's `delay_from_records`,
// which reads from the database when the job last ran. So a job the
// previous leader ran a moment ago is not run again.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "server/leader_lock.h"

namespace pk::server {

struct ScheduledJob {
  std::string name;  // for logs: "feed-sync:debian-tracker"
  Elapsed interval{std::chrono::hours(6)};
  // Time from the runner's start to the first run; zero runs it at once.
  Elapsed initial_delay{0};
  // The work. An exception it throws is logged and the job stays scheduled.
  std::function<void()> run;
  // Optional: the time until the job is due, from shared records (a feed's
  // last attempt). Called each time this node becomes the leader. Its
  // result replaces the due time of a job this node has not run since. An
  // error is logged and the job keeps its own schedule.
  std::function<Result<Elapsed>()> delay_from_records;
};

// Returns when a job is next due, on the elapsed clock: `runner_started +
// initial_delay` for a job never started, otherwise `last_started +
// interval`. A due time in the past means "now"; see the catch-up rule
// above.
Elapsed nextDue(std::optional<Elapsed> last_started, Elapsed interval, Elapsed initial_delay,
                Elapsed runner_started);

class JobRunner {
 public:
  // `clock` and `lock` must outlive the runner. `interval` of each job must
  // be positive.
  JobRunner(Clock& clock, LeaderLock& lock, std::vector<ScheduledJob> jobs,
            Elapsed leader_retry = std::chrono::seconds(30));
  // Stops the thread if running.
  ~JobRunner();
  JobRunner(const JobRunner&) = delete;
  JobRunner& operator=(const JobRunner&) = delete;

  // Runs, on the calling thread, every job due at the clock's elapsed time,
  // if the leader lock is held. Returns how many ran. The thread started by
  // start() calls this; tests call it directly.
  std::size_t runDue();

  // Starts the thread that waits on a condition variable until the next due
  // time, then calls runDue(). Calling it twice is harmless.
  void start();

  // Makes the thread re-check due times now, as after the clock moved.
  void wake();

  // Stops the thread after the job running now (if any) finishes, and
  // releases the leader lock. Calling it twice is harmless.
  void stop();

  // How many times each job has run, in the order given, for tests and logs.
  std::vector<std::uint64_t> runCounts() const;

  // Whether this node held the leader lock at its last check (checks happen
  // when a job is due, and every `leader_retry` while not leading).
  bool leading() const { return leading_.load(); }

 private:
  struct State {
    ScheduledJob job;
    std::optional<Elapsed> last_started;
    std::uint64_t runs = 0;
    // Set from delay_from_records on becoming the leader; overrides
    // nextDue() until the job runs.
    std::optional<Elapsed> due_from_records;
  };

  Elapsed dueOf(const State& state) const;
  // Called when tryAcquire() succeeds after failing (or first succeeds).
  void takeDueTimesFromRecords();

  // The earliest due time of any job, or nullopt with no jobs.
  std::optional<Elapsed> earliestDue() const;
  void loop();

  Clock& clock_;
  LeaderLock& lock_;
  Elapsed leader_retry_;
  Elapsed started_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<State> jobs_;
  bool stopping_ = false;
  bool woken_ = false;
  bool not_leader_ = false;
  std::atomic<bool> leading_{false};  // written by runDue() only
  std::thread thread_;
};

}  // namespace pk::server
