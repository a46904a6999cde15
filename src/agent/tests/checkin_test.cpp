#include "agent/checkin.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "agent/log.h"
#include "agent/tests/fakes.h"
#include "protocol/tests/loopback_server.h"
#include "tests/support/dpkg_sandbox.h"
#include "tests/support/temporary_directory.h"

namespace pk::agent {
namespace {

namespace fs = std::filesystem;
using pk::test_support::DpkgStanza;
using protocol::test_support::LoopbackServer;

constexpr const char* kHostId = "h-00112233445566ff";

// What the test server saw and how it behaves. Shared by every server
// instance of one test, so a restarted server keeps its memory, as a real
// one keeps its database.
struct ServerState {
  std::mutex mutex;
  std::vector<std::string> received;  // every report id posted, repeats included
  std::vector<bool> received_with_inventory;
  std::vector<std::string> accepted;  // report ids applied, in order; each once
  std::set<std::string> known_hashes;
  int enrolments = 0;
  int report_posts = 0;  // every POST to the reports route, refused ones included
  std::string token = std::string(64, 'a');

  int enrol_status = 201;
  int next_checkin_seconds = 3600;
  // Returns a status to respond with instead of accepting the report, or 0.
  std::function<int(const protocol::Report&)> override_status;
  // Applies the report, then responds 500, as if the response were lost.
  bool lose_next_response = false;
};

void jsonReply(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(), "application/json");
}

void errorReply(httplib::Response& response, int status, const std::string& code) {
  jsonReply(response, status, {{"error", {{"code", code}, {"message", "test server: " + code}}}});
}

void addRoutes(httplib::Server& server, ServerState& state) {
  server.Post(
      "/api/v1/enrol", [&state](const httplib::Request& request, httplib::Response& response) {
        std::lock_guard lock(state.mutex);
        auto enrol = protocol::parseEnrolRequest(request.body);
        if (!enrol) return errorReply(response, 400, "invalid_request");
        if (state.enrol_status != 201) return errorReply(response, state.enrol_status, "refused");
        ++state.enrolments;
        state.token = fmt::format("{:064x}", state.enrolments);
        jsonReply(response, 201, protocol::toJson(protocol::EnrolResponse{kHostId, state.token}));
      });

  server.Post(R"(/api/v1/hosts/(h-[0-9a-f]{16})/reports)",
              [&state](const httplib::Request& request, httplib::Response& response) {
                std::lock_guard lock(state.mutex);
                ++state.report_posts;
                if (request.get_header_value("Authorization") != "Bearer " + state.token) {
                  return errorReply(response, 401, "invalid_token");
                }
                if (request.matches[1] != kHostId) return errorReply(response, 403, "wrong_host");
                auto report = protocol::parseReport(request.body);
                if (!report) return errorReply(response, 400, "invalid_report");

                state.received.push_back(report->report_id);
                state.received_with_inventory.push_back(report->inventory.has_value());
                if (state.override_status) {
                  if (int status = state.override_status(*report); status != 0) {
                    return errorReply(response, status, "overridden");
                  }
                }

                const bool duplicate = std::find(state.accepted.begin(), state.accepted.end(),
                                                 report->report_id) != state.accepted.end();
                if (!duplicate) state.accepted.push_back(report->report_id);
                if (report->inventory) state.known_hashes.insert(report->inventory_hash);
                if (state.lose_next_response) {
                  state.lose_next_response = false;
                  return errorReply(response, 500, "lost");
                }
                protocol::ReportResponse answer;
                answer.duplicate = duplicate;
                answer.inventory_needed = !state.known_hashes.contains(report->inventory_hash);
                answer.next_checkin_seconds = state.next_checkin_seconds;
                jsonReply(response, 200, protocol::toJson(answer));
              });
}

// Collects the agent logger's lines while it exists.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_)) {
    logger().sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = logger().sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  bool contains(std::string_view text) const {
    return stream_.str().find(text) != std::string::npos;
  }
  std::string text() const { return stream_.str(); }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
};

class CheckinTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto folder = pk::test_support::TemporaryDirectory::create("checkin");
    ASSERT_TRUE(folder) << folder.error().message;
    folder_ = std::make_unique<pk::test_support::TemporaryDirectory>(std::move(*folder));
    const fs::path root = folder_->path() / "root";
    ASSERT_TRUE(pk::test_support::writeDebianRoot(
        root, "12", {DpkgStanza{.package = "bash", .version = "5.2.15-2+b7"}}));
    ASSERT_TRUE(
        pk::test_support::writeFile(root, "etc/machine-id", "4c4c4544004a3510804cb2c04f4b3332\n"));

    startServer(0);
    port_ = server_->port();

    config_.server_url = server_->url("http");
    config_.allow_plain_http = true;
    config_.enrolment_secret = "secret";
    config_.root = root;
    config_.state_dir = folder_->path() / "state";
    config_.interval_minutes = 60;

    auto state = AgentState::open(config_.state_dir);
    ASSERT_TRUE(state) << state.error().message;
    state_ = std::make_unique<AgentState>(std::move(*state));
    auto client =
        protocol::ApiClient::create({.base_url = config_.server_url, .allow_plain_http = true});
    ASSERT_TRUE(client) << client.error().message;
    client_ = std::make_unique<protocol::ApiClient>(std::move(*client));
    collector_ = std::make_unique<Collector>(CollectorOptions{.root = root}, clock_, random_);
  }

  CheckinAgent makeAgent(Sleeper& sleeper) {
    return CheckinAgent(config_, *state_, *collector_, *client_, random_, sleeper);
  }

  void stopServer() { server_.reset(); }

  void restartServer() { startServer(port_); }

  void startServer(int port) {
    server_ = std::make_unique<LoopbackServer>();
    // One request per connection: stopping a server waits for its open
    // connections, and a kept-alive one would hold it for seconds.
    server_->server().set_keep_alive_max_count(1);
    addRoutes(server_->server(), server_state_);
    ASSERT_TRUE(server_->start(port));
  }

  std::vector<std::string> queuedIds() {
    auto pending = state_->pending();
    EXPECT_TRUE(pending) << pending.error().message;
    std::vector<std::string> ids;
    for (const auto& entry : pending.value_or(std::vector<OutboxEntry>{})) {
      ids.push_back(entry.report_id);
    }
    return ids;
  }

  std::unique_ptr<pk::test_support::TemporaryDirectory> folder_;
  ServerState server_state_;
  std::unique_ptr<LoopbackServer> server_;
  int port_ = 0;
  AgentConfig config_;
  FakeClock clock_{*parseRfc3339("2026-12-04T23:24:08Z")};
  test_fakes::CountingRandom random_;
  std::unique_ptr<AgentState> state_;
  std::unique_ptr<protocol::ApiClient> client_;
  std::unique_ptr<Collector> collector_;
  test_fakes::RecordingSleeper sleeper_{0};
};

TEST_F(CheckinTest, EnrolsThenDeliversInventory) {
  CheckinAgent agent = makeAgent(sleeper_);
  const CycleResult result = agent.runCycle();

  EXPECT_EQ(result.outcome, CycleOutcome::kDelivered);
  EXPECT_EQ(result.delivered, 1u);
  EXPECT_EQ(result.queued, 0u);
  ASSERT_TRUE(result.server_requested_delay.has_value());
  EXPECT_EQ(*result.server_requested_delay, std::chrono::seconds(3600));
  EXPECT_EQ(server_state_.enrolments, 1);
  ASSERT_EQ(server_state_.accepted.size(), 1u);
  EXPECT_TRUE(server_state_.received_with_inventory[0]);

  auto identity = state_->loadIdentity();
  ASSERT_TRUE(identity);
  ASSERT_TRUE(identity->has_value());
  EXPECT_EQ((*identity)->host_id, kHostId);
  EXPECT_EQ((*identity)->server_url, config_.server_url);
  auto acknowledged = state_->loadAcknowledgedHash();
  ASSERT_TRUE(acknowledged);
  EXPECT_EQ(acknowledged->size(), 64u);
}

TEST_F(CheckinTest, UnchangedInventorySendsHashOnly) {
  CheckinAgent agent = makeAgent(sleeper_);
  ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);
  ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);

  ASSERT_EQ(server_state_.received.size(), 2u);
  EXPECT_TRUE(server_state_.received_with_inventory[0]);
  EXPECT_FALSE(server_state_.received_with_inventory[1]);
  EXPECT_EQ(server_state_.enrolments, 1);
}

