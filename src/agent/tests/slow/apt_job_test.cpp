// Runs deployment jobs with the real apt-get and dpkg on a sandbox root fed
// by a local repository, against a job server on loopback: installs,
// maintainer script failures, hooks, the restart, and window fit.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/job_runner.h"
#include "agent/job_scheduler.h"
#include "agent/tests/fakes.h"
#include "agent/tests/job_server.h"
#include "agent/tests/slow/job_sandbox.h"
#include "inventory/host_reader.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using protocol::test_support::LoopbackServer;
using test_sandbox::TestDeb;
using test_support::TemporaryDirectory;
using test_support::writeFile;

constexpr const char* kHostId = "h-00112233445566ff";
constexpr const char* kJobId = "j-00000000000000a1";
constexpr const char* kReportId = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kPostinstMessage = "pk-test: postinst of broken 1.0-2 failed on purpose";

const std::vector<TestDeb> kOldDebs = {
    {"vuln", "1.0-1"},
    {"broken", "1.0-1"},
    {"needsboot", "1.0-1"},
};

const std::vector<TestDeb> kNewDebs = {
    {"vuln", "1.0-2", "echo \"vuln 1.0-2 configured in $DPKG_ROOT\""},
    {"broken", "1.0-2", "echo '" + std::string(kPostinstMessage) + "' >&2; exit 1"},
    // As Debian's kernel packages do, through update-notifier's helper.
    {"needsboot", "1.0-2",
     "touch \"$DPKG_ROOT/run/reboot-required\"; echo needsboot >> "
     "\"$DPKG_ROOT/run/reboot-required.pkgs\""},
};

std::string readText(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

class AptJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string missing =
            test_sandbox::firstMissingTool({"apt-get", "dpkg", "dpkg-deb", "apt-ftparchive"});
        !missing.empty()) {
      GTEST_SKIP() << missing << " is not installed; scripts/install-deps.sh installs it";
    }
    if (::geteuid() != 0) GTEST_SKIP() << "dpkg --root needs root to set file owners";

    auto created = TemporaryDirectory::create("apt-job");
    ASSERT_TRUE(created) << created.error().message;
    folder_ = std::move(*created);
    std::vector<TestDeb> all = kOldDebs;
    all.insert(all.end(), kNewDebs.begin(), kNewDebs.end());
    auto built = test_sandbox::buildRepository(folder_->path(), repository(), all);
    ASSERT_TRUE(built) << built.error().message;
    auto rooted = test_sandbox::buildRoot(root(), repository(), kOldDebs);
    ASSERT_TRUE(rooted) << rooted.error().message;

    ASSERT_TRUE(writeFile(folder_->path(), "boot_id", "boot-1\n"));
    fs::create_directories(hooks());
    fs::permissions(hooks(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
    fs::create_directories(folder_->path() / "state");

    server_state_.addRoutes(server_.server());
    ASSERT_TRUE(server_.start());
    auto client =
        protocol::ApiClient::create({.base_url = server_.url("http"), .allow_plain_http = true});
    ASSERT_TRUE(client) << client.error().message;
    client_.emplace(std::move(*client));
    auto journal = JobJournal::open(folder_->path() / "state");
    ASSERT_TRUE(journal) << journal.error().message;
    journal_.emplace(std::move(*journal));
    runner_.emplace(
        options(), *journal_, *client_,
        [this]() -> Result<std::string> {
          ++reports_;
          return std::string(kReportId);
        },
        clock_, random_, [](Elapsed) {});
    runner_->setHostId(kHostId);
  }

  fs::path repository() const { return folder_->path() / "repository"; }
  fs::path root() const { return folder_->path() / "root"; }
  fs::path hooks() const { return folder_->path() / "hooks"; }
  fs::path bootIdFile() const { return folder_->path() / "boot_id"; }

  JobRunnerOptions options() const {
    JobRunnerOptions options;
    options.root = root();
    options.installer.work_directory = folder_->path() / "work";
    options.installer.timeout = std::chrono::minutes(5);
    options.installer.lock_retry = {.max_attempts = 1, .wait = Elapsed{0}};
    options.hooks.folder = hooks();
    options.hooks.timeout = std::chrono::seconds(60);
    // Writes a new boot id and clears the marker, as a real boot does.
    options.restart.fallback_command = {"sh", "-c",
                                        "echo boot-2 > '" + bootIdFile().string() + "'; rm -f '" +
                                            (root() / "run/reboot-required").string() + "'"};
    options.restart.boot_id_path = bootIdFile();
    return options;
  }

  JobEntry job(const std::string& name, const std::string& version) const {
    JobEntry entry;
    entry.job_id = kJobId;
    entry.deployment_id = "d-1";
    entry.targets = {{.name = name, .version = version}};
    return entry;
  }

  std::optional<std::string> installedVersion(const std::string& name) const {
    auto host = inventory::readHostInventory(root());
    EXPECT_TRUE(host) << host.error().message;
    if (!host) return std::nullopt;
    for (const auto& package : host->packages) {
      if (package.name == name) return package.version;
    }
    return std::nullopt;
  }

  void writeHook(const std::string& name, const std::string& body) {
    ASSERT_TRUE(writeFile(hooks(), name, "#!/bin/sh\n" + body + "\n"));
    fs::permissions(hooks() / name, fs::perms::owner_all | fs::perms::group_read |
                                        fs::perms::group_exec | fs::perms::others_read |
                                        fs::perms::others_exec);
  }

  std::optional<TemporaryDirectory> folder_;
  LoopbackServer server_;
  test_fakes::JobServerState server_state_;
  std::optional<protocol::ApiClient> client_;
  std::optional<JobJournal> journal_;
  FakeClock clock_{*parseRfc3339("2026-12-05T02:00:00Z")};
  test_fakes::CountingRandom random_;
  std::optional<JobRunner> runner_;
  int reports_ = 0;
};

