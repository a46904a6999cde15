#include "server/job_runner.h"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

namespace pk::server {

Elapsed nextDue(std::optional<Elapsed> last_started, Elapsed interval, Elapsed initial_delay,
                Elapsed runner_started) {
  if (!last_started) return runner_started + initial_delay;
  return *last_started + interval;
}

JobRunner::JobRunner(Clock& clock, LeaderLock& lock, std::vector<ScheduledJob> jobs,
                     Elapsed leader_retry)
    : clock_(clock), lock_(lock), leader_retry_(leader_retry), started_(clock.elapsed()) {
  jobs_.reserve(jobs.size());
  for (auto& job : jobs) jobs_.push_back(State{std::move(job), std::nullopt, 0, std::nullopt});
}

JobRunner::~JobRunner() {
  stop();
}

Elapsed JobRunner::dueOf(const State& state) const {
  if (state.due_from_records) return *state.due_from_records;
  return nextDue(state.last_started, state.job.interval, state.job.initial_delay, started_);
}

std::optional<Elapsed> JobRunner::earliestDue() const {
  std::optional<Elapsed> earliest;
  for (const auto& state : jobs_) {
    Elapsed due = dueOf(state);
    if (!earliest || due < *earliest) earliest = due;
  }
  return earliest;
}

void JobRunner::takeDueTimesFromRecords() {
  // The record lookups read the database, so they run outside the mutex.
  std::vector<std::pair<std::size_t, std::function<Result<Elapsed>()>>> lookups;
  {
    std::lock_guard guard(mutex_);
    for (std::size_t i = 0; i < jobs_.size(); ++i) {
      if (jobs_[i].job.delay_from_records) lookups.emplace_back(i, jobs_[i].job.delay_from_records);
    }
  }
  for (const auto& [index, lookup] : lookups) {
    Result<Elapsed> delay = lookup();
    std::lock_guard guard(mutex_);
    State& state = jobs_[index];
    if (!delay) {
      spdlog::error("job={} keeps its own schedule: cannot read when it last ran: {}",
                    state.job.name, delay.error().message);
      continue;
    }
    state.due_from_records = clock_.elapsed() + std::max(Elapsed{0}, *delay);
  }
}

std::size_t JobRunner::runDue() {
  {
    std::lock_guard guard(mutex_);
    std::optional<Elapsed> due = earliestDue();
    if (stopping_ || !due || *due > clock_.elapsed()) return 0;
  }
  const bool leader = lock_.tryAcquire();
  {
    std::lock_guard guard(mutex_);
    not_leader_ = !leader;
  }
  if (!leader) {
    leading_ = false;
    return 0;
  }
  if (!leading_) {
    leading_ = true;
    takeDueTimesFromRecords();
  }

  std::size_t ran = 0;
  for (std::size_t i = 0;; ++i) {
    std::function<void()> run;
    std::string name;
    {
      std::lock_guard guard(mutex_);
      if (i >= jobs_.size() || stopping_) break;
      State& state = jobs_[i];
      Elapsed now = clock_.elapsed();
      if (dueOf(state) > now) continue;
      // Leadership is checked before every job: a node that lost it stops
      // between jobs, not in the middle of one.
      not_leader_ = !lock_.tryAcquire();
      if (not_leader_) {
        leading_ = false;
        break;
      }
      state.last_started = now;
      state.due_from_records.reset();
      ++state.runs;
      run = state.job.run;
      name = state.job.name;
    }

    // The job runs outside the mutex so that stop() and wake() never wait
    // on it to take the mutex.
    spdlog::info("job={} started", name);
    try {
      run();
    } catch (const std::exception& error) {
      spdlog::error("job={} failed: {}", name, error.what());
    }
    ++ran;
  }
  return ran;
}

void JobRunner::start() {
  std::lock_guard guard(mutex_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void JobRunner::wake() {
  {
    std::lock_guard guard(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void JobRunner::stop() {
  {
    std::lock_guard guard(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  lock_.release();
}

std::vector<std::uint64_t> JobRunner::runCounts() const {
  std::lock_guard guard(mutex_);
  std::vector<std::uint64_t> counts;
  counts.reserve(jobs_.size());
  for (const auto& state : jobs_) counts.push_back(state.runs);
  return counts;
}

void JobRunner::loop() {
  while (true) {
    runDue();

    std::unique_lock guard(mutex_);
    if (stopping_) return;
    std::optional<Elapsed> due = earliestDue();
    Elapsed now = clock_.elapsed();
    Elapsed wait = due ? std::max(Elapsed{0}, *due - now) : std::chrono::hours(24);
    if (not_leader_) wait = std::min(wait, leader_retry_);
    // The condition variable waits on the steady clock, which stops while
    // the machine sleeps. After a resume the wait ends late by the length of
    // the sleep, and the job then runs once, as the catch-up rule says.
    if (wait > Elapsed{0}) {
      wake_.wait_for(guard, wait, [this] { return stopping_ || woken_; });
    }
    woken_ = false;
    if (stopping_) return;
  }
}

}  // namespace pk::server
