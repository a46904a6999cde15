#include "winagent/restart_service.h"

#include <gtest/gtest.h>

#include "restart/state_codec.h"
#include "winagent/state_file.h"
#include "winagent/tests/registry_tree.h"
#include "winagent/tests/temporary_folder.h"

namespace pk::winagent {
namespace {

using namespace std::chrono_literals;

const SystemTime kInstall{std::chrono::sys_days{std::chrono::year{2027} / 3 / 10} + 10h};
const restart::Policy kPolicy{.deadline = 24h, .countdown = 90min, .reminder = 4h};
// A short policy for the tests that step through a whole restart: every
// step writes the state file, which takes milliseconds under Wine.
const restart::Policy kShortPolicy{.deadline = 2h, .countdown = 30min, .reminder = 1h};

class FixedBootId final : public BootIdSource {
 public:
  std::string id = "boot-7";
  bool missing = false;
  Result<std::string> bootId() override {
    if (missing) return fail(ErrorCode::kNotFound, "no BootId");
    return id;
  }
};

class RecordingChannel final : public restart::NoticeChannel {
 public:
  std::vector<restart::NoticeKind> shown;
  int kept_shown = 0;
  int clears = 0;
  void show(const restart::Notice& notice) override { shown.push_back(notice.kind); }
  void keepShown(const restart::Notice&) override { ++kept_shown; }
  void clear() override { ++clears; }
};

// Records restart requests instead of restarting the machine.
class RecordingRestarter final : public Restarter {
 public:
  std::vector<std::wstring> requests;
  Result<void> requestRestart(const std::wstring& message) override {
    requests.push_back(message);
    return {};
  }
};

struct Host {
  testing::TemporaryFolder folder;
  FakeClock clock{kInstall};
  FixedBootId boot_id;
  RecordingChannel channel;
  RecordingRestarter restarter;

  Host() { std::filesystem::create_directories(folder.path()); }
  RestartServiceParts parts() {
    return {.state_file = folder.path() / "restart.json",
            .clock = &clock,
            .boot_id = &boot_id,
            .channel = &channel,
            .restarter = &restarter,
            .new_series_id = [] { return std::string(32, 'a'); }};
  }
  // Runs the service the way its loop does, a step at most every 30 s.
  void runFor(RestartService& service, Elapsed duration) {
    const Elapsed end = clock.elapsed() + duration;
    while (clock.elapsed() < end) {
      clock.advance(std::max<Elapsed>(service.step(), 1s));
    }
  }
};

TEST(RestartService, AttachShowsInstalledNotice) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  ASSERT_EQ(host.channel.shown.size(), 1u);
  EXPECT_EQ(host.channel.shown[0], restart::NoticeKind::kInstalled);
}

TEST(RestartService, AttachSavesState) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  auto text = readStateFile(host.folder.path() / "restart.json");
  ASSERT_TRUE(text.has_value());
  ASSERT_TRUE(text->has_value());
  restart::State state;
  std::string error;
  ASSERT_TRUE(restart::decodeState(**text, state, error)) << error;
  EXPECT_TRUE(state.pending);
  EXPECT_EQ(state.boot_id, "boot-7");
}

TEST(RestartService, RestartsAtDeadline) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kShortPolicy).has_value());
  host.runFor(service, 2h - 1min);
  EXPECT_TRUE(host.restarter.requests.empty());
  host.runFor(service, 2min);
  EXPECT_EQ(host.restarter.requests.size(), 1u);
}

TEST(RestartService, CountdownBeforeRestart) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kShortPolicy).has_value());
  host.runFor(service, 2h + 1min);
  const auto countdown = std::find(host.channel.shown.begin(), host.channel.shown.end(),
                                   restart::NoticeKind::kCountdown);
  EXPECT_NE(countdown, host.channel.shown.end());
}

TEST(RestartService, ReloadKeepsDeadline) {
  Host host;
  {
    RestartService service(host.parts());
    ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  }
  host.clock.advance(1h);
  RestartService reloaded(host.parts());
  ASSERT_TRUE(reloaded.load().has_value());
  ASSERT_TRUE(reloaded.state().pending);
  EXPECT_EQ(reloaded.state().deadline, std::chrono::floor<std::chrono::seconds>(kInstall + 24h));
}