TEST_F(AptJobTest, InstallsFixedVersion) {
  runner_->start(job("vuln", "1.0-2"));

  EXPECT_EQ(installedVersion("vuln"), "1.0-2");
  EXPECT_EQ(installedVersion("broken"), "1.0-1") << "an unrelated package changed";
  const auto applied = server_state_.applied();
  ASSERT_EQ(server_state_.appliedStates(),
            (std::vector<std::string>{"installing", "installed", "verifying"}));

  const auto& installed = applied[1].body;
  ASSERT_EQ(installed["packages"].size(), 1u) << installed.dump();
  EXPECT_EQ(installed["packages"][0]["name"], "vuln");
  EXPECT_EQ(installed["packages"][0]["from"], "1.0-1");
  EXPECT_EQ(installed["packages"][0]["to"], "1.0-2");
  EXPECT_NE(installed["output"].get<std::string>().find("vuln 1.0-2 configured in"),
            std::string::npos)
      << installed["output"];
  EXPECT_EQ(applied[2].body["report_id"], kReportId);
  EXPECT_EQ(reports_, 1);
}

TEST_F(AptJobTest, FailingPostinstSendsOutput) {
  runner_->start(job("broken", "1.0-2"));

  const auto applied = server_state_.applied();
  ASSERT_EQ(server_state_.appliedStates(), (std::vector<std::string>{"installing", "failed"}));
  EXPECT_NE(applied[1].body["output"].get<std::string>().find(kPostinstMessage), std::string::npos)
      << applied[1].body["output"];
  EXPECT_FALSE(applied[1].body["message"].get<std::string>().empty());
  EXPECT_EQ(reports_, 0);
}

TEST_F(AptJobTest, HooksRunAroundInstall) {
  const fs::path log = folder_->path() / "hooks.log";
  const std::string record = "echo \"$PATCHKEEPER_PHASE $(cat '" +
                             (root() / "usr/share/vuln/version").string() + "')\" >> '" +
                             log.string() + "'";
  writeHook("stop-app", record);
  writeHook("check-app", record);
  JobEntry entry = job("vuln", "1.0-2");
  entry.pre_hook = "stop-app";
  entry.post_hook = "check-app";
  runner_->start(entry);

  EXPECT_EQ(readText(log), "pre 1.0-1\npost 1.0-2\n");
  EXPECT_EQ(server_state_.appliedStates(),
            (std::vector<std::string>{"installing", "installed", "verifying"}));
}

