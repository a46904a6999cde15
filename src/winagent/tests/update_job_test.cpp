#include "winagent/update_job.h"

#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

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
const std::wstring kUpdateId = L"22222222-0000-4000-8000-000000000001";

// A server's job whose window opens on Monday 22:00 UTC for four hours.
protocol::JobOrder serverJob() {
  protocol::JobOrder order;
  order.job_id = "j-0123456789abcdef";
  order.kind = protocol::JobHostKind::kServer;
  order.manager = protocol::JobManager::kWindowsUpdate;
  order.available_at = kMonday;
  order.deadline = kMonday + 24h * 7;
  order.windows = {deploy::TimeSpan{kMonday + 22h, kMonday + 26h}};
  order.estimate_seconds = 3600;
  order.kbs = {"5060842"};
  return order;
}

struct Harness {
  UpdateAgentState state;
  int next_id = 0;

  Harness() {
    state.search_results[std::wstring(kPendingCriteria)] = {
        UpdateFields{.id = kUpdateId, .kbs = {L"5060842"}, .title = L"Cumulative Update"}};
  }

  UpdateJobRun run(const protocol::JobOrder& order, const Clock& clock) {
    auto session = ComPtr<IUpdateSession>::adopt(new TestSession(state));
    auto collections = []() -> Result<ComPtr<IUpdateCollection>> {
      return ComPtr<IUpdateCollection>::adopt(new TestUpdateCollection());
    };
    auto ids = [this] { return fmt::format("{:032x}", ++next_id); };
    return runUpdateJob(order, clock, *session.get(), collections, ids);
  }
};

TEST(UpdateJob, WaitsForWindow) {
  Harness harness;
  FakeClock clock(kMonday + 9h);
  UpdateJobRun run = harness.run(serverJob(), clock);
  EXPECT_EQ(run.decision.verdict, deploy::StartVerdict::kWait);
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0].state, deploy::JobState::kWaitingForWindow);
  EXPECT_EQ(run.events[0].next_window_start, kMonday + 22h);
  EXPECT_TRUE(harness.state.installed_ids.empty());
}

TEST(UpdateJob, InstallsInsideWindow) {
  Harness harness;
  FakeClock clock(kMonday + 22h + 30min);
  UpdateJobRun run = harness.run(serverJob(), clock);
  ASSERT_EQ(run.events.size(), 2u);
  EXPECT_EQ(run.events[0].state, deploy::JobState::kInstalling);
  EXPECT_EQ(run.events[1].state, deploy::JobState::kInstalled);
  EXPECT_EQ(run.events[1].output, "KB5060842: installed\n");
  ASSERT_EQ(run.events[1].packages.size(), 1u);
  EXPECT_EQ(run.events[1].packages[0].name, "KB5060842");
  EXPECT_EQ(harness.state.installed_ids, (std::vector<std::wstring>{kUpdateId}));
  EXPECT_NE(run.events[0].event_id, run.events[1].event_id);
}

TEST(UpdateJob, EstimateTooLongForRestOfWindow) {
  Harness harness;
  // One hour is left, and the estimate is one hour and one second.
  protocol::JobOrder order = serverJob();
  order.estimate_seconds = 3601;
  FakeClock clock(kMonday + 25h);
  UpdateJobRun run = harness.run(order, clock);
  EXPECT_NE(run.decision.verdict, deploy::StartVerdict::kStartNow);
  EXPECT_TRUE(harness.state.installed_ids.empty());
}

TEST(UpdateJob, EndpointStartsAtOnce) {
  Harness harness;
  protocol::JobOrder order = serverJob();
  order.kind = protocol::JobHostKind::kEndpoint;
  order.windows.clear();
  FakeClock clock(kMonday + 9h);
  UpdateJobRun run = harness.run(order, clock);
  EXPECT_EQ(run.decision.verdict, deploy::StartVerdict::kStartNow);
  EXPECT_EQ(harness.state.installed_ids.size(), 1u);
}

TEST(UpdateJob, FailedInstallFailsJob) {
  Harness harness;
  harness.state.install_outcomes[kUpdateId] =
      UpdateOutcome{.code = orcFailed, .hresult = static_cast<HRESULT>(0x80070643)};
  FakeClock clock(kMonday + 22h);
  UpdateJobRun run = harness.run(serverJob(), clock);
  ASSERT_EQ(run.events.size(), 2u);
  EXPECT_EQ(run.events[1].state, deploy::JobState::kFailed);
  EXPECT_EQ(run.events[1].output, "KB5060842: installation failed (0x80070643)\n");
  EXPECT_TRUE(run.events[1].packages.empty());
}

TEST(UpdateJob, RestartNeededIsInMessage) {
  Harness harness;
  harness.state.install_outcomes[kUpdateId] = UpdateOutcome{.reboot_required = true};
  FakeClock clock(kMonday + 22h);
  UpdateJobRun run = harness.run(serverJob(), clock);
  ASSERT_EQ(run.events.size(), 2u);
  EXPECT_EQ(run.events[1].state, deploy::JobState::kInstalled);
  ASSERT_TRUE(run.outcome.has_value());
  EXPECT_TRUE(run.outcome->restart_required);
  EXPECT_NE(run.events[1].message.find("restart"), std::string::npos);
}

TEST(UpdateJob, OtherManagerFails) {
  Harness harness;
  protocol::JobOrder order = serverJob();
  order.manager = protocol::JobManager::kApt;
  FakeClock clock(kMonday + 22h);
  UpdateJobRun run = harness.run(order, clock);
  ASSERT_EQ(run.events.size(), 1u);
  EXPECT_EQ(run.events[0].state, deploy::JobState::kFailed);
  EXPECT_TRUE(harness.state.searches.empty());
}

TEST(UpdateJob, EventsParseOnServer) {
  Harness harness;
  FakeClock clock(kMonday + 22h);
  UpdateJobRun run = harness.run(serverJob(), clock);
  for (const auto& event : run.events) {
    auto parsed = protocol::parseJobEvent(protocol::toJson(event).dump());
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    EXPECT_EQ(parsed->state, event.state);
  }
}

TEST(RandomEventId, IsThirtyTwoHexDigits) {
  const std::string id = randomEventId();
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(randomEventId(), id);
}

}  // namespace
}  // namespace pk::winagent