TEST_F(CheckinTest, RestartedAgentKeepsIdentity) {
  {
    CheckinAgent agent = makeAgent(sleeper_);
    ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);
  }
  auto client =
      protocol::ApiClient::create({.base_url = config_.server_url, .allow_plain_http = true});
  ASSERT_TRUE(client);
  CheckinAgent restarted(config_, *state_, *collector_, *client, random_, sleeper_);
  EXPECT_EQ(restarted.runCycle().outcome, CycleOutcome::kDelivered);
  EXPECT_EQ(server_state_.enrolments, 1);
  EXPECT_EQ(server_state_.accepted.size(), 2u);
}

TEST_F(CheckinTest, ServerDownQueuesThenDeliversOnceInOrder) {
  CheckinAgent agent = makeAgent(sleeper_);
  ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);

  stopServer();
  for (std::size_t cycle = 1; cycle <= 3; ++cycle) {
    const CycleResult result = agent.runCycle();
    EXPECT_EQ(result.outcome, CycleOutcome::kDeliveryFailed);
    EXPECT_EQ(result.queued, cycle);
  }
  const std::vector<std::string> queued = queuedIds();
  ASSERT_EQ(queued.size(), 3u);

  restartServer();
  const CycleResult result = agent.runCycle();
  EXPECT_EQ(result.outcome, CycleOutcome::kDelivered);
  EXPECT_EQ(result.delivered, 4u);
  EXPECT_EQ(result.queued, 0u);

  std::lock_guard lock(server_state_.mutex);
  ASSERT_EQ(server_state_.accepted.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(server_state_.accepted.begin() + 1,
                                     server_state_.accepted.begin() + 4),
            queued);
  // Each report reached the server exactly once.
  EXPECT_EQ(server_state_.received, server_state_.accepted);
}

TEST_F(CheckinTest, LostResponseResendsSameReportOnce) {
  CheckinAgent agent = makeAgent(sleeper_);
  server_state_.lose_next_response = true;
  const CycleResult failed = agent.runCycle();
  EXPECT_EQ(failed.outcome, CycleOutcome::kDeliveryFailed);
  ASSERT_EQ(failed.queued, 1u);
  const std::string lost_id = queuedIds().front();

  const CycleResult recovered = agent.runCycle();
  EXPECT_EQ(recovered.outcome, CycleOutcome::kDelivered);
  EXPECT_EQ(recovered.delivered, 2u);

  std::lock_guard lock(server_state_.mutex);
  // The lost report was posted twice under the same id and applied once.
  ASSERT_EQ(server_state_.received.size(), 3u);
  EXPECT_EQ(server_state_.received[0], lost_id);
  EXPECT_EQ(server_state_.received[1], lost_id);
  ASSERT_EQ(server_state_.accepted.size(), 2u);
  EXPECT_EQ(server_state_.accepted[0], lost_id);
}

TEST_F(CheckinTest, InventoryNeededSendsInventoryAtOnce) {
  CheckinAgent agent = makeAgent(sleeper_);
  ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);

  server_state_.known_hashes.clear();  // as if the server lost the inventory
  const CycleResult result = agent.runCycle();
  EXPECT_EQ(result.outcome, CycleOutcome::kDelivered);
  EXPECT_EQ(result.delivered, 2u);

  ASSERT_EQ(server_state_.received.size(), 3u);
  EXPECT_FALSE(server_state_.received_with_inventory[1]);
  EXPECT_TRUE(server_state_.received_with_inventory[2]);
  EXPECT_EQ(server_state_.known_hashes.size(), 1u);
  auto acknowledged = state_->loadAcknowledgedHash();
  ASSERT_TRUE(acknowledged);
  EXPECT_TRUE(server_state_.known_hashes.contains(*acknowledged));
}

TEST_F(CheckinTest, RevokedTokenStopsSendingThenReenrols) {
  LogCapture log;
  CheckinAgent agent = makeAgent(sleeper_);
  ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);

  server_state_.token = "revoked";
  server_state_.enrol_status = 409;
  const CycleResult refused = agent.runCycle();
  EXPECT_EQ(refused.outcome, CycleOutcome::kUnauthorized);
  EXPECT_EQ(refused.queued, 1u);
  EXPECT_TRUE(log.contains("revoked or has expired")) << log.text();

  const CycleResult waiting = agent.runCycle();
  EXPECT_EQ(waiting.outcome, CycleOutcome::kNotEnrolled);
  EXPECT_EQ(waiting.queued, 1u);
  EXPECT_TRUE(log.contains("administrator approves re-enrolment")) << log.text();

  server_state_.enrol_status = 201;
  const CycleResult reenrolled = agent.runCycle();
  EXPECT_EQ(reenrolled.outcome, CycleOutcome::kDelivered);
  EXPECT_EQ(reenrolled.delivered, 2u);
  EXPECT_EQ(server_state_.enrolments, 2);
  auto identity = state_->loadIdentity();
  ASSERT_TRUE(identity);
  ASSERT_TRUE(identity->has_value());
  EXPECT_EQ((*identity)->token, server_state_.token);
}