TEST_F(AptJobTest, GroupWritableHookFailsJob) {
  writeHook("stop-app", "true");
  fs::permissions(hooks() / "stop-app", fs::perms::group_write, fs::perm_options::add);
  JobEntry entry = job("vuln", "1.0-2");
  entry.pre_hook = "stop-app";
  runner_->start(entry);

  const auto applied = server_state_.applied();
  ASSERT_EQ(server_state_.appliedStates(), (std::vector<std::string>{"installing", "failed"}));
  EXPECT_NE(applied[1].body["message"].get<std::string>().find("writable by group or others"),
            std::string::npos)
      << applied[1].body.dump();
  EXPECT_EQ(installedVersion("vuln"), "1.0-1");
}

TEST_F(AptJobTest, RestartsThenVerifies) {
  runner_->start(job("needsboot", "1.0-2"));

  EXPECT_EQ(installedVersion("needsboot"), "1.0-2");
  EXPECT_EQ(server_state_.appliedStates(),
            (std::vector<std::string>{"installing", "installed", "restarting"}));
  EXPECT_EQ(readText(bootIdFile()), "boot-2\n");
  EXPECT_EQ(reports_, 0);

  // The agent's next cycle, after the restart.
  runner_->resumeAll();
  EXPECT_EQ(server_state_.appliedStates(),
            (std::vector<std::string>{"installing", "installed", "restarting", "verifying"}));
  EXPECT_EQ(reports_, 1);
}

TEST_F(AptJobTest, EndpointLeavesRestartPending) {
  JobEntry entry = job("needsboot", "1.0-2");
  entry.endpoint = true;
  runner_->start(entry);

  EXPECT_EQ(server_state_.appliedStates(),
            (std::vector<std::string>{"installing", "installed", "restart_pending"}));
  EXPECT_EQ(readText(bootIdFile()), "boot-1\n");
}

// The scheduler on a fake clock decides; apt only runs inside the window
// with enough of it left.
TEST_F(AptJobTest, InstallsOnlyWhenWindowFits) {
  protocol::JobOrder order;
  order.job_id = kJobId;
  order.deployment_id = "d-1";
  order.kind = protocol::JobHostKind::kServer;
  order.available_at = *parseRfc3339("2026-12-01T00:00:00Z");
  order.deadline = *parseRfc3339("2026-12-31T00:00:00Z");
  order.windows = {{*parseRfc3339("2026-12-05T02:00:00Z"), *parseRfc3339("2026-12-05T04:00:00Z")},
                   {*parseRfc3339("2026-12-12T02:00:00Z"), *parseRfc3339("2026-12-12T04:00:00Z")}};
  order.estimate_seconds = 45 * 60;
  order.packages = {{.name = "vuln", .version = "1.0-2"}};
  JobScheduler scheduler(*runner_, *journal_, *client_, clock_);

  clock_.setNow(*parseRfc3339("2026-12-05T01:00:00Z"));  // before the window
  server_state_.setJobs({order}, clock_.now());
  scheduler.runCycle(kHostId);
  EXPECT_EQ(installedVersion("vuln"), "1.0-1");

  clock_.setNow(*parseRfc3339("2026-12-05T03:30:00Z"));  // 30 minutes left, 45 needed
  scheduler.runCycle(kHostId);
  EXPECT_EQ(installedVersion("vuln"), "1.0-1");

  clock_.setNow(*parseRfc3339("2026-12-12T02:05:00Z"));
  scheduler.runCycle(kHostId);
  EXPECT_EQ(installedVersion("vuln"), "1.0-2");

  const auto applied = server_state_.applied();
  ASSERT_EQ(server_state_.appliedStates(),
            (std::vector<std::string>{"waiting_for_window", "waiting_for_window", "installing",
                                      "installed", "verifying"}));
  EXPECT_EQ(applied[0].body["next_window_start"], "2026-12-05T02:00:00Z");
  EXPECT_EQ(applied[1].body["next_window_start"], "2026-12-12T02:00:00Z");
}

}  // namespace
}  // namespace pk::agent
