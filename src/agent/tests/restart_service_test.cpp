#include "agent/restart_service.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "agent/job_runner.h"
#include "agent/job_scheduler.h"
#include "agent/tests/fakes.h"
#include "agent/tests/job_server.h"
#include "restart/state_codec.h"
#include "tests/support/dpkg_sandbox.h"
#include "tests/support/temporary_directory.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using protocol::test_support::LoopbackServer;
using test_support::DpkgStanza;
using test_support::TemporaryDirectory;
using test_support::writeFile;

constexpr const char* kHostId = "h-00112233445566ff";
constexpr const char* kJobId = "j-0000000000000abc";
constexpr const char* kReportId = "0123456789abcdef0123456789abcdef";

restart::Instant instant(const char* text) {
  return std::chrono::floor<std::chrono::seconds>(*parseRfc3339(text));
}

// Records what users would have seen.
class RecordingChannel final : public restart::NoticeChannel {
 public:
  void show(const restart::Notice& notice) override { shown.push_back(notice); }
  void keepShown(const restart::Notice& current) override { kept.push_back(current); }
  void clear() override { ++clears; }

  std::vector<restart::NoticeKind> kinds() const {
    std::vector<restart::NoticeKind> result;
    for (const auto& notice : shown) result.push_back(notice.kind);
    return result;
  }

  std::vector<restart::Notice> shown;
  std::vector<restart::Notice> kept;
  int clears = 0;
};

// Records how many notices the state file on disk contains at each show(),
// which is what a crash during show() would leave behind.
class DiskSnapshotChannel final : public restart::NoticeChannel {
 public:
  explicit DiskSnapshotChannel(fs::path state_file) : state_file_(std::move(state_file)) {}
  void show(const restart::Notice&) override {
    std::ifstream file(state_file_);
    std::stringstream text;
    text << file.rdbuf();
    restart::State saved;
    std::string error;
    saved_notices.push_back(restart::decodeState(text.str(), saved, error)
                                ? static_cast<int>(saved.notices.size())
                                : -1);
  }
  void clear() override {}

  std::vector<int> saved_notices;

 private:
  fs::path state_file_;
};

class RestartServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = TemporaryDirectory::create("restart-service");
    ASSERT_TRUE(created) << created.error().message;
    directory_ = std::move(*created);
    ASSERT_TRUE(test_support::writeDebianRoot(root(), "12",
                                              {DpkgStanza{.package = "vuln", .version = "1.0-2"}}));
    ASSERT_TRUE(writeFile(root(), "run/reboot-required", ""));
    ASSERT_TRUE(writeFile(directory_->path(), "boot_id", "boot-1\n"));

    server_state_.addRoutes(server_.server());
    server_.server().Post(
        R"(/api/v1/hosts/(h-[0-9a-f]{16})/restart-state)",
        [this](const httplib::Request& request, httplib::Response& response) {
          std::lock_guard lock(mutex_);
          restart_reports_.push_back(nlohmann::json::parse(request.body));
          if (reject_reports_ > 0) {
            --reject_reports_;
            response.status = 400;
            response.set_content(R"({"error": "invalid_restart_report", "message": "test"})",
                                 "application/json");
            return;
          }
          response.set_content(R"({"applied": 0, "duplicates": 0})", "application/json");
        });
    ASSERT_TRUE(server_.start());
    auto client =
        protocol::ApiClient::create({.base_url = server_.url("http"), .allow_plain_http = true});
    ASSERT_TRUE(client) << client.error().message;
    client_.emplace(std::move(*client));

    fs::create_directories(state());
    auto journal = JobJournal::open(state());
    ASSERT_TRUE(journal) << journal.error().message;
    journal_.emplace(std::move(*journal));
    service_.emplace(serviceOptions(), clock_, channel_, random_);
    ASSERT_TRUE(service_->load());
  }

  fs::path root() const { return directory_->path() / "root"; }
  fs::path state() const { return directory_->path() / "state"; }
  fs::path bootIdFile() const { return directory_->path() / "boot_id"; }

  RestartOptions restartOptions() const {
    // A restart in a test writes a new boot id and clears the marker, as
    // a real boot does.
    RestartOptions options;
    options.fallback_command = {"sh", "-c",
                                "echo boot-2 > '" + bootIdFile().string() + "'; rm -f '" +
                                    (root() / "run/reboot-required").string() + "'"};
    options.boot_id_path = bootIdFile();
    return options;
  }

  RestartServiceOptions serviceOptions() const {
    return {.state_file = state() / "restart.json", .restart = restartOptions()};
  }

  JobRunner makeRunner() {
    JobRunnerOptions options;
    options.root = root();
    options.installer.work_directory = directory_->path() / "work";
    options.restart = restartOptions();
    JobRunner runner(
        options, *journal_, *client_,
        [this]() -> Result<std::string> {
          ++reports_;
          return std::string(kReportId);
        },
        clock_, random_, [](Elapsed) {});
    runner.setHostId(kHostId);
    runner.setRestartService(&*service_);
    return runner;
  }

  // Finishes an endpoint job whose install requires a restart.
  void finishEndpointJob(JobRunner& runner, std::int64_t reminder_seconds = 4 * 3600) {
    JobEntry job;
    job.job_id = kJobId;
    job.deployment_id = "d-1";
    job.endpoint = true;
    job.targets = {{.name = "vuln", .version = "1.0-2"}};
    job.phase = JobPhase::kInstalled;
    job.restart_deadline_seconds = 8 * 3600;
    job.restart_reminder_seconds = reminder_seconds;
    ASSERT_TRUE(journal_->save(job));
    runner.resumeAll();
  }

  std::string bootId() const {
    auto id = readBootId(bootIdFile());
    return id ? *id : "";
  }

  restart::State savedState() const {
    std::ifstream file(state() / "restart.json");
    std::stringstream text;
    text << file.rdbuf();
    restart::State loaded;
    std::string error;
    EXPECT_TRUE(restart::decodeState(text.str(), loaded, error)) << error;
    return loaded;
  }

  std::vector<nlohmann::json> restartReports() {
    std::lock_guard lock(mutex_);
    return restart_reports_;
  }

  // Steps the service every minute for `duration`, as its loop would.
  void runFor(Elapsed duration) {
    for (Elapsed passed{0}; passed < duration; passed += 1min) {
      service_->step();
      clock_.advance(1min);
    }
    service_->step();
  }

  std::optional<TemporaryDirectory> directory_;
  LoopbackServer server_;
  test_fakes::JobServerState server_state_;
  std::mutex mutex_;
  std::vector<nlohmann::json> restart_reports_;
  int reject_reports_ = 0;  // the next this many restart reports get 400
  std::optional<protocol::ApiClient> client_;
  std::optional<JobJournal> journal_;
  FakeClock clock_{*parseRfc3339("2027-03-10T10:00:00Z")};
  test_fakes::CountingRandom random_;
  RecordingChannel channel_;
  std::optional<RestartService> service_;
  int reports_ = 0;
};

