#pragma once

// A real server core for the ticket routes' tests: a fresh migrated SQLite
// file per test, a FakeClock, the real authenticator, the ticket routes,
// and real hosts and maintenance windows written through the store.
// Requests go straight to Router::dispatch(), without sockets.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "server/context.h"
#include "server/credentials.h"
#include "server/host_routes.h"
#include "server/http.h"
#include "server/metrics.h"
#include "server/ticket_routes.h"
#include "server/tickets.h"
#include "server/window_assignment.h"
#include "server/window_routes.h"
#include "store/audit_repository.h"
#include "store/database.h"
#include "store/host_repository.h"
#include "store/migrations.h"
#include "store/user_repository.h"
#include "store/window_repository.h"
#include "tests/support/temporary_directory.h"

namespace pk::server::ticket_tests {

// Saturday 2026-12-05 00:00:00 UTC.
inline SystemTime saturdayMidnight() {
  using namespace std::chrono;
  return SystemTime(sys_days(year(2026) / December / 5));
}

inline nlohmann::json bodyOf(const Response& response) {
  return nlohmann::json::parse(response.body, nullptr, false);
}

inline std::string errorCode(const Response& response) {
  const auto body = bodyOf(response);
  if (!body.is_object() || !body.contains("error")) return "";
  return body["error"].value("code", "");
}

class TicketServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = test_support::TemporaryDirectory::create("tickets");
    ASSERT_TRUE(directory) << directory.error().message;
    directory_.emplace(std::move(*directory));
    auto opened = store::openDatabase("sqlite://" + (directory_->path() / "pk.db").string());
    ASSERT_TRUE(opened) << opened.error().message;
    database_ = std::move(*opened);
    auto migrated = store::migrate(*database_, clock_);
    ASSERT_TRUE(migrated) << migrated.error().message;

    context_ = std::make_unique<ServerContext>(ServerContext{*database_, clock_, metrics_});
    router_ = std::make_unique<Router>(makeAuthenticator(*context_));
    TicketRouteOptions options;
    options.webhooks.allow_http_loopback = true;
    addTicketRoutes(*router_, *context_, options);
    // Moves by an administrator and kind changes settle tickets too.
    addWindowRoutes(*router_, *context_);
    addHostRoutes(*router_, *context_, HostRouteOptions{});

    admin_ = userToken("alice", {"admin"});
    second_admin_ = userToken("adam", {"admin"});
    owner_ = userToken("olivia", {"owner"});
    operator_ = userToken("oscar", {"operator"});
    viewer_ = userToken("vera", {"viewer"});
    helpdesk_ = userToken("desk", {}, "helpdesk");

