#include "agent/job_scheduler.h"

#include <gtest/gtest.h>

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

constexpr const char* kHostId = "h-00112233445566ff";
constexpr const char* kJobId = "j-0000000000000abc";

SystemTime at(const char* text) {
  return *parseRfc3339(text);
}

// A server job for one package with a pre hook that does not exist, so a
// job that starts fails at once, after its "installing" event, without
// running a package manager.
protocol::JobOrder serverOrder() {
  protocol::JobOrder order;
  order.job_id = kJobId;
  order.deployment_id = "d-1";
  order.deployment_name = "December";
  order.kind = protocol::JobHostKind::kServer;
  order.available_at = at("2026-12-01T00:00:00Z");
  order.deadline = at("2026-12-31T00:00:00Z");
  order.windows = {{at("2026-12-05T02:00:00Z"), at("2026-12-05T04:00:00Z")},
                   {at("2026-12-12T02:00:00Z"), at("2026-12-12T04:00:00Z")}};
  order.estimate_seconds = 60 * 60;
  order.packages = {{.name = "vuln", .version = "1.0-2"}};
  order.pre_hook = "absent-hook";
  return order;
}

class JobSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = TemporaryDirectory::create("job-scheduler");
    ASSERT_TRUE(created) << created.error().message;
    directory_ = std::move(*created);
    ASSERT_TRUE(test_support::writeDebianRoot(directory_->path() / "root", "12",
                                              {DpkgStanza{.package = "vuln", .version = "1.0-1"}}));
    fs::create_directories(directory_->path() / "hooks");
    fs::create_directories(directory_->path() / "state");

    server_state_.addRoutes(server_.server());
    ASSERT_TRUE(server_.start());
    auto client =
        protocol::ApiClient::create({.base_url = server_.url("http"), .allow_plain_http = true});
    ASSERT_TRUE(client) << client.error().message;
    client_.emplace(std::move(*client));
    auto journal = JobJournal::open(directory_->path() / "state");
    ASSERT_TRUE(journal) << journal.error().message;
    journal_.emplace(std::move(*journal));

    JobRunnerOptions options;
    options.root = directory_->path() / "root";
    options.installer.work_directory = directory_->path() / "work";
    options.hooks.folder = directory_->path() / "hooks";
    runner_.emplace(
        options, *journal_, *client_, []() -> Result<std::string> { return std::string(32, 'e'); },
        clock_, random_, [](Elapsed) {});
    scheduler_.emplace(*runner_, *journal_, *client_, clock_);
  }

  void serve(const protocol::JobOrder& order) { server_state_.setJobs({order}, clock_.now()); }

  std::optional<TemporaryDirectory> directory_;
  LoopbackServer server_;
  test_fakes::JobServerState server_state_;
  std::optional<protocol::ApiClient> client_;
  std::optional<JobJournal> journal_;
  FakeClock clock_{at("2026-12-05T01:00:00Z")};
  test_fakes::CountingRandom random_;
  std::optional<JobRunner> runner_;
  std::optional<JobScheduler> scheduler_;
};

TEST_F(JobSchedulerTest, WaitsBeforeWindow) {
  serve(serverOrder());
  scheduler_->runCycle(kHostId);
  scheduler_->runCycle(kHostId);

  const auto applied = server_state_.applied();
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].body["state"], "waiting_for_window");
  EXPECT_EQ(applied[0].body["next_window_start"], "2026-12-05T02:00:00Z");
}

TEST_F(JobSchedulerTest, StartsInsideWindow) {
  serve(serverOrder());
  clock_.setNow(at("2026-12-05T02:30:00Z"));
  scheduler_->runCycle(kHostId);

  EXPECT_EQ(server_state_.appliedStates(), (std::vector<std::string>{"installing", "failed"}));
}

