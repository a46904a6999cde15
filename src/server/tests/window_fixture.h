#pragma once

// The hosts routes' test server with the window routes added: windows,
// assignments, the calendar and its feeds, and helpers that create them.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/tests/host_server_fixture.h"
#include "server/window_assignment.h"
#include "server/window_routes.h"
#include "store/audit_repository.h"

namespace pk::server::host_tests {

class WindowServerTest : public HostServerTest {
 protected:
  void SetUp() override {
    HostServerTest::SetUp();
    if (HasFatalFailure()) return;
    addWindowRoutes(*router_, *context_);
  }

  // A window body: second Tuesday + 5 days, 02:00-06:00 New York, with
  // `fields` replacing or adding fields.
  static nlohmann::json windowBody(const nlohmann::json& fields = {}) {
    nlohmann::json body = {{"name", "patch-tuesday-plus-5"},
                           {"rrule", "FREQ=MONTHLY;BYDAY=2TU"},
                           {"start", "2026-01-01T02:00"},
                           {"zone", "America/New_York"},
                           {"length", "4h"},
                           {"offset_days", 5}};
    for (const auto& [key, value] : fields.items()) body[key] = value;
    return body;
  }

  // Creates a window as admin and returns its id.
  std::string createWindow(const nlohmann::json& fields = {}) {
    const auto response = call("POST", "/api/v1/windows", adminToken(), windowBody(fields).dump());
    EXPECT_EQ(response.status, 201) << response.body;
    return bodyOf(response).value("id", "");
  }

  Response assign(const std::string& host_id, const nlohmann::json& window,
                  const std::string& token = "") {
    return call("PUT", "/api/v1/hosts/" + host_id + "/window", token.empty() ? adminToken() : token,
                nlohmann::json{{"window", window}, {"reason", "test"}}.dump());
  }

  std::vector<store::AuditEvent> auditEvents(const std::string& action) {
    std::vector<store::AuditEvent> events;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      events.clear();
      auto listed = store::listAuditEvents(session, store::AuditQuery{});
      if (!listed) return tl::unexpected(listed.error());
      for (auto& event : *listed) {
        if (event.action == action) events.push_back(std::move(event));
      }
      return {};
    });
    EXPECT_TRUE(read) << read.error().message;
    return events;
  }
};

}  // namespace pk::server::host_tests