TEST_F(CheckinTest, RevokedTokenReenrolsInSameCycle) {
  CheckinAgent agent = makeAgent(sleeper_);
  ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);

  // The server lets a revoked host's machine enrol again without approval.
  server_state_.token = "revoked";
  const CycleResult result = agent.runCycle();
  EXPECT_EQ(result.outcome, CycleOutcome::kDelivered);
  EXPECT_EQ(result.delivered, 1u);
  EXPECT_EQ(result.queued, 0u);
  EXPECT_EQ(server_state_.enrolments, 2);
}

TEST_F(CheckinTest, RefusedTokenIsRememberedAcrossRestart) {
  {
    CheckinAgent agent = makeAgent(sleeper_);
    ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);
    server_state_.token = "revoked";
    server_state_.enrol_status = 409;
    ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kUnauthorized);
  }
  auto identity = state_->loadIdentity();
  ASSERT_TRUE(identity);
  ASSERT_TRUE(identity->has_value());
  EXPECT_TRUE((*identity)->token_rejected);

  // A new process enrols first instead of sending with the refused token.
  const int posts_before = server_state_.report_posts;
  CheckinAgent restarted = makeAgent(sleeper_);
  EXPECT_EQ(restarted.runCycle().outcome, CycleOutcome::kNotEnrolled);
  EXPECT_EQ(server_state_.report_posts, posts_before);
}

TEST_F(CheckinTest, RejectedReportMovesAsideAndDeliveryGoesOn) {
  CheckinAgent agent = makeAgent(sleeper_);
  ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);
  stopServer();
  ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDeliveryFailed);
  const std::string doomed = queuedIds().front();

  server_state_.override_status = [doomed](const protocol::Report& report) {
    return report.report_id == doomed ? 413 : 0;
  };
  restartServer();
  const CycleResult result = agent.runCycle();
  EXPECT_EQ(result.outcome, CycleOutcome::kDelivered);
  EXPECT_EQ(result.rejected, 1u);
  EXPECT_EQ(result.delivered, 1u);

  bool found = false;
  for (const auto& item : fs::directory_iterator(config_.state_dir / "rejected")) {
    const std::string name = item.path().filename().string();
    if (name.find(doomed) != std::string::npos && name.ends_with(".json")) found = true;
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(std::count(server_state_.accepted.begin(), server_state_.accepted.end(), doomed), 0);
}

TEST_F(CheckinTest, ServerErrorKeepsReport) {
  CheckinAgent agent = makeAgent(sleeper_);
  server_state_.override_status = [](const protocol::Report&) { return 503; };
  const CycleResult result = agent.runCycle();
  EXPECT_EQ(result.outcome, CycleOutcome::kDeliveryFailed);
  EXPECT_EQ(result.queued, 1u);
  EXPECT_TRUE(server_state_.accepted.empty());
}

TEST_F(CheckinTest, UnknownSecretIsLoggedAndRetried) {
  LogCapture log;
  server_state_.enrol_status = 401;
  CheckinAgent agent = makeAgent(sleeper_);
  const CycleResult result = agent.runCycle();
  EXPECT_EQ(result.outcome, CycleOutcome::kNotEnrolled);
  EXPECT_TRUE(log.contains("unknown or expired")) << log.text();
  EXPECT_FALSE(fs::exists(config_.state_dir / "identity.json"));

  server_state_.enrol_status = 201;
  EXPECT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);
}

TEST_F(CheckinTest, SecretFileIsRead) {
  config_.enrolment_secret.clear();
  config_.enrolment_secret_file = (folder_->path() / "secret").string();
  ASSERT_TRUE(pk::test_support::writeFile(folder_->path(), "secret", "  from-file \n"));
  CheckinAgent agent = makeAgent(sleeper_);
  EXPECT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);
}

TEST_F(CheckinTest, NoSecretMeansNotEnrolled) {
  LogCapture log;
  config_.enrolment_secret.clear();
  CheckinAgent agent = makeAgent(sleeper_);
  EXPECT_EQ(agent.runCycle().outcome, CycleOutcome::kNotEnrolled);
  EXPECT_TRUE(log.contains("no enrolment secret")) << log.text();
  EXPECT_EQ(server_state_.enrolments, 0);
}

