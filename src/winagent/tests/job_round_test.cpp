#include "winagent/job_round.h"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "protocol/jobs.h"
#include "winagent/tests/temporary_folder.h"
#include "winagent/tests/wua_test_objects.h"
#include "winagent/wua.h"

namespace pk::winagent {
namespace {

using namespace std::chrono_literals;
using testing::TestSession;
using testing::TestUpdateCollection;
using testing::UpdateAgentState;
using testing::UpdateFields;
using testing::UpdateOutcome;

const SystemTime kMonday = SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 6 / 8));
const HostIdentity kIdentity{"h-00112233aabbccdd", std::string(64, 'e'), ""};
const std::wstring kUpdateId = L"33333333-0000-4000-8000-000000000001";
const std::string kJobPath = "/api/v1/hosts/h-00112233aabbccdd/jobs";

// A transport that serves one job list and accepts job events, reading
// each event with the server's parser.
class JobServer final : public Transport {
 public:
  Result<HttpResponse> send(const HttpRequest& request) override {
    if (request.bearer_token != kIdentity.token) return HttpResponse{401, "", ""};
    if (request.method == "GET" && request.path == kJobPath) {
      return HttpResponse{200, protocol::toJson(list).dump(), "application/json"};
    }
    if (request.method == "POST" && request.path.starts_with(kJobPath + "/")) {
      auto event = protocol::parseJobEvent(request.body);
      if (!event) return HttpResponse{400, event.error().message, ""};
      if (event->state != deploy::JobState::kInstalling && after_install_status != 200) {
        return HttpResponse{after_install_status, "", ""};
      }
      events.push_back(*event);
      protocol::JobEventResponse response{event->state, cancel_on == event->state};
      return HttpResponse{200, protocol::toJson(response).dump(), "application/json"};
    }
    return HttpResponse{404, "", ""};
  }

  protocol::JobList list;
  std::vector<protocol::JobEvent> events;
  std::optional<deploy::JobState> cancel_on;
  // The status of every event post but installing's; 200 stores the event.
  int after_install_status = 200;
};

protocol::JobOrder endpointJob(deploy::JobState state = deploy::JobState::kPending) {
  protocol::JobOrder order;
  order.job_id = "j-0123456789abcdef";
  order.deployment_id = "d-1";
  order.deployment_name = "June";
  order.state = state;
  order.kind = protocol::JobHostKind::kEndpoint;
  order.manager = protocol::JobManager::kWindowsUpdate;
  order.available_at = kMonday;
  order.deadline = kMonday + 24h * 7;
  order.kbs = {"5060842"};
  return order;
}

struct Harness {
  JobServer server;
  UpdateAgentState state;
  FakeClock clock{kMonday + 9h};
  int next_id = 0;
  int fresh_reports = 0;

  Harness() {
    server.list.server_time = kMonday + 9h;
    state.search_results[std::wstring(kPendingCriteria)] = {
        UpdateFields{.id = kUpdateId, .kbs = {L"5060842"}, .title = L"Cumulative Update"}};
  }

  std::vector<std::string> attached;  // job ids handed to the restart service

  std::optional<JobOutbox> outbox;

  Result<JobRoundOutcome> run(bool with_restart_service = false) {
    auto session = ComPtr<IUpdateSession>::adopt(new TestSession(state));
    auto collections = []() -> Result<ComPtr<IUpdateCollection>> {
      return ComPtr<IUpdateCollection>::adopt(new TestUpdateCollection());
    };
    EventIdSource ids = [this] { return fmt::format("{:032x}", ++next_id); };
    FreshReport report = [this]() -> Result<std::string> {
      ++fresh_reports;
      return std::string(32, 'f');
    };
    AttachRestart attach = [this](const protocol::JobOrder& order) -> Result<void> {
      attached.push_back(order.job_id);
      return {};
    };
    return runJobRound(server, kIdentity, clock, *session.get(), collections, ids, report,
                       with_restart_service ? attach : AttachRestart(),
                       outbox ? &*outbox : nullptr);
  }

  std::vector<deploy::JobState> states() const {
    std::vector<deploy::JobState> posted;
    for (const auto& event : server.events) posted.push_back(event.state);
    return posted;
  }
};