    // Window A: Saturdays 02:00-06:00 UTC. Window B: Sundays 02:00-06:00 UTC.
    window_a_ = addWindow("saturday-early", "FREQ=WEEKLY;BYDAY=SA", "2026-11-07T02:00:00");
    window_b_ = addWindow("sunday-early", "FREQ=WEEKLY;BYDAY=SU", "2026-11-08T02:00:00");
    server_ = addHost("db-1", "server", "olivia");
    others_server_ = addHost("db-2", "server", "bob");
    endpoint_ = addHost("laptop-1", "endpoint", "olivia");
    assignWindow(server_, window_a_);
  }

  Response call(const std::string& method, const std::string& path, const std::string& token,
                const nlohmann::json& body = nullptr,
                const std::vector<std::pair<std::string, std::string>>& query = {}) {
    Request request;
    request.method = method;
    request.path = path;
    request.body = body.is_null() ? "" : body.dump();
    request.remote_address = "127.0.0.1";
    for (const auto& [name, value] : query) request.query.emplace(name, value);
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    return router_->dispatch(request);
  }

  // Creates user `username` with `roles` (and `extra_role`, written with
  // SQL because the user repository predates it) and returns an API token.
  std::string userToken(const std::string& username, const std::vector<std::string>& roles,
                        const std::string& extra_role = "") {
    std::string token;
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      store::UserRecord user;
      user.username = username;
      user.password_hash = "not a real hash: the tests use API tokens";
      user.roles = roles;
      user.created_at = clock_.now();
      user.updated_at = clock_.now();
      auto id = store::insertUser(session, user);
      if (!id) return tl::unexpected(id.error());
      if (!extra_role.empty()) {
        auto added = session.execute("INSERT INTO user_roles (user_id, role) VALUES (?, ?)",
                                     {*id, extra_role});
        if (!added) return added;
      }
      auto issued = issueApiToken(session, *id, "test", clock_.now(), std::nullopt);
      if (!issued) return tl::unexpected(issued.error());
      token = issued->token;
      return {};
    });
    EXPECT_TRUE(written) << written.error().message;
    return token;
  }

  std::string addWindow(const std::string& name, const std::string& rrule,
                        const std::string& start_local) {
    store::WindowRecord window;
    window.id = store::newWindowId();
    window.name = name;
    window.rrule = rrule;
    window.start_local = start_local;
    window.zone = "UTC";
    window.length_seconds = 4 * 3600;
    window.created_at = clock_.now();
    window.updated_at = clock_.now();
    auto written = database_->write(
        [&](store::Session& session) { return store::insertWindow(session, window); });
    EXPECT_TRUE(written) << written.error().message;
    return window.id;
  }

  std::string addHost(const std::string& hostname, const std::string& kind,
                      const std::string& owner) {
    store::HostRecord host;
    host.id = store::newHostId();
    host.hostname = hostname;
    host.machine_id = host.id + "-machine";
    host.kind = kind;
    host.owner = owner;
    host.enrolled_at = clock_.now();
    auto written =
        database_->write([&](store::Session& session) { return store::insertHost(session, host); });
    EXPECT_TRUE(written) << written.error().message;
    return host.id;
  }

  void assignWindow(const std::string& host_id, const std::string& window_id) {
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      auto move = scheduleWindowMove(session, host_id, window_id, clock_.now(), "user:alice",
                                     "127.0.0.1", std::nullopt);
      if (!move) return tl::unexpected(move.error());
      return {};
    });
    ASSERT_TRUE(written) << written.error().message;
  }

  std::optional<std::string> windowOf(const std::string& host_id) {
    std::optional<std::string> window;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      auto current = currentWindowOf(session, host_id, clock_.now());
      if (!current) return tl::unexpected(current.error());
      window = *current;
      return {};
    });
    EXPECT_TRUE(read) << read.error().message;
    return window;
  }

  // Runs what the leader's window job runs: folds due moves and applies
  // their tickets in one transaction. Returns the applied ticket ids.
  std::vector<std::int64_t> runWindowJob() {
    std::vector<std::int64_t> applied;
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      applied.clear();
      auto moves = applyDueWindowMoves(session, clock_.now());
      if (!moves) return tl::unexpected(moves.error());
      auto tickets = applyTicketsOfMoves(session, *moves, clock_.now());
      if (!tickets) return tl::unexpected(tickets.error());
      applied = *tickets;
      return {};
    });
    EXPECT_TRUE(written) << written.error().message;
    return applied;
  }

  std::vector<store::AuditEvent> auditOf(const std::string& object_type,
                                         const std::string& object_id) {
    std::vector<store::AuditEvent> events;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      store::AuditQuery query;
      query.object_type = object_type;
      query.object_id = object_id;
      auto listed = store::listAuditEvents(session, query);
      if (!listed) return tl::unexpected(listed.error());
      events = *listed;
      return {};
    });
    EXPECT_TRUE(read) << read.error().message;
    return events;
  }

  nlohmann::json moveBody(const std::string& host_id, const std::string& window_id) {
    return {{"type", "move_server_window"},
            {"host", host_id},
            {"window", window_id},
            {"justification", "the database team patches on Sundays"}};
  }

  // Files a move of server_ to window B as the owner; returns the ticket id.
  std::int64_t fileMove(const std::string& token) {
    const auto response = call("POST", "/api/v1/tickets", token, moveBody(server_, window_b_));
    EXPECT_EQ(response.status, 201) << response.body;
    return bodyOf(response).value("id", std::int64_t{0});
  }

  std::string ticketPath(std::int64_t id, const std::string& suffix = "") {
    return "/api/v1/tickets/" + std::to_string(id) + suffix;
  }

  FakeClock clock_{saturdayMidnight()};
  Metrics metrics_;
  std::optional<test_support::TemporaryDirectory> directory_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<Router> router_;

  std::string admin_, second_admin_, owner_, operator_, viewer_, helpdesk_;
  std::string window_a_, window_b_;
  std::string server_, others_server_, endpoint_;
};

}  // namespace pk::server::ticket_tests
