// Runs the patchkeeper-agent program against a test server on loopback:
// exit statuses of `run --once`, the `status` command, and a clean stop of
// the daemon on SIGTERM.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include <fmt/format.h>

#include "common/child_process.h"
#include "desktop/control_socket.h"
#include "protocol/messages.h"
#include "protocol/tests/loopback_server.h"
#include "tests/support/background_process.h"
#include "tests/support/dpkg_sandbox.h"
#include "tests/support/temporary_directory.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using protocol::test_support::LoopbackServer;

constexpr const char* kHostId = "h-0123456789abcdef";

// Accepts any enrolment and any report with the token it handed out.
void addRoutes(httplib::Server& server, std::atomic<int>& reports) {
  const std::string token(64, 'b');
  server.Post("/api/v1/enrol", [token](const httplib::Request&, httplib::Response& response) {
    response.status = 201;
    response.set_content(protocol::toJson(protocol::EnrolResponse{kHostId, token}).dump(),
                         "application/json");
  });
  server.Post(R"(/api/v1/hosts/h-[0-9a-f]{16}/reports)",
              [token, &reports](const httplib::Request& request, httplib::Response& response) {
                if (request.get_header_value("Authorization") != "Bearer " + token) {
                  response.status = 401;
                  return;
                }
                ++reports;
                response.set_content(protocol::toJson(protocol::ReportResponse{}).dump(),
                                     "application/json");
              });
}

class AgentBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto folder = pk::test_support::TemporaryDirectory::create("agent-binary");
    ASSERT_TRUE(folder) << folder.error().message;
    folder_ = std::make_unique<pk::test_support::TemporaryDirectory>(std::move(*folder));
    const fs::path root = folder_->path() / "root";
    ASSERT_TRUE(pk::test_support::writeDebianRoot(root, "12",
                                                  {{.package = "bash", .version = "5.2.15-2+b7"}}));
    ASSERT_TRUE(pk::test_support::writeFile(root, "etc/machine-id", "0123abcd\n"));
    ASSERT_TRUE(pk::test_support::writeFile(folder_->path(), "secret", "s3cret\n"));

    server_.server().set_keep_alive_max_count(1);
    addRoutes(server_.server(), reports_);
    ASSERT_TRUE(server_.start());
    writeConfig(server_.port());
  }

  void writeConfig(int port) {
    ASSERT_TRUE(pk::test_support::writeFile(
        folder_->path(), "agent.toml",
        fmt::format("server_url = \"http://127.0.0.1:{}\"\n"
                    "allow_plain_http = true\n"
                    "enrolment_secret_file = \"{}\"\n"
                    "state_dir = \"{}\"\n"
                    "root = \"{}\"\n"
                    "backoff_initial_seconds = 1\n",
                    port, (folder_->path() / "secret").string(),
                    (folder_->path() / "state").string(), (folder_->path() / "root").string())));
  }

  Result<CommandOutput> runAgent(const std::vector<std::string>& arguments) {
    std::vector<std::string> argv = {PK_AGENT_BINARY};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return runCommand(argv);
  }

  std::string configPath() const { return (folder_->path() / "agent.toml").string(); }

  std::unique_ptr<pk::test_support::TemporaryDirectory> folder_;
  LoopbackServer server_;
  std::atomic<int> reports_{0};
};

TEST_F(AgentBinaryTest, OnceDeliversAndExitsZero) {
  auto outcome = runAgent({"run", "--config", configPath(), "--once"});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 0) << outcome->standard_error;
  EXPECT_EQ(reports_, 1);

  auto status = runAgent({"status", "--config", configPath()});
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->exit_code, 0) << status->standard_error;
  EXPECT_NE(status->standard_output.find(kHostId), std::string::npos) << status->standard_output;
  EXPECT_NE(status->standard_output.find("queued reports:  0"), std::string::npos)
      << status->standard_output;
}

// Reports a pending restart to the control socket and takes no choices.
class PendingRestartSink final : public restart::ChoiceSink {
 public:
  Outcome apply(const restart::Choice&) override { return {.applied = false}; }
  restart::RestartStatus status() const override {
    restart::RestartStatus pending;
    pending.pending = true;
    pending.deadline = restart::Instant(std::chrono::seconds(1805086400));
    pending.restart_at = pending.deadline;
    pending.countdown_start = pending.deadline - std::chrono::minutes(90);
    return pending;
  }
};

