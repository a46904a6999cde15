#include "server/host_routes.h"

#include <gtest/gtest.h>

#include "server/tests/host_server_fixture.h"
#include "store/audit_repository.h"

namespace pk::server::host_tests {
namespace {

using std::chrono::hours;

class HostRoutesTest : public HostServerTest {
 protected:
  std::vector<std::string> listedIds(
      const std::string& token,
      const std::vector<std::pair<std::string, std::string>>& query = {}) {
    const auto response = call("GET", "/api/v1/hosts", token, "", query);
    EXPECT_EQ(response.status, 200) << response.body;
    std::vector<std::string> ids;
    const auto body = bodyOf(response);
    for (const auto& item : body["items"]) ids.push_back(item["id"]);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  static std::vector<std::string> sorted(std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::vector<store::AuditEvent> auditEvents(const std::string& action) {
    std::vector<store::AuditEvent> events;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
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

  // The value of the sample whose line starts with `series`, -1 when absent.
  double metric(const std::string& series) {
    const std::string text = metrics_.render();
    const auto at = text.find(series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 1));
  }
};

TEST_F(HostRoutesTest, ShowsHostWithAgesAndCompliance) {
  const auto host = enrolHost("machine-1", {{"kind", "endpoint"}});
  const std::string path = "/api/v1/hosts/" + host.host_id;

  // Never reported: compliance is unknown.
  auto shown = bodyOf(call("GET", path, adminToken()));
  EXPECT_EQ(shown["compliance"]["status"], "unknown");
  EXPECT_TRUE(shown["data_age_seconds"]["last_seen"].is_null());

  ASSERT_EQ(sendReport(host, makeReport(inventoryOf({"bash"}), true)).status, 200);
  clock_.advance(hours(2));
  shown = bodyOf(call("GET", path, adminToken()));
  EXPECT_EQ(shown["id"], host.host_id);
  EXPECT_EQ(shown["data_age_seconds"]["last_seen"], 7200);
  EXPECT_EQ(shown["data_age_seconds"]["inventory"], 7200);
  EXPECT_EQ(shown["data_age_seconds"]["package_lists"], 3 * 3600);
  EXPECT_EQ(shown["open_findings"], 0);
  EXPECT_EQ(shown["compliance"]["status"], "compliant");
  EXPECT_FALSE(shown["compliance"]["reason"].get<std::string>().empty());

  // Eight days later the data is stale.
  clock_.advance(hours(24 * 8));
  shown = bodyOf(call("GET", path, adminToken()));
  EXPECT_EQ(shown["compliance"]["status"], "unknown");
}

TEST_F(HostRoutesTest, ShowsWindowsFacts) {
  const auto host = enrolHost("windows-machine-1", {{"kind", "endpoint"}});
  const std::string path = "/api/v1/hosts/" + host.host_id;
  EXPECT_FALSE(bodyOf(call("GET", path, adminToken())).contains("windows"));

  inventory::WindowsInventory document;
  document.hostname = "SRV-19";
  document.facts.edition = "Windows Server 2019 Datacenter";
  document.facts.release = "1809";
  document.facts.build = "10.0.17763.8389";
  document.facts.installation_type = "Server Core";
  document.facts.architecture = "x64";
  document.facts.installed_kbs = {"5075904"};
  inventory::WindowsPendingUpdate update;
  update.kb = "5078752";
  update.classification = "Security Updates";
  update.cve_ids = {"CVE-2026-24289"};
  update.restart_required = true;
  document.facts.pending_updates = {update};
  protocol::Report report = makeReport(protocol::windowsPayload(document), true);
  report.windows = document;
  ASSERT_EQ(sendReport(host, report).status, 200);

  auto host_view = bodyOf(call("GET", path, adminToken()));
  const auto& windows = host_view["windows"];
  EXPECT_EQ(windows["product"], "Windows Server 2019");
  EXPECT_EQ(windows["build"], "10.0.17763.8389");
  EXPECT_EQ(windows["installation_type"], "Server Core");
  EXPECT_EQ(windows["installed_kbs"], nlohmann::json{"KB5075904"});
  ASSERT_EQ(windows["pending_updates"].size(), 1u);
  EXPECT_EQ(windows["pending_updates"][0]["kb"], "KB5078752");
  EXPECT_EQ(windows["pending_updates"][0]["restart_required"], true);

  // A build the product table does not know shows a null product.
  document.facts.build = "10.0.99999.1";
  report = makeReport(protocol::windowsPayload(document), true);
  report.windows = document;
  ASSERT_EQ(sendReport(host, report).status, 200);
  host_view = bodyOf(call("GET", path, adminToken()));
  EXPECT_TRUE(host_view["windows"]["product"].is_null());
  EXPECT_EQ(host_view["windows"]["build"], "10.0.99999.1");
  // No advisory can match such a host, so it cannot be called compliant.
  EXPECT_EQ(host_view["compliance"]["status"], "unknown");
  EXPECT_NE(host_view["compliance"]["reason"].get<std::string>().find("names no known product"),
            std::string::npos);
}

TEST_F(HostRoutesTest, StaleAfterIsConfigurable) {
  options_.stale_after = std::chrono::days(1);
  Router router(makeAuthenticator(*context_));
  addHostRoutes(router, *context_, options_);
  const auto host = enrolHost("machine-1", {{"kind", "endpoint"}});
  ASSERT_EQ(sendReport(host, makeReport(inventoryOf({"bash"}), true)).status, 200);
  clock_.advance(hours(30));

  Request request;
  request.method = "GET";
  request.path = "/api/v1/hosts/" + host.host_id;
  request.headers["authorization"] = "Bearer " + adminToken();
  const auto response = router.dispatch(request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(bodyOf(response)["compliance"]["status"], "unknown");
}

TEST_F(HostRoutesTest, OwnerSeesOnlyOwnHosts) {
  const auto own = enrolHost("machine-1", {{"owner", "olivia"}});
  const auto other = enrolHost("machine-2", {{"owner", "bob"}});
  const std::string owner = userToken("olivia", {"owner"});

  EXPECT_EQ(listedIds(owner), std::vector<std::string>{own.host_id});
  EXPECT_TRUE(listedIds(owner, {{"owner", "bob"}}).empty());
  EXPECT_EQ(call("GET", "/api/v1/hosts/" + own.host_id, owner).status, 200);

  const auto hidden = call("GET", "/api/v1/hosts/" + other.host_id, owner);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(errorCode(hidden), "not_found");

  // A viewer sees the whole fleet.
  const std::string viewer = userToken("vera", {"viewer"});
  EXPECT_EQ(listedIds(viewer), sorted({own.host_id, other.host_id}));
}

TEST_F(HostRoutesTest, ListFiltersHosts) {
  const auto web = enrolHost("machine-1", {{"collections", {"web"}}});
  const auto laptop = enrolHost(
      "machine-2", {{"kind", "endpoint"}, {"owner", "bob"}, {"collections", {"laptops"}}});
  const auto old = enrolHost("machine-3");
  ASSERT_EQ(call("POST", "/api/v1/hosts/" + old.host_id + "/revoke", adminToken()).status, 200);

  const std::string& token = adminToken();
  EXPECT_EQ(listedIds(token), sorted({web.host_id, laptop.host_id, old.host_id}));
  EXPECT_EQ(listedIds(token, {{"kind", "endpoint"}}), std::vector<std::string>{laptop.host_id});
  EXPECT_EQ(listedIds(token, {{"owner", "bob"}}), std::vector<std::string>{laptop.host_id});
  EXPECT_EQ(listedIds(token, {{"status", "revoked"}}), std::vector<std::string>{old.host_id});
  EXPECT_EQ(listedIds(token, {{"collection", "laptops"}}),
            std::vector<std::string>{laptop.host_id});
  // The servers are in no window, which makes them not compliant.
  EXPECT_EQ(listedIds(token, {{"compliance", "unknown"}}),
            std::vector<std::string>{laptop.host_id});
  EXPECT_EQ(listedIds(token, {{"compliance", "not compliant"}}),
            sorted({web.host_id, old.host_id}));
  EXPECT_TRUE(listedIds(token, {{"compliance", "compliant"}}).empty());

  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"kind", "laptop"}, {"status", "paused"}, {"compliance", "maybe"}}) {
    const auto response = call("GET", "/api/v1/hosts", token, "", {{name, value}});
    EXPECT_EQ(response.status, 400) << name;
    EXPECT_EQ(errorCode(response), "invalid_query") << name;
  }
}

TEST_F(HostRoutesTest, PageCarriesTheTotal) {
  for (int i = 0; i < 5; ++i) enrolHost("machine-" + std::to_string(i));
  const auto response =
      call("GET", "/api/v1/hosts", adminToken(), "", {{"limit", "2"}, {"offset", "4"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = bodyOf(response);
  EXPECT_EQ(body["total"], 5);
  EXPECT_EQ(body["items"].size(), 1u);
}

TEST_F(HostRoutesTest, PagesDoNotOverlap) {
  for (int i = 0; i < 4; ++i) enrolHost("machine-" + std::to_string(i));
  std::vector<std::string> seen;
  for (const char* offset : {"0", "2"}) {
    const auto body = bodyOf(
        call("GET", "/api/v1/hosts", adminToken(), "", {{"limit", "2"}, {"offset", offset}}));
    for (const auto& item : body["items"]) seen.push_back(item["id"]);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::unique(seen.begin(), seen.end()) - seen.begin(), 4);
}

TEST_F(HostRoutesTest, SearchMatchesOwner) {
  const auto bob = enrolHost("machine-1", {{"owner", "bob"}});
  enrolHost("machine-2", {{"owner", "carol"}});
  EXPECT_EQ(listedIds(adminToken(), {{"q", "BO"}}), std::vector<std::string>{bob.host_id});
}

TEST_F(HostRoutesTest, PageWithComplianceFilterCountsMatches) {
  enrolHost("machine-1");
  enrolHost("machine-2", {{"kind", "endpoint"}});
  const auto body = bodyOf(
      call("GET", "/api/v1/hosts", adminToken(), "", {{"limit", "10"}, {"compliance", "unknown"}}));
  EXPECT_EQ(body["total"], 1);
}

TEST_F(HostRoutesTest, BadPageIsRejected) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"limit", "0"}, {"limit", "1001"}, {"limit", "ten"}, {"offset", "-1"}}) {
    const auto response = call("GET", "/api/v1/hosts", adminToken(), "", {{name, value}});
    EXPECT_EQ(errorCode(response), "invalid_query") << name << "=" << value;
  }
}

TEST_F(HostRoutesTest, PatchChangesHostAndAudits) {
  const auto host = enrolHost("machine-1");
  const std::string path = "/api/v1/hosts/" + host.host_id;

  const auto response =
      call("PATCH", path, adminToken(),
           R"({"kind": "endpoint", "owner": "bob", "collections": ["b", "a", "b"]})");
  ASSERT_EQ(response.status, 200) << response.body;
  const auto body = bodyOf(response);
  EXPECT_EQ(body["kind"], "endpoint");
  EXPECT_EQ(body["owner"], "bob");
  EXPECT_EQ(body["collections"], nlohmann::json({"a", "b"}));

  const auto shown = bodyOf(call("GET", path, adminToken()));
  EXPECT_EQ(shown["kind"], "endpoint");
  EXPECT_EQ(shown["collections"], nlohmann::json({"a", "b"}));

  const auto events = auditEvents("host.update");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor, "user:admin");
  EXPECT_EQ(events[0].object_id, host.host_id);
  EXPECT_EQ(nlohmann::json::parse(events[0].before_json)["kind"], "server");
  EXPECT_EQ(nlohmann::json::parse(events[0].after_json)["kind"], "endpoint");

