// The ticket flow end to end. The real patchkeeper-server binary runs on
// loopback with a fresh SQLite file, people log in with passwords, and a
// webhook receiver listens on loopback. An owner files a move ticket that a
// viewer and the help-desk cannot approve and an admin does, while the
// server's window is open. The server's clock is then shifted past the end
// of that window (Fleet::shiftServerClock), and the leader's job moves it.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include "protocol/api_client.h"
#include "protocol/messages.h"
#include "server/window_assignment.h"
#include "store/database.h"
#include "tests/e2e/fleet_fixture.h"

namespace pk::e2e {
namespace {

using json = nlohmann::json;

constexpr const char* kPassword = "a long enough password for tests";

// Records every webhook request it receives, on 127.0.0.1.
class WebhookReceiver {
 public:
  WebhookReceiver() {
    server_.Post("/hook", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
      response.status = 204;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~WebhookReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/hook", port_); }
  std::vector<httplib::Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<httplib::Request> requests_;
};

// The receiver's side of the signature, with libsodium's HMAC.
bool signatureValid(const httplib::Request& request, const std::string& secret) {
  const std::string message =
      request.get_header_value("X-Patchkeeper-Timestamp") + "." + request.body;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return request.get_header_value("X-Patchkeeper-Signature") == std::string("sha256=") + hex;
}

class TicketFlowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fleet = Fleet::create("ticket-flow",
                               "webhook_allow_http_loopback = true\n"
                               "webhook_interval_seconds = 1\n");
    ASSERT_TRUE(fleet) << fleet.error().message;
    fleet_.emplace(std::move(*fleet));
    auto started = fleet_->startServer();
    ASSERT_TRUE(started) << started.error().message;
    auto admin = fleet_->adminClient();
    ASSERT_TRUE(admin) << admin.error().message;
    admin_.emplace(std::move(*admin));
  }

  void TearDown() override {
    if (fleet_) fleet_->stopServer(SIGTERM);
  }

  // Sends `body` to `path` with `client` and returns the status and body.
  std::pair<int, json> post(protocol::ApiClient& client, const std::string& path,
                            const json& body) {
    auto response = client.post(path, body.dump());
    EXPECT_TRUE(response) << response.error().message;
    if (!response) return {0, json()};
    return {response->status, json::parse(response->body, nullptr, false)};
  }

  std::pair<int, json> get(protocol::ApiClient& client, const std::string& path) {
    auto response = client.get(path);
    EXPECT_TRUE(response) << response.error().message;
    if (!response) return {0, json()};
    return {response->status, json::parse(response->body, nullptr, false)};
  }

  // Creates a user with `roles` and returns a client logged in as them.
  protocol::ApiClient userClient(const std::string& username, const json& roles) {
    const auto [created, body] =
        post(*admin_, "/api/v1/users",
             {{"username", username}, {"password", kPassword}, {"roles", roles}});
    EXPECT_EQ(created, 201) << body.dump();
    return login(username);
  }

  protocol::ApiClient login(const std::string& username) {
    auto client =
        protocol::ApiClient::create({.base_url = fleet_->baseUrl(), .server_pin = fleet_->pin()});
    EXPECT_TRUE(client) << client.error().message;
    const auto [status, body] =
        post(*client, "/api/v1/sessions", {{"username", username}, {"password", kPassword}});
    EXPECT_EQ(status, 201) << body.dump();
    client->setBearerToken(body.value("token", ""));
    return std::move(*client);
  }

  // Runs `work` in a write transaction on the server's database file, for
  // setup that has no API route yet.
  void writeDirectly(const std::function<Result<void>(store::Session&)>& work) {
    auto database = store::openDatabase(fleet_->databaseUrl());
    ASSERT_TRUE(database) << database.error().message;
    auto written = (*database)->write(work);
    ASSERT_TRUE(written) << written.error().message;
  }

