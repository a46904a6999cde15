#include "agent/job_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "agent/tests/fakes.h"
#include "agent/tests/job_server.h"
#include "tests/support/dpkg_sandbox.h"
#include "tests/support/temporary_directory.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using protocol::test_support::LoopbackServer;
using test_support::DpkgStanza;
using test_support::TemporaryDirectory;
using test_support::writeFile;

constexpr const char* kHostId = "h-00112233445566ff";
constexpr const char* kJobId = "j-0000000000000abc";
constexpr const char* kReportId = "0123456789abcdef0123456789abcdef";

TEST(DiffVersions, ListsChangedAddedRemoved) {
  const std::vector<protocol::PackageChange> changes =
      diffVersions({{"a", "1"}, {"b", "1"}, {"c", "1"}}, {{"a", "2"}, {"b", "1"}, {"d", "1"}});
  std::vector<std::string> described;
  for (const auto& change : changes) {
    described.push_back(change.name + ":" + change.from + ">" + change.to);
  }
  EXPECT_EQ(described, (std::vector<std::string>{"a:1>2", "c:1>", "d:>1"}));
}

TEST(TargetsInstalled, RequiresConfiguredPackage) {
  inventory::HostInventory host;
  host.packages = {{.name = "vuln", .version = "1.0-2", .state = "half-configured"}};
  EXPECT_FALSE(targetsInstalled(host, {{.name = "vuln", .version = "1.0-2"}}));
  host.packages[0].state = "installed";
  EXPECT_TRUE(targetsInstalled(host, {{.name = "vuln", .version = "1.0-2"}}));
}

TEST(TargetsInstalled, IgnoresZeroEpoch) {
  inventory::HostInventory host;
  host.packages = {{.name = "vuln", .version = "0:1.0-2"}};
  EXPECT_TRUE(targetsInstalled(host, {{.name = "vuln", .version = "1.0-2"}}));
}

TEST(TargetsInstalled, RejectsOtherVersion) {
  inventory::HostInventory host;
  host.packages = {{.name = "vuln", .version = "1.0-1", .state = "installed"}};
  EXPECT_FALSE(targetsInstalled(host, {{.name = "vuln", .version = "1.0-2"}}));
}

class JobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = TemporaryDirectory::create("job-runner");
    ASSERT_TRUE(created) << created.error().message;
    directory_ = std::move(*created);
    ASSERT_TRUE(test_support::writeDebianRoot(root(), "12",
                                              {DpkgStanza{.package = "vuln", .version = "1.0-2"}}));
    ASSERT_TRUE(writeFile(directory_->path(), "boot_id", "boot-1\n"));

    server_state_.addRoutes(server_.server());
    ASSERT_TRUE(server_.start());
    auto client =
        protocol::ApiClient::create({.base_url = server_.url("http"), .allow_plain_http = true});
    ASSERT_TRUE(client) << client.error().message;
    client_.emplace(std::move(*client));

    fs::create_directories(directory_->path() / "state");
    auto journal = JobJournal::open(directory_->path() / "state");
    ASSERT_TRUE(journal) << journal.error().message;
    journal_.emplace(std::move(*journal));
  }

  fs::path root() const { return directory_->path() / "root"; }
  fs::path bootIdFile() const { return directory_->path() / "boot_id"; }

  JobRunnerOptions options() const {
    JobRunnerOptions options;
    options.root = root();
    options.installer.work_directory = directory_->path() / "work";
    options.hooks.folder = directory_->path() / "hooks";
    // A restart in a test writes a new boot id and clears the marker, as
    // a real boot does.
    options.restart.fallback_command = {"sh", "-c",
                                        "echo boot-2 > '" + bootIdFile().string() + "'; rm -f '" +
                                            (root() / "run/reboot-required").string() + "'"};
    options.restart.boot_id_path = bootIdFile();
    return options;
  }

  JobRunner makeRunner() {
    JobRunner runner(
        options(), *journal_, *client_,
        [this]() -> Result<std::string> {
          ++reports_;
          return std::string(kReportId);
        },
        clock_, random_, [](Elapsed) {});
    runner.setHostId(kHostId);
    return runner;
  }

  JobEntry entry(JobPhase phase) const {
    JobEntry job;
    job.job_id = kJobId;
    job.deployment_id = "d-1";
    job.targets = {{.name = "vuln", .version = "1.0-2"}};
    job.phase = phase;
    job.started_at = clock_.now() - std::chrono::minutes(3);
    job.versions_before = {{"vuln", "1.0-1"}};
    return job;
  }

  std::optional<TemporaryDirectory> directory_;
  LoopbackServer server_;
  test_fakes::JobServerState server_state_;
  std::optional<protocol::ApiClient> client_;
  std::optional<JobJournal> journal_;
  FakeClock clock_{*parseRfc3339("2026-12-05T02:00:00Z")};
  test_fakes::CountingRandom random_;
  int reports_ = 0;
};