  // A PATCH that changes nothing writes no audit event.
  ASSERT_EQ(call("PATCH", path, adminToken(), R"({"owner": "bob"})").status, 200);
  EXPECT_EQ(auditEvents("host.update").size(), 1u);

  // null clears the owner.
  const auto cleared = call("PATCH", path, adminToken(), R"({"owner": null})");
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(bodyOf(cleared)["owner"], "");
}

TEST_F(HostRoutesTest, PatchRejectsInvalidFields) {
  const auto host = enrolHost("machine-1");
  const std::string path = "/api/v1/hosts/" + host.host_id;
  for (const char* body :
       {R"({"kind": "laptop"})", R"({"kind": 1})", R"({"collections": "web"})",
        R"({"collections": ["has space"]})", R"({"owner": ["x"]})", R"({"status": "revoked"})",
        R"({"kind": "endpoint", "collections": [""]})", "[]", "{"}) {
    const auto response = call("PATCH", path, adminToken(), body);
    EXPECT_EQ(response.status, 400) << body;
  }

  const auto shown = bodyOf(call("GET", path, adminToken()));
  EXPECT_EQ(shown["kind"], "server");
  EXPECT_EQ(shown["status"], "active");
  EXPECT_TRUE(auditEvents("host.update").empty());
}

TEST_F(HostRoutesTest, ChangesNeedManageHosts) {
  const auto host = enrolHost("machine-1", {{"owner", "olivia"}});
  const std::string path = "/api/v1/hosts/" + host.host_id;
  for (const auto& token : {userToken("vera", {"viewer"}), userToken("olivia", {"owner"}),
                            userToken("aude", {"auditor"})}) {
    EXPECT_EQ(call("PATCH", path, token, R"({"kind": "endpoint"})").status, 403);
    EXPECT_EQ(call("POST", path + "/revoke", token).status, 403);
    EXPECT_EQ(call("POST", path + "/approve-reenrolment", token).status, 403);
  }
  EXPECT_EQ(call("GET", "/api/v1/hosts", "").status, 401);

  const std::string operator_token = userToken("otto", {"operator"});
  EXPECT_EQ(call("PATCH", path, operator_token, R"({"kind": "endpoint"})").status, 200);
}

