// Two patchkeeper-server nodes on one PostgreSQL database, sharing one TLS
// key. One node is elected to run the scheduled jobs. When it is killed,
// the other takes the schedule over within the bound, and the job the dead
// node ran is not run again. Needs PK_TEST_POSTGRESQL; skipped without it.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "protocol/api_client.h"
#include "protocol/tests/loopback_server.h"
#include "store/tests/conformance.h"
#include "tests/e2e/fleet_fixture.h"
#include "tests/support/background_process.h"
#include "tests/support/temporary_directory.h"

namespace pk::e2e {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kLeaderRetrySeconds = 1;
// The longest takeover the test accepts: the retry interval, plus the
// time a node takes to notice and act, with room for a loaded CI machine.
constexpr auto kTakeoverBound = std::chrono::seconds(15);

constexpr std::string_view kFeed = R"json({
  "id": "PKTEST-2026-0001",
  "modified": "2026-11-01T00:00:00Z",
  "affected": [{
    "package": {"ecosystem": "Debian:12", "name": "pk-failover-demo"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0-1"}]}]
  }]
})json";

void writeFile(const fs::path& path, std::string_view text) {
  std::ofstream out(path);
  out << text;
}

// One server process with its own port and data folder.
struct Node {
  std::string name;
  int port = 0;
  fs::path config;
  std::optional<test_support::BackgroundProcess> process;
  std::optional<protocol::ApiClient> client;

  std::string baseUrl() const { return fmt::format("https://127.0.0.1:{}", port); }
};

// Returns the value of an unlabelled or labelled sample in /metrics, or
// nullopt when the request fails or the sample is missing.
std::optional<double> metric(Node& node, const std::string& sample) {
  auto response = node.client->get("/metrics");
  if (!response || response->status != 200) return std::nullopt;
  const std::regex line("(^|\n)" + std::regex_replace(sample, std::regex(R"([{}"\\])"), R"(\$&)") +
                        " ([0-9.e+]+)");
  std::smatch match;
  if (!std::regex_search(response->body, match, line)) return std::nullopt;
  return std::stod(match[2].str());
}

class FailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto server = store::conformance::postgresqlTestServer();
    if (!server) GTEST_SKIP() << "set PK_TEST_POSTGRESQL to run the two-node failover test";
    auto database = store::conformance::TemporaryPostgresqlDatabase::create(*server);
    ASSERT_TRUE(database) << database.error().message;
    database_.emplace(std::move(*database));
    auto folder = test_support::TemporaryDirectory::create("failover");
    ASSERT_TRUE(folder) << folder.error().message;
    folder_.emplace(std::move(*folder));

    auto tls = protocol::test_support::makeSelfSignedCertificate(folder_->path(), "shared");
    ASSERT_TRUE(tls) << tls.error().message;
    tls_ = *tls;
    writeFile(folder_->path() / "feed.json", kFeed);
  }

  Node makeNode(const std::string& name) {
    Node node{.name = name, .port = freeLoopbackPort()};
    const fs::path data = folder_->path() / name;
    fs::create_directories(data);
    node.config = data / "server.toml";
    writeFile(node.config,
              fmt::format("listen_address = \"127.0.0.1\"\nport = {}\ndata_dir = \"{}\"\n"
                          "database = \"{}\"\ntls_certificate = \"{}\"\ntls_private_key = \"{}\"\n"
                          "access_log = \"off\"\nleader_retry_seconds = {}\n"
                          "index_refresh_seconds = 1\n\n"
                          "[[feeds]]\nname = \"demo\"\nkind = \"osv\"\npath = \"{}\"\n"
                          "interval_minutes = 60\n",
                          node.port, data.string(), database_->connectionString(),
                          tls_.certificate.string(), tls_.private_key.string(), kLeaderRetrySeconds,
                          (folder_->path() / "feed.json").string()));
    return node;
  }

  void start(Node& node) {
    auto started = test_support::BackgroundProcess::start(
        {PK_SERVER_BINARY, "serve", "--config", node.config.string()},
        node.config.parent_path() / "server.log");
    ASSERT_TRUE(started) << started.error().message;
    node.process.emplace(std::move(*started));
    auto pin = protocol::publicKeyPinFromPem(readFile(tls_.certificate));
    ASSERT_TRUE(pin) << pin.error().message;
    auto client = protocol::ApiClient::create({.base_url = node.baseUrl(), .server_pin = *pin});
    ASSERT_TRUE(client) << client.error().message;
    node.client.emplace(std::move(*client));
    ASSERT_TRUE(waitFor(
        [&] {
          auto health = node.client->get("/healthz");
          return health && health->status == 200;
        },
        std::chrono::seconds(60)))
        << node.process->log();
  }

  // Polls `condition` every 100 ms until it is true or `limit` passes.
  template <typename Condition>
  static bool waitFor(Condition condition, Clock::duration limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      if (condition()) return true;
      ::usleep(100'000);
    }
    return condition();
  }

  static std::string readFile(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::optional<store::conformance::TemporaryPostgresqlDatabase> database_;
  std::optional<test_support::TemporaryDirectory> folder_;
  protocol::test_support::TlsFiles tls_;
};