TEST(RestartService, ReloadShowsNoticeAgain) {
  Host host;
  {
    RestartService service(host.parts());
    ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  }
  host.channel.shown.clear();
  RestartService reloaded(host.parts());
  ASSERT_TRUE(reloaded.load().has_value());
  reloaded.step();
  ASSERT_EQ(host.channel.shown.size(), 1u);
  EXPECT_EQ(host.channel.shown[0], restart::NoticeKind::kInstalled);
}

TEST(RestartService, StepKeepsNoticeShown) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  host.clock.advance(30s);
  service.step();
  EXPECT_EQ(host.channel.shown.size(), 1u);
  EXPECT_EQ(host.channel.kept_shown, 1);
}

TEST(RestartService, CorruptStateIsSetAside) {
  Host host;
  ASSERT_TRUE(writeFileAtomically(host.folder.path() / "restart.json", "{not json").has_value());
  RestartService service(host.parts());
  ASSERT_TRUE(service.load().has_value());
  EXPECT_FALSE(service.state().pending);
  EXPECT_TRUE(std::filesystem::exists(host.folder.path() / "restart.json.corrupt"));
}

TEST(RestartService, NoJobsToVerifySameBoot) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  EXPECT_FALSE(service.jobsToVerify().has_value());
}

TEST(RestartService, VerifiesJobsAfterBoot) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  host.boot_id.id = "boot-8";
  auto jobs = service.jobsToVerify();
  ASSERT_TRUE(jobs.has_value());
  EXPECT_EQ(*jobs, std::vector<std::string>{"j-0000000000000001"});
}

TEST(RestartService, ClearAfterBootRemovesNotices) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  host.boot_id.id = "boot-8";
  ASSERT_TRUE(service.clearAfterBoot().has_value());
  EXPECT_FALSE(service.state().pending);
  EXPECT_EQ(host.channel.clears, 1);
}

TEST(RestartService, ReportParsesAsProtocol) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  const protocol::RestartReport report = service.report(false);
  auto parsed = protocol::parseRestartReport(protocol::toJson(report).dump());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_TRUE(parsed->pending);
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].event_id, std::string(32, 'a') + "-1");
}

TEST(RestartService, AcknowledgeDropsEvents) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  service.acknowledge(service.report(false));
  EXPECT_TRUE(service.report(false).events.empty());
}

TEST(RestartService, FinalReportNotPending) {
  Host host;
  RestartService service(host.parts());
  ASSERT_TRUE(service.attach("j-0000000000000001", kPolicy).has_value());
  const protocol::RestartReport report = service.report(true);
  EXPECT_FALSE(report.pending);
  EXPECT_TRUE(report.restarted_at.has_value());
}

TEST(RestartService, IdleStepNeedsNoBootId) {
  Host host;
  host.boot_id.missing = true;
  RestartService service(host.parts());
  service.step();
  EXPECT_EQ(service.lastProblem(), "");
}

TEST(RestartService, AttachWithoutBootIdFails) {
  Host host;
  host.boot_id.missing = true;
  RestartService service(host.parts());
  auto attached = service.attach("j-0000000000000001", kPolicy);
  ASSERT_FALSE(attached.has_value());
  EXPECT_EQ(attached.error().code, ErrorCode::kNotFound);
}

TEST(RegistryBootId, ReadsCounter) {
  testing::RegistryTree tree;
  tree.setDword(std::string(kBootIdKey), std::string(kBootIdValue), 42);
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  RegistryBootId source(registry);
  auto id = source.bootId();
  ASSERT_TRUE(id.has_value()) << id.error().message;
  EXPECT_EQ(*id, "boot-42");
}

TEST(RegistryBootId, MissingValueFails) {
  testing::RegistryTree tree;
  tree.createKey("SYSTEM");
  Win32Registry registry(HKEY_CURRENT_USER, tree.base());
  RegistryBootId source(registry);
  auto id = source.bootId();
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace pk::winagent