TEST_F(HostRoutesTest, RevokeEndsHostsAccess) {
  const auto host = enrolHost("machine-1");
  const std::string path = "/api/v1/hosts/" + host.host_id;

  const auto revoked = call("POST", path + "/revoke", adminToken());
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(bodyOf(revoked)["status"], "revoked");

  const auto report = sendReport(host, makeReport(inventoryOf({"bash"}), true));
  EXPECT_EQ(report.status, 401);
  EXPECT_EQ(errorCode(report), "revoked_credential");

  const auto events = auditEvents("host.revoke");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(events[0].before_json)["status"], "active");
  EXPECT_EQ(nlohmann::json::parse(events[0].after_json)["status"], "revoked");

  // Revoking again changes nothing.
  EXPECT_EQ(call("POST", path + "/revoke", adminToken()).status, 200);
  EXPECT_EQ(auditEvents("host.revoke").size(), 1u);

  const auto approve = call("POST", path + "/approve-reenrolment", adminToken());
  EXPECT_EQ(approve.status, 409);
  EXPECT_EQ(errorCode(approve), "host_revoked");
}

TEST_F(HostRoutesTest, ApprovalIsAudited) {
  const auto host = enrolHost("machine-1");
  ASSERT_EQ(
      call("POST", "/api/v1/hosts/" + host.host_id + "/approve-reenrolment", adminToken()).status,
      200);
  const auto events = auditEvents("host.approve_reenrolment");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(events[0].after_json)["reenrolment_approved_until"],
            "2026-12-02T00:00:00Z");
}