TEST_F(JobRunnerTest, WaitingSentOncePerOccurrence) {
  JobRunner runner = makeRunner();
  const SystemTime first = *parseRfc3339("2026-12-06T02:00:00Z");
  const SystemTime second = *parseRfc3339("2026-12-13T02:00:00Z");
  runner.noteWaiting(entry(JobPhase::kWaiting), first);
  runner.noteWaiting(entry(JobPhase::kWaiting), first);
  runner.noteWaiting(entry(JobPhase::kWaiting), second);

  const auto applied = server_state_.applied();
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[0].body["state"], "waiting_for_window");
  EXPECT_EQ(applied[0].body["next_window_start"], "2026-12-06T02:00:00Z");
  EXPECT_EQ(applied[1].body["next_window_start"], "2026-12-13T02:00:00Z");
}

TEST_F(JobRunnerTest, ResendsEventWithSameId) {
  JobRunner runner = makeRunner();
  server_state_.respondWith({503});
  runner.noteWaiting(entry(JobPhase::kWaiting), *parseRfc3339("2026-12-06T02:00:00Z"));
  EXPECT_TRUE(server_state_.applied().empty());

  auto journaled = journal_->find(kJobId);
  ASSERT_TRUE(journaled);
  ASSERT_TRUE(*journaled);
  ASSERT_EQ((*journaled)->unsent.size(), 1u);
  const std::string event_id = (*journaled)->unsent[0].event_id;

  runner.resumeAll();
  const auto applied = server_state_.applied();
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].body["event_id"], event_id);
  EXPECT_EQ(server_state_.posts(), 2);
}

TEST_F(JobRunnerTest, CancelledJobIsDropped) {
  JobRunner runner = makeRunner();
  server_state_.respondWithError(409, "job_cancelled");
  runner.noteWaiting(entry(JobPhase::kWaiting), *parseRfc3339("2026-12-06T02:00:00Z"));
  auto journaled = journal_->find(kJobId);
  ASSERT_TRUE(journaled);
  EXPECT_FALSE(journaled->has_value());
}

TEST_F(JobRunnerTest, StateConflictDropsOnlyEvent) {
  JobRunner runner = makeRunner();
  server_state_.respondWithError(409, "job_state_conflict");
  runner.noteWaiting(entry(JobPhase::kWaiting), *parseRfc3339("2026-12-06T02:00:00Z"));

  auto journaled = journal_->find(kJobId);
  ASSERT_TRUE(journaled);
  ASSERT_TRUE(journaled->has_value()) << "the job itself stays in the journal";
  EXPECT_EQ((*journaled)->phase, JobPhase::kWaiting);
  EXPECT_TRUE((*journaled)->unsent.empty());
  EXPECT_TRUE(server_state_.applied().empty());
}

TEST_F(JobRunnerTest, LostReportIsSentAgain) {
  JobRunner runner = makeRunner();
  ASSERT_TRUE(journal_->save(entry(JobPhase::kInstalled)));
  server_state_.respondWithError(409, "report_not_received");
  runner.resumeAll();

  EXPECT_EQ(reports_, 1);
  EXPECT_TRUE(server_state_.applied().empty());
  auto journaled = journal_->find(kJobId);
  ASSERT_TRUE(journaled);
  ASSERT_TRUE(journaled->has_value());
  EXPECT_EQ((*journaled)->phase, JobPhase::kInstalled);
  EXPECT_TRUE((*journaled)->unsent.empty());

  runner.resumeAll();
  EXPECT_EQ(reports_, 2);
  EXPECT_EQ(server_state_.appliedStates(), std::vector<std::string>{"verifying"});
}

TEST_F(JobRunnerTest, InstalledWithoutRestartVerifies) {
  JobRunner runner = makeRunner();
  ASSERT_TRUE(journal_->save(entry(JobPhase::kInstalled)));
  runner.resumeAll();

  const auto applied = server_state_.applied();
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].body["state"], "verifying");
  EXPECT_EQ(applied[0].body["report_id"], kReportId);
  EXPECT_EQ(applied[0].body["duration_seconds"], 180);
  EXPECT_EQ(reports_, 1);
  auto journaled = journal_->find(kJobId);
  ASSERT_TRUE(journaled);
  EXPECT_FALSE(journaled->has_value()) << "a finished job stays in the journal";
}

TEST_F(JobRunnerTest, ServerRestartsThenVerifies) {
  ASSERT_TRUE(writeFile(root(), "run/reboot-required", ""));
  JobRunner runner = makeRunner();
  ASSERT_TRUE(journal_->save(entry(JobPhase::kInstalled)));

  runner.resumeAll();
  EXPECT_EQ(server_state_.appliedStates(), std::vector<std::string>{"restarting"});
  auto journaled = journal_->find(kJobId);
  ASSERT_TRUE(journaled);
  ASSERT_TRUE(*journaled);
  EXPECT_EQ((*journaled)->phase, JobPhase::kRestarting);
  EXPECT_EQ((*journaled)->boot_id_before_restart, "boot-1");
  EXPECT_TRUE((*journaled)->restart_requested);
  EXPECT_EQ(reports_, 0);

  runner.resumeAll();
  EXPECT_EQ(server_state_.appliedStates(), (std::vector<std::string>{"restarting", "verifying"}));
  EXPECT_EQ(reports_, 1);
}