TEST_F(RestartServiceTest, EndpointJobAttaches) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);

  EXPECT_EQ(server_state_.appliedStates(), std::vector<std::string>{"restart_pending"});
  const restart::RestartStatus status = service_->status();
  EXPECT_TRUE(status.pending);
  EXPECT_EQ(status.deadline, instant("2027-03-10T18:00:00Z"));
  ASSERT_EQ(channel_.kinds(), std::vector{restart::NoticeKind::kInstalled});
  EXPECT_EQ(bootId(), "boot-1");
}

TEST_F(RestartServiceTest, JobReminderIntervalUsed) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner, /*reminder_seconds=*/3600);

  EXPECT_EQ(service_->status().next_reminder, instant("2027-03-10T11:00:00Z"));
}

TEST_F(RestartServiceTest, StatePersistedAtAttach) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  const restart::State saved = savedState();

  EXPECT_TRUE(saved.pending);
  EXPECT_EQ(saved.boot_id, "boot-1");
  ASSERT_EQ(saved.jobs.size(), 1u);
  EXPECT_EQ(saved.jobs[0].job_id, kJobId);
}

TEST_F(RestartServiceTest, ReloadKeepsDeadline) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  const restart::Instant deadline = service_->status().deadline;
  clock_.advance(2h);

  RecordingChannel other_channel;
  RestartService reloaded(serviceOptions(), clock_, other_channel, random_);
  ASSERT_TRUE(reloaded.load());
  reloaded.step();

  EXPECT_EQ(reloaded.status().deadline, deadline);
}

TEST_F(RestartServiceTest, ReloadShowsNoticeAgain) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  clock_.advance(2h);

  RecordingChannel other_channel;
  RestartService reloaded(serviceOptions(), clock_, other_channel, random_);
  ASSERT_TRUE(reloaded.load());
  reloaded.step();

  EXPECT_EQ(other_channel.kinds(), std::vector{restart::NoticeKind::kInstalled});
}