TEST(JobRound, InstallsAndVerifies) {
  Harness harness;
  harness.server.list.jobs = {endpointJob()};
  auto outcome = harness.run();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->started, 1u);
  EXPECT_TRUE(outcome->problems.empty());
  EXPECT_EQ(harness.states(), (std::vector<deploy::JobState>{deploy::JobState::kInstalling,
                                                             deploy::JobState::kInstalled,
                                                             deploy::JobState::kVerifying}));
  EXPECT_EQ(harness.server.events.back().report_id, std::string(32, 'f'));
  EXPECT_EQ(harness.fresh_reports, 1);
}

TEST(JobRound, ServerJobWaitsForWindow) {
  Harness harness;
  protocol::JobOrder order = endpointJob();
  order.kind = protocol::JobHostKind::kServer;
  order.windows = {deploy::TimeSpan{kMonday + 22h, kMonday + 26h}};
  harness.server.list.jobs = {order};
  auto outcome = harness.run();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(harness.states(), (std::vector<deploy::JobState>{deploy::JobState::kWaitingForWindow}));
  EXPECT_TRUE(harness.state.installed_ids.empty());
}

TEST(JobRound, SkipsJobUnderWay) {
  Harness harness;
  harness.server.list.jobs = {endpointJob(deploy::JobState::kInstalling)};
  auto outcome = harness.run();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(outcome->jobs, 1u);
  EXPECT_TRUE(harness.server.events.empty());
  EXPECT_TRUE(harness.state.searches.empty());
}

TEST(JobRound, CancelStopsBeforeInstall) {
  Harness harness;
  harness.server.list.jobs = {endpointJob()};
  harness.server.cancel_on = deploy::JobState::kInstalling;
  auto outcome = harness.run();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_TRUE(harness.state.installed_ids.empty());
  ASSERT_EQ(outcome->problems.size(), 1u);
  EXPECT_NE(outcome->problems[0].find("cancelled"), std::string::npos);
}

TEST(JobRound, RestartKeepsJobInstalled) {
  Harness harness;
  harness.server.list.jobs = {endpointJob()};
  harness.state.install_outcomes[kUpdateId] = UpdateOutcome{.reboot_required = true};
  auto outcome = harness.run();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(harness.states(), (std::vector<deploy::JobState>{deploy::JobState::kInstalling,
                                                             deploy::JobState::kInstalled}));
  EXPECT_EQ(harness.fresh_reports, 0);
}

TEST(JobRound, EndpointRestartIsPending) {
  Harness harness;
  protocol::JobOrder order = endpointJob();
  order.restart.mode = protocol::RestartMode::kEndpoint;
  harness.server.list.jobs = {order};
  harness.state.install_outcomes[kUpdateId] = UpdateOutcome{.reboot_required = true};
  auto outcome = harness.run(true);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(harness.states(), (std::vector<deploy::JobState>{deploy::JobState::kInstalling,
                                                             deploy::JobState::kInstalled,
                                                             deploy::JobState::kRestartPending}));
  EXPECT_EQ(harness.attached, std::vector<std::string>{order.job_id});
  EXPECT_EQ(harness.fresh_reports, 1);
}

TEST(JobRound, ServerRestartStaysInstalled) {
  Harness harness;
  protocol::JobOrder order = endpointJob();
  order.restart.mode = protocol::RestartMode::kInWindow;
  harness.server.list.jobs = {order};
  harness.state.install_outcomes[kUpdateId] = UpdateOutcome{.reboot_required = true};
  auto outcome = harness.run(true);
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(harness.states().back(), deploy::JobState::kInstalled);
  EXPECT_TRUE(harness.attached.empty());
}

// Sets up the outbox in a folder of its own and a server that fails every
// event post after installing with `status`.
void failEventsWith(Harness& harness, const testing::TemporaryFolder& folder, int status) {
  std::filesystem::create_directories(folder.path());
  harness.outbox.emplace(folder.path() / "job-outbox.json");
  harness.server.list.jobs = {endpointJob()};
  harness.server.after_install_status = status;
}