TEST_F(JobRunnerTest, ServerRestartsOnlyOnce) {
  ASSERT_TRUE(writeFile(root(), "run/reboot-required", ""));
  JobRunnerOptions sticky = options();
  // The boot id changes, but the marker stays, as with a kernel that does
  // not become the default.
  sticky.restart.fallback_command = {"sh", "-c", "echo boot-2 > '" + bootIdFile().string() + "'"};
  JobRunner runner(
      sticky, *journal_, *client_,
      [this]() -> Result<std::string> {
        ++reports_;
        return std::string(kReportId);
      },
      clock_, random_, [](Elapsed) {});
  runner.setHostId(kHostId);
  ASSERT_TRUE(journal_->save(entry(JobPhase::kInstalled)));

  runner.resumeAll();
  runner.resumeAll();
  runner.resumeAll();
  EXPECT_EQ(server_state_.appliedStates(), (std::vector<std::string>{"restarting", "verifying"}));
  EXPECT_EQ(reports_, 1);
  const auto applied = server_state_.applied();
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_NE(applied[1].body.value("message", "").find("still requires a restart"),
            std::string::npos);
}

TEST_F(JobRunnerTest, RestartWaitsForNewBootId) {
  ASSERT_TRUE(writeFile(root(), "run/reboot-required", ""));
  JobRunnerOptions quiet = options();
  quiet.restart.fallback_command = {"true"};  // accepted, but no restart follows
  JobRunner runner(
      quiet, *journal_, *client_, []() -> Result<std::string> { return std::string(kReportId); },
      clock_, random_, [](Elapsed) {});
  runner.setHostId(kHostId);
  ASSERT_TRUE(journal_->save(entry(JobPhase::kInstalled)));

  runner.resumeAll();
  runner.resumeAll();
  EXPECT_EQ(server_state_.appliedStates(), std::vector<std::string>{"restarting"});
}

TEST_F(JobRunnerTest, RestartWaitsOutsideWindow) {
  ASSERT_TRUE(writeFile(root(), "run/reboot-required", ""));
  JobRunner runner = makeRunner();
  JobEntry job = entry(JobPhase::kInstalled);
  job.restart_in_window = true;
  // The install ran past the end of the 01:00-02:00 occurrence.
  job.restart_windows = {
      {clock_.now() - std::chrono::hours(1), clock_.now()},
      {clock_.now() + std::chrono::hours(23), clock_.now() + std::chrono::hours(24)}};
  ASSERT_TRUE(journal_->save(job));

  runner.resumeAll();
  auto boot_id = readBootId(bootIdFile());
  ASSERT_TRUE(boot_id);
  EXPECT_EQ(*boot_id, "boot-1") << "the host restarted outside its window";
  auto journaled = journal_->find(kJobId);
  ASSERT_TRUE(journaled);
  ASSERT_TRUE(*journaled);
  EXPECT_FALSE((*journaled)->restart_requested);

  clock_.advance(std::chrono::hours(23));
  runner.resumeAll();
  journaled = journal_->find(kJobId);
  ASSERT_TRUE(journaled);
  ASSERT_TRUE(*journaled);
  EXPECT_TRUE((*journaled)->restart_requested);
}

TEST_F(JobRunnerTest, EndpointRestartPending) {
  ASSERT_TRUE(writeFile(root(), "run/reboot-required", ""));
  JobRunner runner = makeRunner();
  JobEntry endpoint = entry(JobPhase::kInstalled);
  endpoint.endpoint = true;
  ASSERT_TRUE(journal_->save(endpoint));

  runner.resumeAll();
  EXPECT_EQ(server_state_.appliedStates(), std::vector<std::string>{"restart_pending"});
  auto boot_id = readBootId(bootIdFile());
  ASSERT_TRUE(boot_id);
  EXPECT_EQ(*boot_id, "boot-1") << "an endpoint job restarted the host";
}

TEST_F(JobRunnerTest, MissingPreHookFails) {
  fs::create_directories(options().hooks.folder);
  JobRunner runner = makeRunner();
  JobEntry job = entry(JobPhase::kWaiting);
  job.pre_hook = "stop-app";
  runner.start(job);

  const auto applied = server_state_.applied();
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[0].body["state"], "installing");
  EXPECT_EQ(applied[1].body["state"], "failed");
  EXPECT_NE(applied[1].body["message"].get<std::string>().find("does not exist"), std::string::npos)
      << applied[1].body.dump();
}

TEST_F(JobRunnerTest, UnderwayAfterStart) {
  fs::create_directories(options().hooks.folder);
  JobRunner runner = makeRunner();
  server_state_.respondWith({503, 503, 503});
  JobEntry job = entry(JobPhase::kWaiting);
  job.pre_hook = "absent";
  runner.start(job);
  EXPECT_TRUE(runner.underway(kJobId));
}

}  // namespace
}  // namespace pk::agent