TEST_F(RestartServiceTest, ReloadShowsCountdownAgain) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);  // deadline 8 h after the install
  clock_.advance(6h + 29min);
  runFor(5min);
  ASSERT_EQ(channel_.kinds().back(), restart::NoticeKind::kCountdown);
  const restart::State before = savedState();

  clock_.advance(1min);
  RecordingChannel other_channel;
  RestartService reloaded(serviceOptions(), clock_, other_channel, random_);
  ASSERT_TRUE(reloaded.load());
  reloaded.step();

  ASSERT_EQ(other_channel.kinds(), std::vector{restart::NoticeKind::kCountdown});
  EXPECT_EQ(other_channel.shown[0].restart_at, instant("2027-03-10T18:00:00Z"));
  EXPECT_EQ(savedState().countdown_end, before.countdown_end);
}

TEST_F(RestartServiceTest, ReloadAfterBootShowsNothing) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  clock_.advance(6h + 40min);
  runFor(5min);
  ASSERT_EQ(channel_.kinds().back(), restart::NoticeKind::kCountdown);

  // The user restarted during the countdown, and the server is not reached.
  ASSERT_TRUE(writeFile(directory_->path(), "boot_id", "boot-2\n"));
  RecordingChannel other_channel;
  RestartService reloaded(serviceOptions(), clock_, other_channel, random_);
  ASSERT_TRUE(reloaded.load());
  reloaded.step();

  EXPECT_TRUE(other_channel.shown.empty());
}

TEST_F(RestartServiceTest, StepAfterBootKeepsNothingShown) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  clock_.advance(2h);
  runFor(5min);
  ASSERT_TRUE(writeFile(directory_->path(), "boot_id", "boot-2\n"));
  const std::size_t kept_before = channel_.kept.size();

  service_->step();

  EXPECT_EQ(channel_.kept.size(), kept_before);
}

TEST_F(RestartServiceTest, ShowingAgainLogsNoEvent) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  clock_.advance(6h + 29min);
  runFor(5min);
  const std::size_t events_before = savedState().events.size();

  RecordingChannel other_channel;
  RestartService reloaded(serviceOptions(), clock_, other_channel, random_);
  ASSERT_TRUE(reloaded.load());
  reloaded.step();

  EXPECT_EQ(savedState().events.size(), events_before);
}

TEST_F(RestartServiceTest, NoticeShownBeforeSaved) {
  JobRunner runner = makeRunner();
  DiskSnapshotChannel snapshots(state() / "restart.json");
  service_.emplace(serviceOptions(), clock_, snapshots, random_);
  ASSERT_TRUE(service_->load());
  runner.setRestartService(&*service_);
  finishEndpointJob(runner);

  // At the show, the file on disk does not yet record the notice, so a
  // crash during show() brings it again at the next start.
  EXPECT_EQ(snapshots.saved_notices, std::vector<int>{0});
}

TEST_F(RestartServiceTest, StepKeepsNoticeShown) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  clock_.advance(1min);
  service_->step();

  ASSERT_EQ(channel_.kept.size(), 1u);
  EXPECT_EQ(channel_.kept[0].kind, restart::NoticeKind::kInstalled);
}

TEST_F(RestartServiceTest, WallClockBackShowsTrueRestart) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);  // restart at 18:00 by the policy clock
  clock_.advance(6h + 29min);
  runFor(5min);
  // Someone sets the wall clock back by a day during the countdown.
  clock_.setNow(clock_.now() - 24h);
  service_->step();

  ASSERT_FALSE(channel_.kept.empty());
  const auto wall = std::chrono::floor<std::chrono::seconds>(clock_.now());
  EXPECT_EQ(channel_.kept.back().restart_at - wall, 18h - (16h + 34min));
}

TEST_F(RestartServiceTest, EarlyRestartVerifiesAfterBoot) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  clock_.advance(30min);
  auto outcome = service_->apply({.kind = restart::ChoiceKind::kRestartNow, .user = "alice"});
  ASSERT_TRUE(outcome.applied) << outcome.message;
  ASSERT_EQ(bootId(), "boot-2") << "the fallback restart command did not run";

  runner.carryRestart();

  EXPECT_EQ(server_state_.appliedStates(),
            (std::vector<std::string>{"restart_pending", "verifying"}));
  EXPECT_EQ(reports_, 2);
  EXPECT_FALSE(service_->status().pending);
  EXPECT_FALSE(savedState().pending);
  EXPECT_EQ(channel_.clears, 1);
}

