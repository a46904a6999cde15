#include "server/restart_routes.h"

#include <gtest/gtest.h>

#include "server/tests/host_server_fixture.h"

namespace pk::server::host_tests {
namespace {

const std::string kSeries = "0123456789abcdef0123456789abcdef";

class RestartRoutesTest : public HostServerTest {
 protected:
  void SetUp() override {
    HostServerTest::SetUp();
    if (HasFatalFailure()) return;
    addRestartRoutes(*router_, *context_);
    host_ = enrolHost("machine-restart", {{"kind", "endpoint"}});
  }

  static nlohmann::json pendingReport() {
    return {{"pending", true},
            {"required_since", "2026-12-01T00:00:00Z"},
            {"deadline", "2026-12-02T00:00:00Z"},
            {"restart_at", "2026-12-01T20:00:00Z"},
            {"countdown_start", "2026-12-01T18:30:00Z"},
            {"next_reminder", "2026-12-01T04:00:00Z"},
            {"in_countdown", false},
            {"job_ids", {"j-0000000000000abc"}},
            {"events",
             {{{"event_id", kSeries + "-1"},
               {"at", "2026-12-01T00:00:00Z"},
               {"type", "notice"},
               {"notice", "installed"},
               {"offered", {"restart-now", "restart-at", "snooze-1h"}},
               {"restart_at", "2026-12-02T00:00:00Z"}},
              {{"event_id", kSeries + "-2"},
               {"at", "2026-12-01T01:00:00Z"},
               {"type", "choice"},
               {"choice", "restart-at"},
               {"user", "alice"},
               {"restart_at", "2026-12-01T20:00:00Z"}}}}};
  }

  Response postReport(const nlohmann::json& body, const std::string& token) {
    return call("POST", "/api/v1/hosts/" + host_.host_id + "/restart-state", token, body.dump());
  }

  nlohmann::json hostDetail() {
    const Response response = call("GET", "/api/v1/hosts/" + host_.host_id, adminToken());
    EXPECT_EQ(response.status, 200) << response.body;
    return bodyOf(response);
  }

  protocol::EnrolResponse host_;
};

TEST_F(RestartRoutesTest, ReportStoresEvents) {
  const Response response = postReport(pendingReport(), host_.token);

  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(bodyOf(response)["applied"], 2);
  EXPECT_EQ(bodyOf(response)["duplicates"], 0);
}

TEST_F(RestartRoutesTest, ResentReportAppliedOnce) {
  ASSERT_EQ(postReport(pendingReport(), host_.token).status, 200);
  const Response again = postReport(pendingReport(), host_.token);

  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(bodyOf(again)["applied"], 0);
  EXPECT_EQ(bodyOf(again)["duplicates"], 2);
  const Response events =
      call("GET", "/api/v1/hosts/" + host_.host_id + "/restart-events", adminToken());
  EXPECT_EQ(bodyOf(events)["events"].size(), 2u);
}

TEST_F(RestartRoutesTest, HostDetailShowsRestart) {
  ASSERT_EQ(postReport(pendingReport(), host_.token).status, 200);
  const nlohmann::json restart = hostDetail()["endpoint_restart"];

  EXPECT_EQ(restart["pending"], true);
  EXPECT_EQ(restart["required_since"], "2026-12-01T00:00:00Z");
  EXPECT_EQ(restart["deadline"], "2026-12-02T00:00:00Z");
  EXPECT_EQ(restart["restart_at"], "2026-12-01T20:00:00Z");
  ASSERT_EQ(restart["choices"].size(), 1u);
  EXPECT_EQ(restart["choices"][0]["user"], "alice");
  EXPECT_EQ(restart["choices"][0]["choice"], "restart-at");
}

TEST_F(RestartRoutesTest, HostDetailWithoutReport) {
  EXPECT_TRUE(hostDetail()["endpoint_restart"].empty());
}

TEST_F(RestartRoutesTest, PendingKeepsHostNotCompliant) {
  ASSERT_EQ(sendReport(host_, makeReport(inventoryOf({"bash"}), true)).status, 200);
  ASSERT_EQ(postReport(pendingReport(), host_.token).status, 200);
  const nlohmann::json compliance = hostDetail()["compliance"];

  EXPECT_EQ(compliance["status"], "not compliant");
  EXPECT_EQ(compliance["reason"], "installed updates wait for a restart");
}

TEST_F(RestartRoutesTest, RestartedReportClearsPending) {
  ASSERT_EQ(postReport(pendingReport(), host_.token).status, 200);
  nlohmann::json done = {{"pending", false},
                         {"restarted_at", "2026-12-01T05:00:00Z"},
                         {"job_ids", {"j-0000000000000abc"}},
                         {"events", nlohmann::json::array()}};
  ASSERT_EQ(postReport(done, host_.token).status, 200);
  const nlohmann::json restart = hostDetail()["endpoint_restart"];

  EXPECT_EQ(restart["pending"], false);
  EXPECT_EQ(restart["restarted_at"], "2026-12-01T05:00:00Z");
  EXPECT_TRUE(restart["choices"].empty());
}

TEST_F(RestartRoutesTest, WrongHostRejected) {
  const protocol::EnrolResponse other = enrolHost("machine-other", {{"kind", "endpoint"}});
  const Response response = postReport(pendingReport(), other.token);

  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(errorCode(response), "wrong_host");
}

TEST_F(RestartRoutesTest, UserTokenRejected) {
  const Response response = postReport(pendingReport(), adminToken());

  EXPECT_EQ(response.status, 403) << response.body;
}

TEST_F(RestartRoutesTest, BadBodyRejected) {
  nlohmann::json body = pendingReport();
  body["events"][1].erase("user");
  const Response response = postReport(body, host_.token);

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "invalid_restart_report");
  EXPECT_NE(bodyOf(response)["error"]["message"].get<std::string>().find("events[1].user"),
            std::string::npos);
}

TEST_F(RestartRoutesTest, BadBodyStoresNothing) {
  nlohmann::json body = pendingReport();
  body["events"][1]["event_id"] = "not-an-id";
  ASSERT_EQ(postReport(body, host_.token).status, 400);

  EXPECT_TRUE(hostDetail()["endpoint_restart"].empty());
}

TEST_F(RestartRoutesTest, EventsListedSince) {
  ASSERT_EQ(postReport(pendingReport(), host_.token).status, 200);
  const Response response = call("GET", "/api/v1/hosts/" + host_.host_id + "/restart-events",
                                 adminToken(), "", {{"since", "2026-12-01T00:30:00Z"}});

  ASSERT_EQ(response.status, 200) << response.body;
  const nlohmann::json events = bodyOf(response)["events"];
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "choice");
  EXPECT_EQ(events[0]["user"], "alice");
}

TEST_F(RestartRoutesTest, EventsRejectBadLimit) {
  const Response response = call("GET", "/api/v1/hosts/" + host_.host_id + "/restart-events",
                                 adminToken(), "", {{"limit", "0"}});

  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "invalid_query");
}

TEST_F(RestartRoutesTest, EventsHiddenFromOtherOwner) {
  const std::string token = userToken("mallory", {"owner"});
  const Response response =
      call("GET", "/api/v1/hosts/" + host_.host_id + "/restart-events", token);

  EXPECT_EQ(response.status, 404) << response.body;
}

}  // namespace
}  // namespace pk::server::host_tests
