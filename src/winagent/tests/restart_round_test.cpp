#include "winagent/restart_round.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "protocol/jobs.h"
#include "winagent/tests/temporary_folder.h"

namespace pk::winagent {
namespace {

using namespace std::chrono_literals;

const SystemTime kInstall{std::chrono::sys_days{std::chrono::year{2027} / 3 / 10} + 10h};
const HostIdentity kIdentity{"h-00112233aabbccdd", std::string(64, 'e'), ""};

class SwitchableBootId final : public BootIdSource {
 public:
  std::string id = "boot-1";
  Result<std::string> bootId() override { return id; }
};

class SilentChannel final : public restart::NoticeChannel {
 public:
  void show(const restart::Notice&) override {}
  void clear() override {}
};

class NoRestart final : public Restarter {
 public:
  Result<void> requestRestart(const std::wstring&) override { return {}; }
};

// A server that reads restart reports and job events with its own parsers.
class RestartServer final : public Transport {
 public:
  std::vector<protocol::RestartReport> reports;
  std::vector<std::pair<std::string, protocol::JobEvent>> job_events;  // path, event
  int report_status = 200;

  Result<HttpResponse> send(const HttpRequest& request) override {
    if (request.path == "/api/v1/hosts/h-00112233aabbccdd/restart-state") {
      auto report = protocol::parseRestartReport(request.body);
      if (!report) return HttpResponse{400, report.error().message, ""};
      if (report_status != 200) return HttpResponse{report_status, "", ""};
      reports.push_back(*report);
      return HttpResponse{200, R"({"applied": 1, "duplicates": 0})", "application/json"};
    }
    auto event = protocol::parseJobEvent(request.body);
    if (!event) return HttpResponse{400, event.error().message, ""};
    job_events.emplace_back(request.path, *event);
    protocol::JobEventResponse response{event->state, false};
    return HttpResponse{200, protocol::toJson(response).dump(), "application/json"};
  }
};

struct Harness {
  testing::TemporaryFolder folder;
  FakeClock clock{kInstall};
  SwitchableBootId boot_id;
  SilentChannel channel;
  NoRestart restarter;
  RestartServer server;
  int next_id = 0;
  RestartService service{{.state_file = folder.path() / "restart.json",
                          .clock = &clock,
                          .boot_id = &boot_id,
                          .channel = &channel,
                          .restarter = &restarter,
                          .new_series_id = [] { return std::string(32, 'b'); }}};

  Harness() {
    std::filesystem::create_directories(folder.path());
    EXPECT_TRUE(service.attach("j-0123456789abcdef", restart::Policy{}).has_value());
  }
  Result<void> carry() {
    return carryRestart(
        service, server, kIdentity, clock, [this] { return fmt::format("{:032x}", ++next_id); },
        []() -> Result<std::string> { return std::string(32, 'f'); });
  }
};

TEST(RestartRound, SendsPendingReport) {
  Harness harness;
  ASSERT_TRUE(harness.carry().has_value());
  ASSERT_EQ(harness.server.reports.size(), 1u);
  EXPECT_TRUE(harness.server.reports[0].pending);
}

TEST(RestartRound, StoredEventsAreNotResent) {
  Harness harness;
  ASSERT_TRUE(harness.carry().has_value());
  ASSERT_TRUE(harness.carry().has_value());
  ASSERT_EQ(harness.server.reports.size(), 2u);
  EXPECT_TRUE(harness.server.reports[1].events.empty());
}

TEST(RestartRound, FailedReportKeepsEvents) {
  Harness harness;
  harness.server.report_status = 503;
  EXPECT_FALSE(harness.carry().has_value());
  EXPECT_FALSE(harness.service.report(false).events.empty());
}

TEST(RestartRound, RejectedReportLetsJobsGoOn) {
  Harness harness;
  harness.server.report_status = 400;
  EXPECT_TRUE(harness.carry().has_value());
}

TEST(RestartRound, RejectedReportKeepsEvents) {
  Harness harness;
  harness.server.report_status = 400;
  ASSERT_TRUE(harness.carry().has_value());
  EXPECT_FALSE(harness.service.report(false).events.empty());
}

TEST(RestartRound, AfterBootVerifiesJobs) {
  Harness harness;
  harness.boot_id.id = "boot-2";
  ASSERT_TRUE(harness.carry().has_value());
  ASSERT_EQ(harness.server.job_events.size(), 1u);
  EXPECT_EQ(harness.server.job_events[0].first,
            "/api/v1/hosts/h-00112233aabbccdd/jobs/j-0123456789abcdef/events");
  EXPECT_EQ(harness.server.job_events[0].second.state, deploy::JobState::kVerifying);
}

TEST(RestartRound, EarlierBootJobsVerified) {
  Harness harness;
  harness.boot_id.id = "boot-2";
  // An install right after the boot, before the check-in verified the
  // first restart's job, starts a new restart.
  ASSERT_TRUE(harness.service.attach("j-00000000000000ff", restart::Policy{}).has_value());
  ASSERT_TRUE(harness.carry().has_value());
  ASSERT_EQ(harness.server.job_events.size(), 1u);
  EXPECT_EQ(harness.server.job_events[0].first,
            "/api/v1/hosts/h-00112233aabbccdd/jobs/j-0123456789abcdef/events");
  EXPECT_TRUE(harness.service.earlierBootJobs().empty());
}

TEST(RestartRound, AfterBootFinalReportFirst) {
  Harness harness;
  harness.boot_id.id = "boot-2";
  ASSERT_TRUE(harness.carry().has_value());
  ASSERT_EQ(harness.server.reports.size(), 1u);
  EXPECT_TRUE(harness.server.reports[0].restarted_at.has_value());
  EXPECT_FALSE(harness.service.state().pending);
}

}  // namespace
}  // namespace pk::winagent