TEST_F(RestartServiceTest, FinalReportCarriesChoice) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  service_->apply({.kind = restart::ChoiceKind::kRestartNow, .user = "alice"});
  runner.carryRestart();

  const auto reports = restartReports();
  ASSERT_EQ(reports.size(), 1u);
  const nlohmann::json& report = reports[0];
  EXPECT_EQ(report["pending"], false);
  EXPECT_TRUE(report["restarted_at"].is_string());
  EXPECT_EQ(report["job_ids"], nlohmann::json::array({kJobId}));
  std::vector<std::string> users;
  for (const auto& event : report["events"]) {
    if (event["type"] == "choice") users.push_back(event["user"]);
  }
  EXPECT_EQ(users, std::vector<std::string>{"alice"});
}

TEST_F(RestartServiceTest, PendingReportAcknowledged) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  runner.carryRestart();
  runner.carryRestart();

  const auto reports = restartReports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0]["pending"], true);
  EXPECT_EQ(reports[0]["events"].size(), 1u);
  EXPECT_EQ(reports[1]["events"].size(), 0u) << "an acknowledged event was sent again";
}

TEST_F(RestartServiceTest, RejectedReportKeepsEvents) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  reject_reports_ = 1;
  runner.carryRestart();
  clock_.advance(kFirstRestartReportBackoff);
  runner.carryRestart();

  const auto reports = restartReports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[1]["events"], reports[0]["events"]) << "rejected events were dropped";
}

TEST_F(RestartServiceTest, RejectedReportBacksOff) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  reject_reports_ = 1;
  runner.carryRestart();
  clock_.advance(kFirstRestartReportBackoff - 1min);
  runner.carryRestart();

  EXPECT_EQ(restartReports().size(), 1u);
}

TEST_F(RestartServiceTest, RejectedReportCopiedAside) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  reject_reports_ = 1;
  runner.carryRestart();

  std::ifstream file(state() / "restart-report-rejected.json");
  ASSERT_TRUE(file.is_open());
  const auto copy = nlohmann::json::parse(file);
  EXPECT_EQ(copy["report"]["events"], restartReports()[0]["events"]);
}

TEST_F(RestartServiceTest, RejectedFinalReportKeepsRestart) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  ASSERT_TRUE(writeFile(directory_->path(), "boot_id", "boot-3\n"));
  reject_reports_ = 1;
  runner.carryRestart();

  EXPECT_TRUE(savedState().pending) << "the restart was forgotten before the server had it";
}

TEST_F(RestartServiceTest, InstallAfterBootVerifiesEarlierJob) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  // The machine booted, and a second job installs before the check-in
  // that would have verified the first.
  ASSERT_TRUE(writeFile(directory_->path(), "boot_id", "boot-3\n"));
  clock_.advance(1h);
  ASSERT_TRUE(service_->attach("j-0000000000000def", {}));
  runner.carryRestart();

  EXPECT_EQ(server_state_.appliedStates(),
            (std::vector<std::string>{"restart_pending", "verifying"}));
  EXPECT_EQ(service_->status().deadline, instant("2027-03-11T11:00:00Z"));
}

TEST_F(RestartServiceTest, RestartsAtDeadline) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);  // deadline 8 h after the install
  clock_.advance(6h + 29min);
  runFor(30min);

  EXPECT_EQ(channel_.kinds().back(), restart::NoticeKind::kCountdown);
  EXPECT_EQ(bootId(), "boot-1") << "restarted before the deadline";
  runFor(62min);
  EXPECT_EQ(channel_.kinds().back(), restart::NoticeKind::kRestarting);
  EXPECT_EQ(bootId(), "boot-2");
  EXPECT_EQ(channel_.shown.back().shown_at, instant("2027-03-10T18:00:00Z"));
}

TEST_F(RestartServiceTest, CheckinCycleVerifiesAfterBoot) {
  JobRunner runner = makeRunner();
  finishEndpointJob(runner);
  // The machine was switched off and booted before the deadline.
  ASSERT_TRUE(writeFile(directory_->path(), "boot_id", "boot-3\n"));
  JobScheduler scheduler(runner, *journal_, *client_, clock_);
  scheduler.runCycle(kHostId);

  EXPECT_EQ(server_state_.appliedStates(),
            (std::vector<std::string>{"restart_pending", "verifying"}));
  EXPECT_FALSE(service_->status().pending);
  ASSERT_FALSE(restartReports().empty());
  EXPECT_TRUE(restartReports().back()["restarted_at"].is_string());
}

TEST_F(RestartServiceTest, CorruptStateMovedAside) {
  ASSERT_TRUE(writeFile(state(), "restart.json", "{not json"));
  RestartService fresh(serviceOptions(), clock_, channel_, random_);

  ASSERT_TRUE(fresh.load());
  EXPECT_FALSE(fresh.status().pending);
  EXPECT_TRUE(fs::exists(state() / "corrupt" / "restart.json"));
}

}  // namespace
}  // namespace pk::agent