TEST_F(FailoverTest, SurvivorTakesOverWithoutRerun) {
  Node first = makeNode("first");
  Node second = makeNode("second");
  start(first);
  const std::string synced = R"(patchkeeper_feed_sync_total{feed="demo",result="applied"})";
  ASSERT_TRUE(
      waitFor([&] { return metric(first, "patchkeeper_leader") == 1.0; }, std::chrono::seconds(30)))
      << first.process->log();
  ASSERT_TRUE(waitFor([&] { return metric(first, synced) == 1.0; }, std::chrono::seconds(30)))
      << first.process->log();

  // While the first node lives, the second never leads and never syncs.
  start(second);
  const auto watch_until = Clock::now() + std::chrono::seconds(3 * kLeaderRetrySeconds);
  while (Clock::now() < watch_until) {
    ASSERT_EQ(metric(second, "patchkeeper_leader"), 0.0) << second.process->log();
    ::usleep(200'000);
  }
  EXPECT_EQ(metric(second, synced).value_or(0), 0.0);

  const auto killed_at = Clock::now();
  ASSERT_EQ(first.process->stop(SIGKILL, std::chrono::seconds(10)), 128 + SIGKILL);
  ASSERT_TRUE(waitFor([&] { return metric(second, "patchkeeper_leader") == 1.0; }, kTakeoverBound))
      << second.process->log();
  const auto takeover = Clock::now() - killed_at;
  RecordProperty(
      "takeover_ms",
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(takeover).count()));

  // The feed ran minutes ago by the database's record, so the new leader
  // waits out its interval instead of syncing again.
  const auto settle_until = Clock::now() + std::chrono::seconds(3 * kLeaderRetrySeconds);
  while (Clock::now() < settle_until) {
    ASSERT_EQ(metric(second, "patchkeeper_leader"), 1.0) << second.process->log();
    ASSERT_EQ(metric(second, synced).value_or(0), 0.0) << second.process->log();
    ::usleep(200'000);
  }
  EXPECT_NE(second.process->log().find("this node now runs the scheduled jobs"), std::string::npos);
}

// A feed sync on the leader changes the stored advisories; the other node
// notices and rebuilds the index it evaluates reports with.
TEST_F(FailoverTest, FollowerRebuildsIndexAfterSync) {
  Node first = makeNode("first");
  Node second = makeNode("second");
  const fs::path password = folder_->path() / "password";
  writeFile(password, "correct horse battery staple");
  auto init = test_support::BackgroundProcess::start(
      {PK_SERVER_BINARY, "init", "--config", first.config.string(), "--username", "admin",
       "--password-file", password.string()},
      folder_->path() / "init.log");
  ASSERT_TRUE(init) << init.error().message;
  ASSERT_TRUE(waitFor([&] { return !init->running(); }, std::chrono::seconds(60)));

  start(first);
  const std::string synced = R"(patchkeeper_feed_sync_total{feed="demo",result="applied"})";
  ASSERT_TRUE(waitFor([&] { return metric(first, synced) == 1.0; }, std::chrono::seconds(30)))
      << first.process->log();
  start(second);

  // A second advisory in the feed, synced on the leader by an admin.
  std::string changed(kFeed);
  changed.replace(changed.find("PKTEST-2026-0001"), 16, "PKTEST-2026-0002");
  writeFile(folder_->path() / "feed.json",
            std::string("[") + std::string(kFeed) + "," + changed + "]");
  auto login = first.client->post(
      "/api/v1/sessions", R"({"username": "admin", "password": "correct horse battery staple"})");
  ASSERT_TRUE(login) << login.error().message;
  ASSERT_EQ(login->status, 201) << login->body;
  const auto token = nlohmann::json::parse(login->body).at("token").get<std::string>();
  auto pin = protocol::publicKeyPinFromPem(readFile(tls_.certificate));
  ASSERT_TRUE(pin);
  auto admin = protocol::ApiClient::create(
      {.base_url = first.baseUrl(), .server_pin = *pin, .bearer_token = token});
  ASSERT_TRUE(admin);
  auto sync = admin->post("/api/v1/feeds/demo/sync", "");
  ASSERT_TRUE(sync) << sync.error().message;
  ASSERT_EQ(sync->status, 200) << sync->body;

  EXPECT_TRUE(waitFor(
      [&] { return second.process->log().find("advisory index rebuilt") != std::string::npos; },
      std::chrono::seconds(15)))
      << second.process->log();
  EXPECT_EQ(first.process->log().find("advisory index rebuilt"), std::string::npos);
}

}  // namespace
}  // namespace pk::e2e