  std::optional<Fleet> fleet_;
  std::optional<protocol::ApiClient> admin_;
};

TEST_F(TicketFlowTest, OwnerMovesServerThroughTicket) {
  WebhookReceiver receiver;
  auto owner = userClient("olivia", {"owner"});
  auto viewer = userClient("vera", {"viewer"});
  // The user routes do not accept the help-desk role yet, so it is given
  // to an account with no roles in the database.
  auto helpdesk = userClient("desk", json::array());
  writeDirectly([](store::Session& session) {
    return session.execute(
        "INSERT INTO user_roles (user_id, role) SELECT id, 'helpdesk' FROM users WHERE username "
        "= 'desk'");
  });

  // The owner's server, enrolled through the API.
  const auto [secret_status, secret] = post(*admin_, "/api/v1/enrolment-secrets",
                                            {{"name", "db servers"},
                                             {"kind", "server"},
                                             {"owner", "olivia"},
                                             {"collections", json::array()},
                                             {"expires_in_hours", 1}});
  ASSERT_EQ(secret_status, 201) << secret.dump();
  auto anonymous =
      protocol::ApiClient::create({.base_url = fleet_->baseUrl(), .server_pin = fleet_->pin()});
  ASSERT_TRUE(anonymous);
  const auto [enrol_status, enrolled] =
      post(*anonymous, "/api/v1/enrol",
           protocol::toJson(protocol::EnrolRequest{secret["secret"], "db-1",
                                                   "0123456789abcdef0123456789abcdef"}));
  ASSERT_EQ(enrol_status, 201) << enrolled.dump();
  const std::string host_id = enrolled["host_id"];

  // The server's window is open now: daily, from half an hour ago, for two
  // hours. The window it moves to opens on 1 January only.
  const auto started = std::chrono::floor<std::chrono::minutes>(std::chrono::system_clock::now()) -
                       std::chrono::minutes(30);
  const std::string started_text = formatRfc3339(started);
  std::string from_id;
  std::string to_id;
  for (auto [name, rule, start, id] :
       {std::tuple{"daily-now", "FREQ=DAILY", started_text.substr(0, 19), &from_id},
        std::tuple{"new-year", "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1",
                   std::string("2026-01-01T20:00:00"), &to_id}}) {
    const auto [window_status, window] = post(
        *admin_, "/api/v1/windows",
        {{"name", name}, {"rrule", rule}, {"start", start}, {"zone", "UTC"}, {"length", "2h"}});
    ASSERT_EQ(window_status, 201) << window.dump();
    *id = window["id"];
  }

  // The server's first window. The API client has no PUT, which the
  // window assignment route takes, so the assignment is written directly.
  writeDirectly([&](store::Session& session) -> Result<void> {
    const SystemTime now =
        std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
    auto moved = server::scheduleWindowMove(session, host_id, from_id, now, "user:admin",
                                            "127.0.0.1", std::nullopt);
    if (!moved) return tl::unexpected(moved.error());
    return {};
  });

  // The security team's webhook receiver.
  const auto [hook_status, hook] =
      post(*admin_, "/api/v1/webhooks",
           {{"url", receiver.url()},
            {"events", {"ticket.created", "ticket.approved", "ticket.refused", "ticket.applied"}}});
  ASSERT_EQ(hook_status, 201) << hook.dump();
  const std::string webhook_secret = hook["secret"];

  // The owner files; another owner's host would get 404.
  const auto [filed_status, filed] = post(owner, "/api/v1/tickets",
                                          {{"type", "move_server_window"},
                                           {"host", host_id},
                                           {"window", to_id},
                                           {"justification", "evening patching suits us"}});
  ASSERT_EQ(filed_status, 201) << filed.dump();
  const std::int64_t id = filed["id"];
  const std::string path = fmt::format("/api/v1/tickets/{}", id);

  // Neither a viewer nor the help-desk can approve.
  EXPECT_EQ(post(viewer, path + "/approve", json::object()).first, 403);
  EXPECT_EQ(post(helpdesk, path + "/approve", json::object()).first, 403);
  EXPECT_EQ(post(helpdesk, path + "/refuse", {{"comment", "no"}}).first, 403);
  // The help-desk links its own ticket.
  const auto [comment_status, commented] =
      post(helpdesk, path + "/comments",
           {{"comment", "mirrored as HD-77"}, {"external_reference", "HD-77"}});
  ASSERT_EQ(comment_status, 200) << commented.dump();
  EXPECT_EQ(commented["external_reference"], "HD-77");

  // The admin approves while the server's window is open: the move waits
  // for that occurrence to end.
  const auto [approved_status, approved] = post(*admin_, path + "/approve", {{"comment", "ok"}});
  ASSERT_EQ(approved_status, 200) << approved.dump();
  EXPECT_EQ(approved["status"], "approved");
  EXPECT_EQ(approved["decided_by"], "admin");
  EXPECT_EQ(approved["effective_at"], formatRfc3339(started + std::chrono::hours(2)));

  // The servers-by-window report, which the viewer reads.
  const auto windowsOfServer = [&] {
    const auto [report_status, report] =
        get(viewer, "/api/v1/reports/servers-by-window?format=json");
    EXPECT_EQ(report_status, 200) << report.dump();
    std::vector<std::string> windows;
    for (const auto& window : report["windows"]) {
      for (const auto& server : window["servers"]) {
        if (server["id"] == host_id) windows.push_back(window["id"]);
      }
    }
    return windows;
  };
  EXPECT_EQ(windowsOfServer(), std::vector<std::string>{from_id});

  // Two and a half hours later on the server's clock the window has closed,
  // and the leader's window-moves job applies the move and the ticket.
  ASSERT_TRUE(fleet_->shiftServerClock(std::chrono::minutes(150)));
  json shown;
  for (int attempt = 0; attempt < 600; ++attempt) {
    const auto [show_status, body] = get(owner, path);
    ASSERT_EQ(show_status, 200);
    shown = body;
    if (shown["status"] != "approved") break;
    ::usleep(50'000);
  }
  EXPECT_EQ(shown["status"], "applied") << fleet_->serverLog();
  ASSERT_EQ(shown["comments"].size(), 2u);
  EXPECT_EQ(shown["comments"][1]["kind"], "approval");
  EXPECT_EQ(windowsOfServer(), std::vector<std::string>{to_id});

  // The audit log shows every step.
  const auto [audit_status, audit] =
      get(*admin_, fmt::format("/api/v1/audit?object_type=ticket&object_id={}", id));
  ASSERT_EQ(audit_status, 200) << audit.dump();
  std::vector<std::string> actions;
  for (const auto& event : audit["items"]) actions.push_back(event["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"ticket.create", "ticket.link", "ticket.comment",
                                               "ticket.approve", "ticket.apply"}));
  const auto [host_audit_status, host_audit] =
      get(*admin_, "/api/v1/audit?object_type=host&object_id=" + host_id);
  ASSERT_EQ(host_audit_status, 200);
  std::vector<std::pair<std::string, std::string>> host_actions;
  for (const auto& event : host_audit["items"]) {
    if (event["after"].dump().find(to_id) != std::string::npos) {
      host_actions.emplace_back(event["action"], event["actor"]);
    }
  }
  EXPECT_EQ(host_actions, (std::vector<std::pair<std::string, std::string>>{
                              {"host.window_move_scheduled", "user:admin"},
                              {"host.window_move_applied", "system"}}))
      << host_audit.dump();

  // The receiver gets the signed events within a few delivery rounds.
  std::vector<httplib::Request> requests;
  for (int attempt = 0; attempt < 300 && requests.size() < 3; ++attempt) {
    ::usleep(50'000);
    requests = receiver.requests();
  }
  ASSERT_EQ(requests.size(), 3u) << fleet_->serverLog();
  std::vector<std::string> events;
  for (const auto& request : requests) {
    EXPECT_TRUE(signatureValid(request, webhook_secret)) << request.body;
    events.push_back(request.get_header_value("X-Patchkeeper-Event"));
    EXPECT_EQ(json::parse(request.body)["ticket"]["id"], id);
  }
  EXPECT_EQ(events,
            (std::vector<std::string>{"ticket.created", "ticket.approved", "ticket.applied"}));
}

}  // namespace
}  // namespace pk::e2e
