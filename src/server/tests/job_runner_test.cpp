#include "server/job_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "server/leader_lock.h"
#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const SystemTime kStart =
    SystemTime(std::chrono::sys_days(std::chrono::year(2026) / std::chrono::December / 1));

// A lock the test hands out or withholds.
class SwitchLock final : public LeaderLock {
 public:
  bool tryAcquire() override { return leader; }
  void release() override { ++releases; }
  bool leader = true;
  int releases = 0;
};

TEST(NextDueTest, NeverRunJobIsDueAfterInitialDelay) {
  EXPECT_EQ(nextDue(std::nullopt, hours(6), minutes(0), Elapsed(hours(100))), Elapsed(hours(100)));
  EXPECT_EQ(nextDue(std::nullopt, hours(6), minutes(30), Elapsed(hours(100))),
            Elapsed(hours(100) + minutes(30)));
}

TEST(NextDueTest, RunJobIsDueOneIntervalAfterItsStart) {
  EXPECT_EQ(nextDue(Elapsed(hours(101)), hours(6), minutes(30), Elapsed(hours(100))),
            Elapsed(hours(107)));
}

TEST(JobRunnerTest, RunsDueJobsOncePerInterval) {
  FakeClock clock(kStart);
  SwitchLock lock;
  int syncs = 0;
  int reports = 0;
  JobRunner runner(clock, lock,
                   {ScheduledJob{"sync", hours(6), minutes(0), [&] { ++syncs; }},
                    ScheduledJob{"report", hours(1), minutes(10), [&] { ++reports; }}});

  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(syncs, 1);
  EXPECT_EQ(reports, 0);
  EXPECT_EQ(runner.runDue(), 0u);

  clock.advance(minutes(10));
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(reports, 1);

  clock.advance(hours(6));
  EXPECT_EQ(runner.runDue(), 2u);
  EXPECT_EQ(syncs, 2);
  EXPECT_EQ(reports, 2);
  EXPECT_EQ(runner.runCounts(), (std::vector<std::uint64_t>{2, 2}));
}

TEST(JobRunnerTest, OverdueJobRunsOnceWithoutCatchUp) {
  FakeClock clock(kStart);
  SwitchLock lock;
  int runs = 0;
  JobRunner runner(clock, lock, {ScheduledJob{"sync", hours(1), minutes(0), [&] { ++runs; }}});
  runner.runDue();

  // Ten intervals pass, as during a suspend.
  clock.advance(hours(10));
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(runner.runDue(), 0u);
  EXPECT_EQ(runs, 2);

  clock.advance(minutes(59));
  EXPECT_EQ(runner.runDue(), 0u);
  clock.advance(minutes(1));
  EXPECT_EQ(runner.runDue(), 1u);
}

TEST(JobRunnerTest, WallClockJumpsDoNotMatter) {
  FakeClock clock(kStart);
  SwitchLock lock;
  int runs = 0;
  JobRunner runner(clock, lock, {ScheduledJob{"sync", hours(1), minutes(0), [&] { ++runs; }}});
  runner.runDue();
  clock.setNow(kStart + hours(48));
  EXPECT_EQ(runner.runDue(), 0u);
  EXPECT_EQ(runs, 1);
}

TEST(JobRunnerTest, NonLeaderRunsNothingUntilItLeads) {
  FakeClock clock(kStart);
  SwitchLock lock;
  lock.leader = false;
  int runs = 0;
  JobRunner runner(clock, lock, {ScheduledJob{"sync", hours(1), minutes(0), [&] { ++runs; }}});
  EXPECT_EQ(runner.runDue(), 0u);
  EXPECT_EQ(runs, 0);

  lock.leader = true;
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(runs, 1);
}

// Node B waits while node A leads and syncs; A dies a little later. B then
// takes the due time from the records instead of running the job at once.
TEST(JobRunnerTest, NewLeaderTakesDueTimesFromRecords) {
  FakeClock clock(kStart);
  SwitchLock lock;
  lock.leader = false;
  int recorded_runs = 0;
  int plain_runs = 0;
  Elapsed since_last_run{minutes(10)};
  JobRunner runner(
      clock, lock,
      {ScheduledJob{.name = "feed",
                    .interval = hours(1),
                    .run = [&] { ++recorded_runs; },
                    .delay_from_records = [&]() -> Result<Elapsed> {
                      return Elapsed(hours(1)) - since_last_run;
                    }},
       ScheduledJob{.name = "plain", .interval = hours(1), .run = [&] { ++plain_runs; }}});
  EXPECT_EQ(runner.runDue(), 0u);

  lock.leader = true;
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(recorded_runs, 0);
  EXPECT_EQ(plain_runs, 1);

  clock.advance(minutes(49));
  EXPECT_EQ(runner.runDue(), 0u);
  clock.advance(minutes(1));
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(recorded_runs, 1);
  EXPECT_EQ(plain_runs, 1);

  // After that run the job follows its own interval again.
  clock.advance(minutes(10));
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(plain_runs, 2);
  clock.advance(minutes(49));
  EXPECT_EQ(runner.runDue(), 0u);
  clock.advance(minutes(1));
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(recorded_runs, 2);
}

