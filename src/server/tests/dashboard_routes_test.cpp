#include "server/dashboard_routes.h"

#include <gtest/gtest.h>

#include "server/tests/host_server_fixture.h"
#include "store/finding_repository.h"

namespace pk::server::host_tests {
namespace {

// The host fixture's Router with the dashboard, job and package routes.
class DashboardRoutesTest : public HostServerTest {
 protected:
  void SetUp() override {
    HostServerTest::SetUp();
    addDashboardRoutes(*router_, *context_);
  }

  void addFinding(const std::string& host_id, const std::string& advisory,
                  const std::string& severity, const std::string& kev_due_date) {
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      store::StoredFinding finding;
      finding.host_id = host_id;
      finding.advisory_id = advisory;
      finding.package = "bash";
      finding.source_package = "bash";
      finding.installed_version = "1.0-1";
      finding.compared_version = "1.0-1";
      finding.fixed_version = "1.0-2";
      finding.ecosystem = "Debian:12";
      finding.severity = severity;
      finding.known_exploited = !kev_due_date.empty();
      finding.kev_due_date = kev_due_date;
      finding.first_seen_at = clock_.now();
      finding.last_seen_at = clock_.now();
      auto inserted = store::insertFinding(session, finding);
      if (!inserted) return tl::unexpected(inserted.error());
      return {};
    });
    ASSERT_TRUE(written) << written.error().message;
  }
};

TEST_F(DashboardRoutesTest, CountsFindingsBySeverity) {
  const auto host = enrolHost("machine-1");
  addFinding(host.host_id, "DSA-1", "high", "");
  addFinding(host.host_id, "DSA-2", "high", "");
  addFinding(host.host_id, "DSA-3", "low", "");
  const auto body = bodyOf(call("GET", "/api/v1/dashboard", adminToken()));
  EXPECT_EQ(body["findings_by_severity"]["high"], 2);
  EXPECT_EQ(body["findings_by_severity"]["low"], 1);
}

TEST_F(DashboardRoutesTest, ListsKevWithDueDates) {
  const auto host = enrolHost("machine-1");
  addFinding(host.host_id, "DSA-7", "critical", "2027-01-15");
  const auto body = bodyOf(call("GET", "/api/v1/dashboard", adminToken()));
  ASSERT_EQ(body["kev"].size(), 1u);
  EXPECT_EQ(body["kev"][0]["advisory_id"], "DSA-7");
  EXPECT_EQ(body["kev"][0]["kev_due_date"], "2027-01-15");
  EXPECT_EQ(body["kev"][0]["hosts"], 1);
}

TEST_F(DashboardRoutesTest, EmptyFleetHasNoRestarts) {
  const auto body = bodyOf(call("GET", "/api/v1/dashboard", adminToken()));
  EXPECT_EQ(body["restart_required"]["count"], 0);
  EXPECT_TRUE(body["restart_required"]["hosts"].empty());
}

TEST_F(DashboardRoutesTest, DashboardNeedsReadReports) {
  EXPECT_EQ(call("GET", "/api/v1/dashboard", userToken("olga", {"owner"})).status, 403);
}

TEST_F(DashboardRoutesTest, HostJobsNeedAHostId) {
  const auto response = call("GET", "/api/v1/jobs", adminToken(), "", {{"host", "web-1"}});
  EXPECT_EQ(errorCode(response), "invalid_query");
}

TEST_F(DashboardRoutesTest, HostWithoutJobsListsNone) {
  const auto host = enrolHost("machine-1");
  const auto body = bodyOf(call("GET", "/api/v1/jobs", adminToken(), "", {{"host", host.host_id}}));
  EXPECT_TRUE(body["items"].empty());
}

TEST_F(DashboardRoutesTest, PackagesComeInPages) {
  const auto host = enrolHost("machine-1");
  ASSERT_EQ(sendReport(host, makeReport(inventoryOf({"bash", "curl", "zlib1g"}), true)).status,
            200);
  const auto body = bodyOf(call("GET", "/api/v1/hosts/" + host.host_id + "/packages", adminToken(),
                                "", {{"limit", "2"}, {"offset", "1"}}));
  EXPECT_EQ(body["total"], 3);
  EXPECT_EQ(body["items"].size(), 2u);
}

TEST_F(DashboardRoutesTest, PackagesFilterByName) {
  const auto host = enrolHost("machine-1");
  ASSERT_EQ(sendReport(host, makeReport(inventoryOf({"bash", "curl"}), true)).status, 200);
  const auto body = bodyOf(
      call("GET", "/api/v1/hosts/" + host.host_id + "/packages", adminToken(), "", {{"q", "cur"}}));
  ASSERT_EQ(body["items"].size(), 1u);
  EXPECT_EQ(body["items"][0]["name"], "curl");
}

TEST_F(DashboardRoutesTest, OtherOwnersPackagesAreHidden) {
  const auto host = enrolHost("machine-1", {{"owner", "bob"}});
  const auto response =
      call("GET", "/api/v1/hosts/" + host.host_id + "/packages", userToken("olga", {"owner"}));
  EXPECT_EQ(response.status, 404);
}

TEST_F(DashboardRoutesTest, BadPackageLimitIsRejected) {
  const auto host = enrolHost("machine-1");
  const auto response = call("GET", "/api/v1/hosts/" + host.host_id + "/packages", adminToken(), "",
                             {{"limit", "5000"}});
  EXPECT_EQ(errorCode(response), "invalid_query");
}

}  // namespace
}  // namespace pk::server::host_tests
