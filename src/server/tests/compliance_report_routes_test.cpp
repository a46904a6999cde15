#include "server/compliance_report_routes.h"

#include <gtest/gtest.h>

#include <map>

#include "server/compliance_summary.h"
#include "server/tests/window_fixture.h"
#include "store/deployment_repository.h"
#include "store/finding_repository.h"
#include "store/patch_repository.h"

namespace pk::server::host_tests {
namespace {

class ComplianceReportRoutesTest : public WindowServerTest {
 protected:
  void SetUp() override {
    WindowServerTest::SetUp();
    if (HasFatalFailure()) return;
    addComplianceReportRoutes(*router_, *context_, std::chrono::days(7));
  }

  Response summary(const std::vector<std::pair<std::string, std::string>>& query,
                   const std::string& token = "") {
    return call("GET", "/api/v1/reports/compliance-summary", token.empty() ? adminToken() : token,
                "", query);
  }

  Response history(const std::vector<std::pair<std::string, std::string>>& query) {
    return call("GET", "/api/v1/reports/compliance-history", adminToken(), "", query);
  }

  // Sends a fresh report with an inventory, so the host has checked in.
  void checkIn(const protocol::EnrolResponse& host) {
    const auto response = sendReport(host, makeReport(inventoryOf({"bash"}), true));
    ASSERT_LT(response.status, 300) << response.body;
  }

  // Finds the group with id `id` in a summary body; null when absent.
  static nlohmann::json groupOf(const nlohmann::json& body, const std::string& id) {
    for (const auto& group : body["groups"]) {
      if (group["id"] == id) return group;
    }
    return nullptr;
  }

  // Stores a deployment of patch kPatchId whose deadline passed 5 hours
  // ago, with one job per (host, state), and returns its id.
  std::string addLateDeployment(const std::vector<std::pair<std::string, std::string>>& jobs) {
    store::DeploymentRecord deployment;
    deployment.id = store::newDeploymentId();
    deployment.name = "December updates";
    deployment.ring_sequence = "default";
    deployment.available_at = clock_.now() - std::chrono::hours(48);
    deployment.deadline = clock_.now() - std::chrono::hours(5);
    deployment.created_by = "user:admin";
    deployment.created_at = clock_.now();
    deployment.updated_at = clock_.now();
    deployment.patch_ids = {kPatchId};
    deployment.rings = {{.position = 0, .name = "Test", .collection = "test"}};
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      auto patch =
          store::insertPatchIfMissing(session, store::PatchRecord{.id = kPatchId,
                                                                  .kind = "source-package",
                                                                  .ecosystem = "Debian:12",
                                                                  .name = "openssl",
                                                                  .version = "3.0.15-1~deb12u1",
                                                                  .first_seen_at = clock_.now()});
      if (!patch) return tl::unexpected(patch.error());
      if (auto inserted = store::insertDeployment(session, deployment); !inserted) return inserted;
      for (const auto& [host_id, state] : jobs) {
        store::JobRecord job;
        job.id = store::newJobId();
        job.deployment_id = deployment.id;
        job.host_id = host_id;
        job.state = state;
        job.manager = "apt";
        job.created_at = clock_.now();
        job.updated_at = clock_.now();
        if (auto inserted = store::insertJob(session, job); !inserted) return inserted;
      }
      return {};
    });
    EXPECT_TRUE(written) << written.error().message;
    return deployment.id;
  }

  // Stores an open finding on `host_id` that kPatchId fixes.
  void addFixedFinding(const std::string& host_id) {
    store::StoredFinding finding;
    finding.host_id = host_id;
    finding.advisory_id = "DSA-5000-1";
    finding.package = "openssl";
    finding.source_package = "openssl";
    finding.installed_version = "3.0.11-1~deb12u2";
    finding.compared_version = "3.0.11-1~deb12u2";
    finding.fixed_version = "3.0.15-1~deb12u1";
    finding.ecosystem = "Debian:12";
    finding.severity = "high";
    finding.first_seen_at = clock_.now();
    finding.last_seen_at = clock_.now();
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      auto id = store::insertFinding(session, finding);
      if (!id) return tl::unexpected(id.error());
      return store::linkFindingToPatch(session, *id, kPatchId);
    });
    EXPECT_TRUE(written) << written.error().message;
  }

  static constexpr const char* kPatchId = "p-00000000000000a1";

  Result<bool> recordSnapshot() {
    bool written = false;
    auto done = database_->write([&](store::Session& session) -> Result<void> {
      auto recorded = recordComplianceSnapshot(session, clock_.now(), std::chrono::days(7));
      if (!recorded) return tl::unexpected(recorded.error());
      written = *recorded;
      return {};
    });
    if (!done) return tl::unexpected(done.error());
    return written;
  }

  // olivia: a server in a window that checked in (compliant) and a server
  // without a window (not compliant). bob: an endpoint in the pilot
  // collection that never checked in (unknown).
  struct Fleet {
    std::string window_id;
    protocol::EnrolResponse placed;
    protocol::EnrolResponse unplaced;
    protocol::EnrolResponse endpoint;
  };

  Fleet makeFleet() {
    Fleet fleet;
    fleet.window_id = createWindow({{"name", "=HYPERLINK(\"x\")<b>"}});
    fleet.placed = enrolHost("server-1");
    fleet.unplaced = enrolHost("server-2");
    fleet.endpoint =
        enrolHost("laptop-1", {{"kind", "endpoint"}, {"owner", "bob"}, {"collections", {"pilot"}}});
    EXPECT_EQ(assign(fleet.placed.host_id, fleet.window_id).status, 200);
    checkIn(fleet.placed);
    return fleet;
  }
};