TEST_F(CheckinTest, CorruptOutboxFileIsMovedAside) {
  CheckinAgent agent = makeAgent(sleeper_);
  ASSERT_EQ(agent.runCycle().outcome, CycleOutcome::kDelivered);
  const std::string name = fmt::format("{:012}-{:032x}.json", 1, 99);
  ASSERT_TRUE(pk::test_support::writeFile(config_.state_dir, fs::path("outbox") / name, "{"));

  const CycleResult result = agent.runCycle();
  EXPECT_EQ(result.outcome, CycleOutcome::kDelivered);
  EXPECT_EQ(result.delivered, 1u);
  EXPECT_TRUE(fs::exists(config_.state_dir / "corrupt" / name));
}

TEST_F(CheckinTest, RunWaitsByServerRequestThenBacksOff) {
  random_.setUniform(0.5);
  server_state_.next_checkin_seconds = 120;
  test_fakes::RecordingSleeper sleeper(3, [this](int count) {
    if (count == 1) stopServer();
  });
  CheckinAgent agent = makeAgent(sleeper);
  agent.run();

  // A good cycle waits for the server's sooner request; failures then back
  // off from backoff_initial_seconds (10) with the random share 0.5.
  ASSERT_EQ(sleeper.waits().size(), 4u);
  EXPECT_EQ(sleeper.waits()[0], std::chrono::seconds(120));
  EXPECT_EQ(sleeper.waits()[1], std::chrono::seconds(5));
  EXPECT_EQ(sleeper.waits()[2], std::chrono::seconds(10));
  EXPECT_EQ(sleeper.waits()[3], std::chrono::seconds(20));
}

TEST_F(CheckinTest, GoodCycleUsesJitteredInterval) {
  random_.setUniform(0.0);
  CheckinAgent agent = makeAgent(sleeper_);
  const CycleResult result = agent.runCycle();
  ASSERT_EQ(result.outcome, CycleOutcome::kDelivered);
  // 60 minutes less 10 % is sooner than the server's 3600 s.
  EXPECT_EQ(agent.delayAfter(result), std::chrono::minutes(54));
}

TEST(CheckinPinned, DeliversOverPinnedTls) {
  auto folder = pk::test_support::TemporaryDirectory::create("checkin-tls");
  ASSERT_TRUE(folder) << folder.error().message;
  auto files = protocol::test_support::makeSelfSignedCertificate(folder->path(), "server");
  ASSERT_TRUE(files) << files.error().message;
  std::ifstream certificate(files->certificate);
  std::stringstream pem;
  pem << certificate.rdbuf();
  auto pin = protocol::publicKeyPinFromPem(pem.str());
  ASSERT_TRUE(pin) << pin.error().message;

  ServerState server_state;
  LoopbackServer server(*files);
  addRoutes(server.server(), server_state);
  ASSERT_TRUE(server.start());

  const fs::path root = folder->path() / "root";
  ASSERT_TRUE(pk::test_support::writeDebianRoot(
      root, "12", {DpkgStanza{.package = "bash", .version = "5.2.15-2+b7"}}));
  ASSERT_TRUE(pk::test_support::writeFile(root, "etc/machine-id", "abc\n"));

  AgentConfig config;
  config.server_url = server.url("https");
  config.server_pin = *pin;
  config.enrolment_secret = "secret";
  config.root = root;
  config.state_dir = folder->path() / "state";
  ASSERT_TRUE(validateAgentConfig(config));

  auto state = AgentState::open(config.state_dir);
  ASSERT_TRUE(state);
  auto client =
      protocol::ApiClient::create({.base_url = config.server_url, .server_pin = config.server_pin});
  ASSERT_TRUE(client);
  FakeClock clock(*parseRfc3339("2026-12-04T23:24:08Z"));
  test_fakes::CountingRandom random;
  Collector collector({.root = root}, clock, random);
  test_fakes::RecordingSleeper sleeper(0);
  CheckinAgent agent(config, *state, collector, *client, random, sleeper);

  const CycleResult result = agent.runCycle();
  EXPECT_EQ(result.outcome, CycleOutcome::kDelivered);
  EXPECT_EQ(server_state.accepted.size(), 1u);
}

}  // namespace
}  // namespace pk::agent