TEST_F(AgentBinaryTest, StatusNeedsOnlySocket) {
  if (::geteuid() != 0) GTEST_SKIP() << "switching to another uid needs root";
  ASSERT_EQ(runAgent({"run", "--config", configPath(), "--once"})->exit_code, 0);
  // The folder is open to other users, the state folder inside it is not.
  ::chmod(folder_->path().c_str(), 0755);
  PendingRestartSink sink;
  desktop::StaticSessionSource sessions({});
  SystemClock clock;
  const fs::path socket = folder_->path() / "run" / "control.sock";
  auto server = desktop::ControlServer::start(socket, sink, sessions, clock);
  ASSERT_TRUE(server) << server.error().message;

  // As uid 65534, which cannot read the state folder.
  auto status = runCommand({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            PK_AGENT_BINARY, "status", "--config", configPath(), "--socket",
                            socket.string()});
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->exit_code, 0) << status->standard_error;
  EXPECT_NE(status->standard_output.find("deadline:"), std::string::npos)
      << status->standard_output;
}

TEST_F(AgentBinaryTest, OnceWithServerDownExitsThree) {
  ASSERT_EQ(runAgent({"run", "--config", configPath(), "--once"})->exit_code, 0);
  const int port = server_.port();
  server_.stop();
  writeConfig(port);

  auto outcome = runAgent({"run", "--config", configPath(), "--once"});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 3) << outcome->standard_error;

  auto status = runAgent({"status", "--config", configPath()});
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_NE(status->standard_output.find("queued reports:  1"), std::string::npos)
      << status->standard_output;
}

TEST_F(AgentBinaryTest, InvalidConfigurationExitsTwo) {
  ASSERT_TRUE(pk::test_support::writeFile(folder_->path(), "bad.toml",
                                          "server_url = \"http://127.0.0.1:1\"\n"));
  auto outcome = runAgent({"run", "--config", (folder_->path() / "bad.toml").string(), "--once"});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 2);
  EXPECT_NE(outcome->standard_error.find("allow_plain_http"), std::string::npos)
      << outcome->standard_error;
}

TEST_F(AgentBinaryTest, WorldReadableStateFolderIsRefused) {
  fs::create_directories(folder_->path() / "state");
  fs::permissions(folder_->path() / "state",
                  fs::perms::owner_all | fs::perms::others_read | fs::perms::others_exec);
  auto outcome = runAgent({"run", "--config", configPath(), "--once"});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 1);
  EXPECT_NE(outcome->standard_error.find("chmod 700"), std::string::npos)
      << outcome->standard_error;
  EXPECT_EQ(reports_, 0);
}

TEST_F(AgentBinaryTest, BadSnoozeDurationExitsTwo) {
  auto outcome = runAgent({"snooze", "forever"});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 2);
  EXPECT_NE(outcome->standard_error.find("The snooze duration 'forever' is invalid."),
            std::string::npos)
      << outcome->standard_error;
}

TEST_F(AgentBinaryTest, RestartWithoutAgentExitsOne) {
  const auto socket = (folder_->path() / "control.sock").string();
  auto outcome = runAgent({"restart-now", "--socket", socket});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 1);
  EXPECT_NE(outcome->standard_error.find("check that patchkeeper-agent runs"), std::string::npos)
      << outcome->standard_error;
}

TEST_F(AgentBinaryTest, DaemonServesRestartCommands) {
  const fs::path socket = folder_->path() / "control.sock";
  std::ofstream(configPath(), std::ios::app)
      << fmt::format("desktop_notices = false\ncontrol_socket = \"{}\"\n", socket.string());
  auto agent = pk::test_support::BackgroundProcess::start(
      {PK_AGENT_BINARY, "run", "--config", configPath()}, folder_->path() / "agent.log");
  ASSERT_TRUE(agent) << agent.error().message;
  ASSERT_TRUE(agent->waitForLine("check-in delivered", std::chrono::seconds(20))) << agent->log();

  // The daemon's restart service has nothing pending, so it rejects the
  // choice with its own message.
  auto outcome = runAgent({"restart-now", "--socket", socket.string()});
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_EQ(outcome->exit_code, 1);
  EXPECT_NE(outcome->standard_error.find("No restart is pending."), std::string::npos)
      << outcome->standard_error << outcome->standard_output;
  const auto status = agent->stop(SIGTERM, std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value()) << agent->log();
  EXPECT_EQ(*status, 0) << agent->log();
}

TEST_F(AgentBinaryTest, SigtermStopsTheDaemonCleanly) {
  auto agent = pk::test_support::BackgroundProcess::start(
      {PK_AGENT_BINARY, "run", "--config", configPath()}, folder_->path() / "agent.log");
  ASSERT_TRUE(agent) << agent.error().message;
  ASSERT_TRUE(agent->waitForLine("check-in delivered", std::chrono::seconds(20))) << agent->log();

  const auto status = agent->stop(SIGTERM, std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value()) << agent->log();
  EXPECT_EQ(*status, 0) << agent->log();
  EXPECT_NE(agent->log().find("agent stopped"), std::string::npos) << agent->log();
}

}  // namespace
}  // namespace pk::agent