TEST(JobOutbox, QueuesEventsAfterInstall) {
  Harness harness;
  testing::TemporaryFolder folder;
  failEventsWith(harness, folder, 503);
  ASSERT_TRUE(harness.run().has_value());
  auto queued = harness.outbox->load();
  ASSERT_TRUE(queued.has_value()) << queued.error().message;
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ((*queued)[0].event.state, deploy::JobState::kInstalled);
  EXPECT_EQ((*queued)[1].event.state, deploy::JobState::kVerifying);
}

TEST(JobOutbox, InstallingIsNotQueued) {
  Harness harness;
  testing::TemporaryFolder folder;
  failEventsWith(harness, folder, 503);
  ASSERT_TRUE(harness.run().has_value());
  auto queued = harness.outbox->load();
  ASSERT_TRUE(queued.has_value());
  for (const QueuedJobEvent& entry : *queued) {
    EXPECT_NE(entry.event.state, deploy::JobState::kInstalling);
  }
}

TEST(JobOutbox, NextRoundSendsQueuedFirst) {
  Harness harness;
  testing::TemporaryFolder folder;
  failEventsWith(harness, folder, 503);
  ASSERT_TRUE(harness.run().has_value());
  harness.server.after_install_status = 200;
  harness.server.events.clear();
  harness.server.list.jobs.front().state = deploy::JobState::kInstalling;
  auto outcome = harness.run();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(harness.states(), (std::vector<deploy::JobState>{deploy::JobState::kInstalled,
                                                             deploy::JobState::kVerifying}));
  auto queued = harness.outbox->load();
  ASSERT_TRUE(queued.has_value());
  EXPECT_TRUE(queued->empty());
}

TEST(JobOutbox, ResentEventKeepsItsId) {
  Harness harness;
  testing::TemporaryFolder folder;
  failEventsWith(harness, folder, 503);
  ASSERT_TRUE(harness.run().has_value());
  auto queued = harness.outbox->load();
  ASSERT_TRUE(queued.has_value());
  ASSERT_FALSE(queued->empty());
  const std::string first_id = queued->front().event.event_id;
  harness.server.after_install_status = 200;
  harness.server.events.clear();
  harness.server.list.jobs.clear();
  ASSERT_TRUE(harness.run().has_value());
  ASSERT_FALSE(harness.server.events.empty());
  EXPECT_EQ(harness.server.events.front().event_id, first_id);
}

TEST(JobOutbox, RejectedEventIsNotQueued) {
  Harness harness;
  testing::TemporaryFolder folder;
  failEventsWith(harness, folder, 409);
  ASSERT_TRUE(harness.run().has_value());
  auto queued = harness.outbox->load();
  ASSERT_TRUE(queued.has_value());
  EXPECT_TRUE(queued->empty());
}

TEST(JobRound, FailedInstallPostsFailed) {
  Harness harness;
  harness.server.list.jobs = {endpointJob()};
  harness.state.install_outcomes[kUpdateId] =
      UpdateOutcome{.code = orcFailed, .hresult = static_cast<HRESULT>(0x80070643)};
  auto outcome = harness.run();
  ASSERT_TRUE(outcome.has_value()) << outcome.error().message;
  EXPECT_EQ(harness.states(), (std::vector<deploy::JobState>{deploy::JobState::kInstalling,
                                                             deploy::JobState::kFailed}));
  EXPECT_EQ(harness.fresh_reports, 0);
}

TEST(JobRound, RejectedListFails) {
  Harness harness;
  HostIdentity stranger = kIdentity;
  stranger.token = std::string(64, 'a');
  auto session = ComPtr<IUpdateSession>::adopt(new TestSession(harness.state));
  auto outcome = runJobRound(
      harness.server, stranger, harness.clock, *session.get(),
      []() -> Result<ComPtr<IUpdateCollection>> {
        return ComPtr<IUpdateCollection>::adopt(new TestUpdateCollection());
      },
      [] { return std::string(32, '1'); }, []() -> Result<std::string> { return std::string(); });
  EXPECT_FALSE(outcome.has_value());
}

}  // namespace
}  // namespace pk::winagent