TEST_F(HostRoutesTest, UnknownHostIsNotFound) {
  const std::string path = "/api/v1/hosts/h-00000000000000ff";
  EXPECT_EQ(call("GET", path, adminToken()).status, 404);
  EXPECT_EQ(call("PATCH", path, adminToken(), R"({"kind": "endpoint"})").status, 404);
  EXPECT_EQ(call("POST", path + "/revoke", adminToken()).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/hosts/not-a-host-id", adminToken()).status, 404);
}

TEST_F(HostRoutesTest, MetricsCountHostsAndCheckins) {
  const auto web = enrolHost("machine-1");
  enrolHost("machine-2", {{"kind", "endpoint"}});
  const auto old = enrolHost("machine-3");
  ASSERT_EQ(call("POST", "/api/v1/hosts/" + old.host_id + "/revoke", adminToken()).status, 200);
  ASSERT_EQ(sendReport(web, makeReport(inventoryOf({"bash"}), true)).status, 200);

  EXPECT_EQ(metric(R"(patchkeeper_hosts{kind="server",status="active"})"), 1);
  EXPECT_EQ(metric(R"(patchkeeper_hosts{kind="endpoint",status="active"})"), 1);
  EXPECT_EQ(metric(R"(patchkeeper_hosts{kind="server",status="revoked"})"), 1);
  EXPECT_EQ(metric(R"(patchkeeper_hosts{kind="endpoint",status="revoked"})"), 0);
  EXPECT_EQ(metric(R"(patchkeeper_checkins_total{result="accepted"})"), 1);
}

}  // namespace
}  // namespace pk::server::host_tests