TEST(ComplianceGroupingTest, NamesRoundTrip) {
  for (auto grouping :
       {ComplianceGrouping::kFleet, ComplianceGrouping::kCollection, ComplianceGrouping::kWindow,
        ComplianceGrouping::kRing, ComplianceGrouping::kOwner}) {
    EXPECT_EQ(parseComplianceGrouping(complianceGroupingName(grouping)), grouping);
  }
  EXPECT_EQ(parseComplianceGrouping("host"), std::nullopt);
}

TEST(UtcDayTest, FormatsUtcDate) {
  using namespace std::chrono;
  EXPECT_EQ(utcDay(SystemTime(sys_days(year(2026) / March / 9)) + hours(23) + minutes(59)),
            "2026-03-09");
  EXPECT_EQ(utcDay(SystemTime(sys_days(year(2027) / January / 1))), "2027-01-01");
}

TEST(ComplianceGroupTest, PercentOfEmptyGroupIsNull) {
  ComplianceGroup group;
  EXPECT_EQ(group.percentCompliant(), std::nullopt);
  group.compliant = 1;
  group.unknown = 3;
  EXPECT_EQ(group.percentCompliant(), 25.0);
}

TEST_F(ComplianceReportRoutesTest, ByOwnerCountsEachStatus) {
  makeFleet();
  const auto response = summary({{"by", "owner"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = bodyOf(response);
  EXPECT_EQ(body["by"], "owner");
  ASSERT_EQ(body["groups"].size(), 2u);
  auto olivia = groupOf(body, "olivia");
  EXPECT_EQ(olivia["compliant"], 1);
  EXPECT_EQ(olivia["not_compliant"], 1);
  EXPECT_EQ(olivia["unknown"], 0);
  EXPECT_EQ(olivia["total"], 2);
  EXPECT_EQ(olivia["percent_compliant"], 50.0);
  auto bob = groupOf(body, "bob");
  EXPECT_EQ(bob["unknown"], 1);
  EXPECT_EQ(bob["percent_compliant"], 0.0);
}

TEST_F(ComplianceReportRoutesTest, ByWindowCountsServersOnly) {
  const auto fleet = makeFleet();
  const auto response = summary({{"by", "window"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = bodyOf(response);
  ASSERT_EQ(body["groups"].size(), 2u);
  EXPECT_EQ(body["groups"][0]["id"], fleet.window_id);
  EXPECT_EQ(body["groups"][0]["compliant"], 1);
  EXPECT_EQ(body["groups"][0]["total"], 1);
  // Servers without a window come last, as the group "".
  EXPECT_EQ(body["groups"][1]["id"], "");
  EXPECT_EQ(body["groups"][1]["name"], "(no window)");
  EXPECT_EQ(body["groups"][1]["not_compliant"], 1);
  EXPECT_EQ(body["groups"][1]["total"], 1);
}

TEST_F(ComplianceReportRoutesTest, ByCollectionUsesMembership) {
  makeFleet();
  const auto response = summary({{"by", "collection"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = bodyOf(response);
  auto pilot = groupOf(body, "pilot");
  EXPECT_EQ(pilot["unknown"], 1);
  EXPECT_EQ(pilot["total"], 1);
  auto test = groupOf(body, "test");
  EXPECT_EQ(test["total"], 0);
  EXPECT_TRUE(test["percent_compliant"].is_null());
  // The servers carry the label "web", which names no stored collection.
  auto none = groupOf(body, "");
  EXPECT_EQ(none["name"], "(no collection)");
  EXPECT_EQ(none["total"], 2);
  EXPECT_EQ(body["groups"].back()["id"], "");
}

TEST_F(ComplianceReportRoutesTest, ByRingFollowsSequenceOrder) {
  makeFleet();
  const auto response = summary({{"by", "ring"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = bodyOf(response);
  EXPECT_EQ(body["ring_sequence"], "default");
  ASSERT_EQ(body["groups"].size(), 3u);
  EXPECT_EQ(body["groups"][0]["id"], "test");
  EXPECT_EQ(body["groups"][1]["id"], "pilot");
  EXPECT_EQ(body["groups"][1]["position"], 1);
  EXPECT_EQ(body["groups"][1]["unknown"], 1);
  EXPECT_EQ(body["groups"][2]["id"], "production");
  EXPECT_EQ(body["groups"][2]["total"], 0);
}

TEST_F(ComplianceReportRoutesTest, UnknownRingSequenceIsNotFound) {
  const auto response = summary({{"by", "ring"}, {"ring_sequence", "nope"}});
  EXPECT_EQ(response.status, 404) << response.body;
  EXPECT_NE(response.body.find("nope"), std::string::npos);
}

TEST_F(ComplianceReportRoutesTest, FleetIsTheDefault) {
  makeFleet();
  const auto body = bodyOf(summary({}));
  ASSERT_EQ(body["groups"].size(), 1u);
  EXPECT_EQ(body["groups"][0]["total"], 3);
  EXPECT_EQ(body["groups"][0]["compliant"], 1);
}

TEST_F(ComplianceReportRoutesTest, InvalidQueriesAreRejected) {
  EXPECT_EQ(summary({{"by", "planet"}}).status, 400);
  EXPECT_EQ(summary({{"format", "xml"}}).status, 400);
  EXPECT_EQ(history({{"days", "0"}}).status, 400);
  EXPECT_EQ(history({{"days", "12x"}}).status, 400);
  EXPECT_EQ(history({{"days", "99999"}}).status, 400);
  EXPECT_EQ(history({{"by", "planet"}}).status, 400);
}

TEST_F(ComplianceReportRoutesTest, SummaryCsvEscapesCells) {
  makeFleet();
  const auto csv = summary({{"by", "window"}, {"format", "csv"}});
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body.rfind("group_id,group_name,position,compliant,not_compliant,unknown,", 0), 0u);
  EXPECT_NE(csv.body.find("\"'=HYPERLINK(\"\"x\"\")<b>\""), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(",1,0,0,1,100.0\r\n"), std::string::npos) << csv.body;
}

TEST_F(ComplianceReportRoutesTest, SummaryHtmlEscapesText) {
  makeFleet();
  const auto html = summary({{"by", "window"}, {"format", "html"}});
  ASSERT_EQ(html.status, 200);
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(html.body.find("<b>"), std::string::npos);
  EXPECT_NE(html.body.find("=HYPERLINK(&quot;x&quot;)&lt;b&gt;"), std::string::npos);
}

TEST_F(ComplianceReportRoutesTest, ViewerAllowedOwnerForbidden) {
  EXPECT_EQ(summary({}, userToken("vera", {"viewer"})).status, 200);
  EXPECT_EQ(summary({}, userToken("otto", {"owner"})).status, 403);
  const auto history_for_owner =
      call("GET", "/api/v1/reports/compliance-history", userToken("oona", {"owner"}));
  EXPECT_EQ(history_for_owner.status, 403);
}

TEST_F(ComplianceReportRoutesTest, SnapshotOncePerDay) {
  makeFleet();
  auto first = recordSnapshot();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(*first);
  clock_.advance(std::chrono::hours(23));
  auto second = recordSnapshot();
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(*second);
  clock_.advance(std::chrono::hours(1));
  auto next_day = recordSnapshot();
  ASSERT_TRUE(next_day) << next_day.error().message;
  EXPECT_TRUE(*next_day);
}

TEST_F(ComplianceReportRoutesTest, HistoryTracksDays) {
  const auto fleet = makeFleet();
  ASSERT_TRUE(recordSnapshot());  // 2026-12-01: olivia 1 of 2 compliant

  clock_.advance(std::chrono::days(1));
  checkIn(fleet.placed);
  ASSERT_EQ(assign(fleet.unplaced.host_id, fleet.window_id).status, 200);
  checkIn(fleet.unplaced);
  ASSERT_TRUE(recordSnapshot());  // 2026-12-02: olivia 2 of 2 compliant

  clock_.advance(std::chrono::days(1));
  const auto response = history({{"by", "owner"}, {"days", "90"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = bodyOf(response);
  EXPECT_EQ(body["first_day"], "2026-09-05");
  ASSERT_EQ(body["series"].size(), 2u);
  EXPECT_EQ(body["series"][0]["id"], "bob");
  const auto olivia = body["series"][1];
  EXPECT_EQ(olivia["id"], "olivia");
  ASSERT_EQ(olivia["points"].size(), 2u);
  EXPECT_EQ(olivia["points"][0]["day"], "2026-12-01");
  EXPECT_EQ(olivia["points"][0]["percent_compliant"], 50.0);
  EXPECT_EQ(olivia["points"][1]["day"], "2026-12-02");
  EXPECT_EQ(olivia["points"][1]["compliant"], 2);
  EXPECT_EQ(olivia["points"][1]["percent_compliant"], 100.0);
}

TEST_F(ComplianceReportRoutesTest, HistoryDaysLimitsRange) {
  makeFleet();
  ASSERT_TRUE(recordSnapshot());
  clock_.advance(std::chrono::days(1));
  ASSERT_TRUE(recordSnapshot());

  const auto body = bodyOf(history({{"days", "1"}}));
  EXPECT_EQ(body["by"], "fleet");
  ASSERT_EQ(body["series"].size(), 1u);
  ASSERT_EQ(body["series"][0]["points"].size(), 1u);
  EXPECT_EQ(body["series"][0]["points"][0]["day"], "2026-12-02");
  EXPECT_EQ(body["series"][0]["points"][0]["total"], 3);
}

TEST_F(ComplianceReportRoutesTest, HistoryAsCsv) {
  makeFleet();
  ASSERT_TRUE(recordSnapshot());
  const auto csv = history({{"by", "window"}, {"format", "csv"}});
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body.rfind("group_id,group_name,day,compliant,", 0), 0u);
  EXPECT_NE(csv.body.find("\"'=HYPERLINK(\"\"x\"\")<b>\",2026-12-01,1,0,0,1,100.0\r\n"),
            std::string::npos)
      << csv.body;
}

TEST_F(ComplianceReportRoutesTest, OverdueListsLateHosts) {
  const auto fleet = makeFleet();
  const auto finding_host = enrolHost("server-3");
  const auto done_host = enrolHost("server-4");
  const std::string deployment = addLateDeployment({{fleet.placed.host_id, "restart_pending"},
                                                    {fleet.unplaced.host_id, "failed"},
                                                    {fleet.endpoint.host_id, "pending"},
                                                    {finding_host.host_id, "installing"},
                                                    {done_host.host_id, "succeeded"}});
  addFixedFinding(finding_host.host_id);

  const auto response = call("GET", "/api/v1/reports/overdue", userToken("vera", {"viewer"}));
  ASSERT_EQ(response.status, 200) << response.body;
  const auto hosts = bodyOf(response)["hosts"];
  // The endpoint's pending job has nothing left to fix and no restart.
  ASSERT_EQ(hosts.size(), 3u);
  std::map<std::string, nlohmann::json> by_host;
  for (const auto& host : hosts) by_host[host["host_id"].get<std::string>()] = host;

  const auto placed = by_host[fleet.placed.host_id];
  EXPECT_EQ(placed["owner"], "olivia");
  EXPECT_EQ(placed["window"]["id"], fleet.window_id);
  EXPECT_EQ(placed["deployment"]["id"], deployment);
  EXPECT_EQ(placed["deadline"], "2026-11-30T19:00:00Z");
  EXPECT_EQ(placed["overdue_seconds"], 5 * 3600);
  EXPECT_EQ(placed["job"]["state"], "restart_pending");
  EXPECT_EQ(placed["reasons"][0], "a restart is pending");

  const auto unplaced = by_host[fleet.unplaced.host_id];
  EXPECT_TRUE(unplaced["window"].is_null());
  EXPECT_EQ(unplaced["reasons"][0], "the job failed");

  const auto with_finding = by_host[finding_host.host_id];
  EXPECT_EQ(with_finding["job"]["state"], "installing");
  EXPECT_EQ(with_finding["reasons"][0], "1 open finding that the deployment fixes");
}

TEST_F(ComplianceReportRoutesTest, OverdueAsCsv) {
  const auto fleet = makeFleet();
  addLateDeployment({{fleet.placed.host_id, "unschedulable"}});
  const auto csv = call("GET", "/api/v1/reports/overdue", adminToken(), "", {{"format", "csv"}});
  ASSERT_EQ(csv.status, 200);
  EXPECT_EQ(csv.body.rfind("host_id,hostname,owner,window_id,window_name,deployment_id,", 0), 0u);
  EXPECT_NE(csv.body.find(",\"'=HYPERLINK(\"\"x\"\")<b>\",d-"), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(",18000,j-"), std::string::npos) << csv.body;
  EXPECT_NE(csv.body.find(",unschedulable,the job is unschedulable\r\n"), std::string::npos)
      << csv.body;
}

TEST_F(ComplianceReportRoutesTest, OverdueForbiddenToOwners) {
  const auto response = call("GET", "/api/v1/reports/overdue", userToken("otto", {"owner"}));
  EXPECT_EQ(response.status, 403);
}

}  // namespace
}  // namespace pk::server::host_tests