// Losing and regaining the lead reads the records again.
TEST(JobRunnerTest, RegainedLeadReadsRecordsAgain) {
  FakeClock clock(kStart);
  SwitchLock lock;
  int lookups = 0;
  JobRunner runner(clock, lock,
                   {ScheduledJob{.name = "feed",
                                 .interval = hours(1),
                                 .run = [] {},
                                 .delay_from_records = [&]() -> Result<Elapsed> {
                                   ++lookups;
                                   return Elapsed{0};
                                 }}});
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(lookups, 1);
  clock.advance(hours(1));
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(lookups, 1);

  clock.advance(hours(1));
  lock.leader = false;
  EXPECT_EQ(runner.runDue(), 0u);
  lock.leader = true;
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(lookups, 2);
}

// An unreadable record leaves the job on its own schedule.
TEST(JobRunnerTest, FailedRecordLookupKeepsOwnSchedule) {
  FakeClock clock(kStart);
  SwitchLock lock;
  int runs = 0;
  JobRunner runner(clock, lock,
                   {ScheduledJob{.name = "feed",
                                 .interval = hours(1),
                                 .run = [&] { ++runs; },
                                 .delay_from_records = []() -> Result<Elapsed> {
                                   return fail(ErrorCode::kIoError, "database is down");
                                 }}});
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(runs, 1);
}

TEST(JobRunnerTest, ThrowingJobStaysScheduled) {
  FakeClock clock(kStart);
  SwitchLock lock;
  int runs = 0;
  JobRunner runner(clock, lock, {ScheduledJob{"sync", hours(1), minutes(0), [&] {
                                                ++runs;
                                                throw std::runtime_error("feed down");
                                              }}});
  EXPECT_EQ(runner.runDue(), 1u);
  clock.advance(hours(1));
  EXPECT_EQ(runner.runDue(), 1u);
  EXPECT_EQ(runs, 2);
}

TEST(JobRunnerTest, ThreadRunsJobsWhenWoken) {
  FakeClock clock(kStart);
  SwitchLock lock;
  std::mutex mutex;
  std::condition_variable ran;
  int runs = 0;
  auto job = [&] {
    std::lock_guard guard(mutex);
    ++runs;
    ran.notify_all();
  };
  auto waitForRuns = [&](int expected) {
    std::unique_lock guard(mutex);
    // A generous bound so a broken runner fails the test instead of hanging it.
    return ran.wait_for(guard, std::chrono::seconds(30), [&] { return runs >= expected; });
  };

  JobRunner runner(clock, lock, {ScheduledJob{"sync", hours(6), minutes(0), job}});
  runner.start();
  ASSERT_TRUE(waitForRuns(1));

  clock.advance(hours(6));
  runner.wake();
  ASSERT_TRUE(waitForRuns(2));

  runner.stop();
  EXPECT_EQ(lock.releases, 1);
  std::lock_guard guard(mutex);
  EXPECT_EQ(runs, 2);
}

TEST(LeaderLockTest, FileLockAllowsOneHolder) {
  auto directory = test_support::TemporaryDirectory::create("leader");
  ASSERT_TRUE(directory);
  auto path = directory->path() / "jobs.lock";
  auto first = FileLeaderLock::open(path);
  auto second = FileLeaderLock::open(path);
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);

  EXPECT_TRUE((*first)->tryAcquire());
  EXPECT_TRUE((*first)->tryAcquire());
  EXPECT_FALSE((*second)->tryAcquire());

  (*first)->release();
  EXPECT_TRUE((*second)->tryAcquire());
  EXPECT_FALSE((*first)->tryAcquire());

  // Closing the holder's file frees the lock, as a crashed process would.
  second->reset();
  EXPECT_TRUE((*first)->tryAcquire());
}

TEST(LeaderLockTest, UnopenableFileFails) {
  auto lock = FileLeaderLock::open("/nonexistent-folder/jobs.lock");
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().code, ErrorCode::kIoError);
}

TEST(LeaderLockTest, SingleNodeAlwaysLeads) {
  SingleNodeLeaderLock lock;
  EXPECT_TRUE(lock.tryAcquire());
  lock.release();
  EXPECT_TRUE(lock.tryAcquire());
}

}  // namespace
}  // namespace pk::server