TEST_F(JobSchedulerTest, TooLittleTimeLeftWaits) {
  serve(serverOrder());
  clock_.setNow(at("2026-12-05T03:30:00Z"));  // 30 minutes left, 60 estimated
  scheduler_->runCycle(kHostId);

  const auto applied = server_state_.applied();
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].body["state"], "waiting_for_window");
  EXPECT_EQ(applied[0].body["next_window_start"], "2026-12-12T02:00:00Z");
}

TEST_F(JobSchedulerTest, WaitsAgainPerOccurrence) {
  serve(serverOrder());
  scheduler_->runCycle(kHostId);
  clock_.setNow(at("2026-12-05T03:30:00Z"));
  scheduler_->runCycle(kHostId);

  const auto applied = server_state_.applied();
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[1].body["next_window_start"], "2026-12-12T02:00:00Z");
}

TEST_F(JobSchedulerTest, NeverFitsDoesNothing) {
  protocol::JobOrder order = serverOrder();
  order.estimate_seconds = 3 * 60 * 60;
  serve(order);
  clock_.setNow(at("2026-12-05T02:00:00Z"));
  scheduler_->runCycle(kHostId);
  EXPECT_TRUE(server_state_.applied().empty());
}

TEST_F(JobSchedulerTest, EndpointStartsWhenAvailable) {
  protocol::JobOrder order = serverOrder();
  order.kind = protocol::JobHostKind::kEndpoint;
  order.windows.clear();
  serve(order);
  scheduler_->runCycle(kHostId);
  EXPECT_EQ(server_state_.appliedStates(), (std::vector<std::string>{"installing", "failed"}));
}

TEST_F(JobSchedulerTest, EndpointNotAvailableWaitsQuietly) {
  protocol::JobOrder order = serverOrder();
  order.kind = protocol::JobHostKind::kEndpoint;
  order.windows.clear();
  order.available_at = at("2026-12-06T00:00:00Z");
  serve(order);
  scheduler_->runCycle(kHostId);
  EXPECT_TRUE(server_state_.applied().empty());
}

TEST_F(JobSchedulerTest, WindowsUpdateJobFails) {
  protocol::JobOrder order = serverOrder();
  order.kind = protocol::JobHostKind::kEndpoint;
  order.windows.clear();
  order.manager = protocol::JobManager::kWindowsUpdate;
  order.packages.clear();
  order.kbs = {"5066791"};
  serve(order);
  scheduler_->runCycle(kHostId);

  const auto applied = server_state_.applied();
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].body["state"], "failed");
  EXPECT_NE(applied[0].body["message"].get<std::string>().find("Windows"), std::string::npos);
}

TEST_F(JobSchedulerTest, FailedJobNotStartedAgain) {
  protocol::JobOrder order = serverOrder();
  order.kind = protocol::JobHostKind::kEndpoint;
  order.windows.clear();
  serve(order);
  server_state_.respondWith({200, 503, 503});  // "failed" stays queued
  scheduler_->runCycle(kHostId);
  scheduler_->runCycle(kHostId);

  // The second cycle tries "failed" again and does not start the job again.
  EXPECT_EQ(server_state_.appliedStates(), std::vector<std::string>{"installing"});
  EXPECT_EQ(server_state_.posts(), 3);
}

TEST_F(JobSchedulerTest, FinishedJobNotStartedAgain) {
  protocol::JobOrder order = serverOrder();
  order.kind = protocol::JobHostKind::kEndpoint;
  order.windows.clear();
  order.state = deploy::JobState::kVerifying;  // ran before; its entry is gone
  serve(order);
  scheduler_->runCycle(kHostId);
  EXPECT_TRUE(server_state_.applied().empty());
}

TEST_F(JobSchedulerTest, InvalidJobListIgnored) {
  server_state_.setJobList(R"({"server_time":"yesterday","jobs":[]})");
  scheduler_->runCycle(kHostId);
  EXPECT_EQ(server_state_.jobListRequests(), 1);
  EXPECT_TRUE(server_state_.applied().empty());
}

}  // namespace
}  // namespace pk::agent
