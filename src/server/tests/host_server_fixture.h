#pragma once

// A real server core for the hosts routes' tests: a fresh migrated SQLite
// file per test, a FakeClock, the people helper's real authenticator, and a
// Router with addHostRoutes(). Requests go straight to Router::dispatch(),
// without sockets.

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "protocol/messages.h"
#include "server/context.h"
#include "server/credentials.h"
#include "server/host_routes.h"
#include "server/http.h"
#include "server/metrics.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/setting_repository.h"
#include "store/user_repository.h"
#include "tests/support/temporary_directory.h"

namespace pk::server::host_tests {

// 2026-12-01T00:00:00Z.
inline SystemTime startTime() {
  using namespace std::chrono;
  return SystemTime(sys_days(year(2026) / December / 1));
}

// The error code of an error response, "" for any other body.
inline std::string errorCode(const Response& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("error")) return "";
  return body["error"].value("code", "");
}

inline nlohmann::json bodyOf(const Response& response) {
  return nlohmann::json::parse(response.body, nullptr, false);
}

// The setting in which the fake evaluate_host hook records host ids, one
// a line.
inline constexpr const char* kEvaluatedHostsSetting = "test.evaluated_hosts";

class HostServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = test_support::TemporaryDirectory::create("hosts");
    ASSERT_TRUE(directory) << directory.error().message;
    directory_.emplace(std::move(*directory));

    auto opened = store::openDatabase("sqlite://" + (directory_->path() / "pk.db").string());
    ASSERT_TRUE(opened) << opened.error().message;
    database_ = std::move(*opened);
    auto migrated = store::migrate(*database_, clock_);
    ASSERT_TRUE(migrated) << migrated.error().message;

    context_ = std::make_unique<ServerContext>(ServerContext{*database_, clock_, metrics_});
    router_ = std::make_unique<Router>(makeAuthenticator(*context_));
    // The fake records each evaluation in the caller's transaction, so that
    // a run that is rolled back and run again (PK_STORE_REPLAY_WRITES=1)
    // leaves one record, as a real evaluation leaves one set of findings.
    options_.evaluate_host = [this](store::Session& session, const std::string& host_id,
                                    const inventory::HostInventory*,
                                    SystemTime now) -> Result<void> {
      auto recorded = store::getSetting(session, kEvaluatedHostsSetting);
      if (!recorded) return tl::unexpected(recorded.error());
      const std::string hosts = *recorded ? (*recorded)->value + host_id + "\n" : host_id + "\n";
      if (auto saved = store::setSetting(session, kEvaluatedHostsSetting, hosts, now); !saved) {
        return saved;
      }
      if (fail_evaluation_) return fail(ErrorCode::kIoError, "evaluation failed in a test");
      return {};
    };
    addHostRoutes(*router_, *context_, options_);
  }

  Response call(const std::string& method, const std::string& path, const std::string& token,
                const std::string& body = "",
                const std::vector<std::pair<std::string, std::string>>& query = {}) {
    Request request;
    request.method = method;
    request.path = path;
    request.body = body;
    request.remote_address = "127.0.0.1";
    for (const auto& [name, value] : query) request.query.emplace(name, value);
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    return router_->dispatch(request);
  }

  // Creates user `username` with `roles` and returns an API token of it.
  std::string userToken(const std::string& username, const std::vector<std::string>& roles) {
    std::string token;
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      store::UserRecord user;
      user.username = username;
      user.password_hash = "not a real hash: the tests use API tokens";
      user.roles = roles;
      auto id = store::insertUser(session, user);
      if (!id) return tl::unexpected(id.error());
      auto issued = issueApiToken(session, *id, "test", clock_.now(), std::nullopt);
      if (!issued) return tl::unexpected(issued.error());
      token = issued->token;
      return {};
    });
    EXPECT_TRUE(written) << written.error().message;
    return token;
  }

  const std::string& adminToken() {
    if (admin_token_.empty()) admin_token_ = userToken("admin", {"admin"});
    return admin_token_;
  }

  // Creates an enrolment secret through the API and returns the secret.
  std::string createSecret(const nlohmann::json& fields = {}) {
    nlohmann::json body = {{"name", "test secret"},
                           {"kind", "server"},
                           {"owner", "olivia"},
                           {"collections", {"web"}},
                           {"expires_in_hours", 24}};
    for (const auto& [key, value] : fields.items()) body[key] = value;
    const auto response = call("POST", "/api/v1/enrolment-secrets", adminToken(), body.dump());
    EXPECT_EQ(response.status, 201) << response.body;
    return bodyOf(response).value("secret", "");
  }

  Response enrol(const std::string& secret, const std::string& machine_id,
                 const std::string& hostname = "web-1") {
    const protocol::EnrolRequest request{secret, hostname, machine_id};
    return call("POST", "/api/v1/enrol", "", protocol::toJson(request).dump());
  }

  // Enrols a new machine and returns its id and token.
  protocol::EnrolResponse enrolHost(const std::string& machine_id,
                                    const nlohmann::json& secret_fields = {}) {
    const auto response = enrol(createSecret(secret_fields), machine_id);
    EXPECT_EQ(response.status, 201) << response.body;
    auto parsed = protocol::parseEnrolResponse(response.body);
    EXPECT_TRUE(parsed) << response.body;
    return parsed ? *parsed : protocol::EnrolResponse{};
  }

  static protocol::InventoryPayload inventoryOf(const std::vector<std::string>& names) {
    protocol::InventoryPayload inventory;
    for (const auto& name : names) {
      inventory::Package package;
      package.name = name;
      package.version = "1.0-1";
      package.architecture = "amd64";
      package.source_name = name;
      package.source_version = "1.0-1";
      package.state = "installed";
      inventory.packages.push_back(package);
    }
    return inventory;
  }

  // A report with a fresh report id, the hash of `inventory`, and the
  // inventory itself when `include_inventory`.
  protocol::Report makeReport(const protocol::InventoryPayload& inventory, bool include_inventory) {
    protocol::Report report;
    report.report_id = fmt::format("{:032x}", ++report_counter_);
    report.collected_at = clock_.now();
    report.hostname = "web-1";
    report.os.id = "debian";
    report.os.version_id = "12";
    report.os.version_codename = "bookworm";
    report.os.pretty_name = "Debian GNU/Linux 12 (bookworm)";
    report.os.ecosystem = "Debian:12";
    report.kernel = "6.1.0-28-amd64";
    report.last_boot = clock_.now() - std::chrono::hours(3);
    report.inventory_hash = protocol::inventoryHash(inventory);
    if (include_inventory) report.inventory = inventory;
    report.package_lists_updated_at = clock_.now() - std::chrono::hours(1);
    return report;
  }

  // The host ids that options_.evaluate_host was called with in committed
  // transactions, in order.
  std::vector<std::string> evaluatedHosts() {
    std::vector<std::string> hosts;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      hosts.clear();
      auto recorded = store::getSetting(session, kEvaluatedHostsSetting);
      if (!recorded) return tl::unexpected(recorded.error());
      if (!*recorded) return {};
      std::istringstream lines((*recorded)->value);
      for (std::string line; std::getline(lines, line);) hosts.push_back(line);
      return {};
    });
    EXPECT_TRUE(read) << read.error().message;
    return hosts;
  }

  Response sendReport(const protocol::EnrolResponse& host, const protocol::Report& report) {
    return call("POST", "/api/v1/hosts/" + host.host_id + "/reports", host.token,
                protocol::toJson(report).dump());
  }

  FakeClock clock_{startTime()};
  Metrics metrics_;
  HostRouteOptions options_;
  bool fail_evaluation_ = false;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<ServerContext> context_;
  std::unique_ptr<Router> router_;

 private:
  std::optional<test_support::TemporaryDirectory> directory_;
  std::string admin_token_;
  std::uint64_t report_counter_ = 0;
};

}  // namespace pk::server::host_tests
