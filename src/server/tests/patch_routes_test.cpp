#include "server/patch_routes.h"

#include <gtest/gtest.h>

#include <chrono>

#include "server/evaluation.h"
#include "server/feed_sync.h"
#include "server/host_routes.h"
#include "server/patches.h"
#include "server/tests/vulnerability_fixture.h"
#include "server/ticket_routes.h"
#include "server/vulnerability_routes.h"
#include "store/audit_repository.h"
#include "store/pending_update_repository.h"

namespace pk::server {
namespace {

using json = nlohmann::json;
using std::chrono::days;
using std::chrono::hours;
using store::FindingSource;
using store::StoredFinding;
using version::Scheme;
using vulns_testing::errorText;
using vulns_testing::package;
using vulns_testing::sharedData;

constexpr const char* kDebianHost = "h-00000000000000d1";
constexpr const char* kAlmaHost = "h-00000000000000a9";

Principal user(std::string name, std::vector<Role> roles) {
  Principal principal;
  principal.kind = Principal::Kind::kUser;
  principal.user_id = 1;
  principal.username = std::move(name);
  principal.roles = std::move(roles);
  return principal;
}

// Maps a bearer token to a principal: "alice" and "adam" (admins), "vera"
// (viewer), "olivia" (owner of the Debian host), "oscar" (operator).
std::variant<Principal, Response> authenticate(const Request& request) {
  const std::string token = request.header("authorization");
  if (token == "Bearer alice") return user("alice", {Role::kAdmin});
  if (token == "Bearer adam") return user("adam", {Role::kAdmin});
  if (token == "Bearer vera") return user("vera", {Role::kViewer});
  if (token == "Bearer olivia") return user("olivia", {Role::kOwner});
  if (token == "Bearer oscar") return user("oscar", {Role::kOperator});
  return errorResponse(401, "unauthenticated", "Send a valid bearer token.");
}

json bodyOf(const Response& response) {
  return json::parse(response.body, nullptr, false);
}

std::string errorMessage(const Response& response) {
  const json body = bodyOf(response);
  if (!body.is_object() || !body.contains("error")) return "";
  return body["error"].value("message", "");
}

class PatchRoutesTest : public vulns_testing::VulnerabilityTest {
 protected:
  void SetUp() override {
    VulnerabilityTest::SetUp();
    if (HasFatalFailure()) return;
    feeds_ = std::make_unique<FeedService>(context(), evaluator_, std::vector<FeedSource>{});
    addPatchRoutes(router_, context());
    addTicketRoutes(router_, context(), TicketRouteOptions{});
    addHostRoutes(router_, context(), HostRouteOptions{});
    addVulnerabilityRoutes(router_, context(), *feeds_, days(7));
    addHost(kDebianHost, "Debian:12", "olivia", clock_.now());
    saveInventory(kDebianHost, Scheme::kDpkg,
                  {package("curl", "7.88.1-10", "curl", "7.88.1-10"),
                   package("libcurl4", "7.88.1-10", "curl", "7.88.1-10"),
                   package("wget", "1.21.3-1", "wget", "1.21.3-1")});
  }

  Response call(const std::string& method, const std::string& path, const std::string& token,
                const json& body = nullptr,
                const std::vector<std::pair<std::string, std::string>>& query = {}) {
    Request request;
    request.method = method;
    request.path = path;
    request.body = body.is_null() ? "" : body.dump();
    request.remote_address = "127.0.0.1";
    for (const auto& [name, value] : query) request.query.emplace(name, value);
    request.headers["authorization"] = "Bearer " + token;
    return router_.dispatch(request);
  }

  // Stores an open finding on the Debian host and refreshes the catalog as
  // the evaluator does at the end of a host evaluation.
  void addDebianFinding(const std::string& advisory_id, const std::string& package_name,
                        const std::string& source, const std::string& fixed_version,
                        const std::string& severity, bool kev = false,
                        FindingSource finding_source = FindingSource::kAdvisory) {
    StoredFinding finding;
    finding.host_id = kDebianHost;
    finding.source = finding_source;
    finding.advisory_id = advisory_id;
    finding.package = package_name;
    finding.source_package = source;
    finding.installed_version = "7.88.1-10";
    finding.compared_version = "7.88.1-10";
    finding.fixed_version = fixed_version;
    finding.ecosystem = "Debian:12";
    finding.severity = severity;
    finding.known_exploited = kev;
    finding.kev_due_date = kev ? "2026-12-20" : "";
    finding.aliases = {"CVE-2024-" + advisory_id.substr(advisory_id.size() - 4)};
    finding.first_seen_at = clock_.now();
    finding.last_seen_at = clock_.now();
    write([&](store::Session& session) -> Result<void> {
      auto inserted = store::insertFinding(session, finding);
      if (!inserted) return tl::unexpected(inserted.error());
      auto refreshed = refreshHostPatches(session, kDebianHost, clock_.now());
      if (!refreshed) return tl::unexpected(refreshed.error());
      return {};
    });
  }

  std::string curlPatch() const {
    return patchIdOf(kPatchKindSourcePackage, "Debian:12", "curl", "7.88.1-10+deb12u5");
  }

  std::vector<store::AuditEvent> auditOf(const std::string& object_type) {
    std::vector<store::AuditEvent> events;
    auto read = database().read([&](store::Session& session) -> Result<void> {
      store::AuditQuery query;
      query.object_type = object_type;
      auto listed = store::listAuditEvents(session, query);
      if (!listed) return tl::unexpected(listed.error());
      events = std::move(*listed);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return events;
  }

  json patchView(const std::string& id) {
    const Response response = call("GET", "/api/v1/patches/" + id, "vera");
    EXPECT_EQ(response.status, 200) << response.body;
    return bodyOf(response);
  }

  std::string complianceOf(const std::string& host_id) {
    const Response response = call("GET", "/api/v1/hosts/" + host_id, "alice");
    EXPECT_EQ(response.status, 200) << response.body;
    return bodyOf(response)["compliance"].value("status", "");
  }

  Evaluator evaluator_;
  std::unique_ptr<FeedService> feeds_;
  Router router_{authenticate};
};

TEST_F(PatchRoutesTest, ListShowsPatchFacts) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "medium");
  addDebianFinding("DSA-5678", "libcurl4", "curl", "7.88.1-10+deb12u5", "high", true);

  const Response response = call("GET", "/api/v1/patches", "vera");
  ASSERT_EQ(response.status, 200) << response.body;
  const json items = bodyOf(response)["items"];
  ASSERT_EQ(items.size(), 1U);
  const json& patch = items[0];
  EXPECT_EQ(patch["id"], curlPatch());
  EXPECT_EQ(patch["kind"], "source-package");
  EXPECT_EQ(patch["name"], "curl");
  EXPECT_EQ(patch["version"], "7.88.1-10+deb12u5");
  EXPECT_EQ(patch["advisories"], json::array({"DSA-5678"}));
  EXPECT_EQ(patch["cve_ids"], json::array({"CVE-2024-5678"}));
  EXPECT_EQ(patch["highest_severity"], "high");
  EXPECT_EQ(patch["known_exploited"], true);
  EXPECT_EQ(patch["earliest_kev_due_date"], "2026-12-20");
  EXPECT_EQ(patch["affected_hosts"], 1);
  EXPECT_EQ(patch["decision"]["status"], "pending");
}

TEST_F(PatchRoutesTest, ListFilters) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "low");
  addDebianFinding("DSA-5700", "wget", "wget", "1.21.3-1+deb12u1", "critical", true);

  auto ids = [&](const std::vector<std::pair<std::string, std::string>>& query) {
    std::vector<std::string> found;
    const Response response = call("GET", "/api/v1/patches", "vera", nullptr, query);
    EXPECT_EQ(response.status, 200) << response.body;
    // Kept in a variable: a range-for over a member of a temporary would
    // outlive the temporary.
    const json page = bodyOf(response);
    for (const auto& item : page["items"]) found.push_back(item["name"]);
    return found;
  };
  EXPECT_EQ(ids({{"severity", "high"}}), std::vector<std::string>{"wget"});
  EXPECT_EQ(ids({{"kev", "true"}}), std::vector<std::string>{"wget"});
  EXPECT_EQ(ids({{"ecosystem", "Debian:11"}}).size(), 0U);
  EXPECT_EQ(ids({{"decision", "pending"}}).size(), 2U);
  EXPECT_EQ(ids({{"decision", "approved"}}).size(), 0U);
  EXPECT_EQ(call("GET", "/api/v1/patches", "vera", nullptr, {{"severity", "severe"}}).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/patches", "vera", nullptr, {{"after", "h-1"}}).status, 400);
}

TEST_F(PatchRoutesTest, ListPages) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "low");
  addDebianFinding("DSA-5700", "wget", "wget", "1.21.3-1+deb12u1", "low");
  const Response first = call("GET", "/api/v1/patches", "vera", nullptr, {{"limit", "1"}});
  ASSERT_EQ(first.status, 200);
  const json next = bodyOf(first)["next_after"];
  ASSERT_TRUE(next.is_string());
  const Response second =
      call("GET", "/api/v1/patches", "vera", nullptr, {{"limit", "1"}, {"after", next}});
  ASSERT_EQ(bodyOf(second)["items"].size(), 1U);
  EXPECT_NE(bodyOf(second)["items"][0]["id"], next);
}

TEST_F(PatchRoutesTest, DetailListsHosts) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  const json view = patchView(curlPatch());
  ASSERT_EQ(view["hosts"].size(), 1U);
  EXPECT_EQ(view["hosts"][0]["host_id"], kDebianHost);
  EXPECT_EQ(view["hosts"][0]["open_findings"], 1);
  EXPECT_EQ(view["hosts_truncated"], false);
  EXPECT_TRUE(view["decision_history"].empty());
}

TEST_F(PatchRoutesTest, UnknownPatchIsNotFound) {
  const Response detail = call("GET", "/api/v1/patches/p-0123456789abcdef", "vera");
  EXPECT_EQ(detail.status, 404);
  const Response decision = call("POST", "/api/v1/patches/p-0123456789abcdef/decision", "alice",
                                 {{"decision", "approved"}});
  EXPECT_EQ(decision.status, 404);
  EXPECT_NE(errorMessage(decision).find("No patch p-0123456789abcdef is known"), std::string::npos);
}

TEST_F(PatchRoutesTest, ApproveIsAudited) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  const Response response = call("POST", "/api/v1/patches/" + curlPatch() + "/decision", "alice",
                                 {{"decision", "approved"}, {"reason", "tested in the lab"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(bodyOf(response)["decision"]["status"], "approved");

  const json view = patchView(curlPatch());
  EXPECT_EQ(view["decision"]["status"], "approved");
  EXPECT_EQ(view["decision"]["decided_by"], "user:alice");
  EXPECT_EQ(view["decision"]["decided_at"], formatRfc3339(clock_.now()));
  ASSERT_EQ(view["decision_history"].size(), 1U);

  const auto events = auditOf("patch");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].action, "patch.approve");
  EXPECT_EQ(events[0].actor, "user:alice");
  EXPECT_EQ(events[0].object_id, curlPatch());
}

TEST_F(PatchRoutesTest, DeclineNeedsReason) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  const std::string path = "/api/v1/patches/" + curlPatch() + "/decision";
  const Response missing = call("POST", path, "alice", {{"decision", "declined"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(errorMessage(missing).find("\"reason\""), std::string::npos);

  const Response declined =
      call("POST", path, "alice", {{"decision", "declined"}, {"reason", "breaks the proxy"}});
  ASSERT_EQ(declined.status, 200) << declined.body;
  EXPECT_EQ(patchView(curlPatch())["decision"]["status"], "declined");
  EXPECT_EQ(auditOf("patch").at(0).action, "patch.decline");
}

TEST_F(PatchRoutesTest, BadBodiesNameTheField) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  const std::string path = "/api/v1/patches/" + curlPatch() + "/decision";
  const Response unknown_word = call("POST", path, "alice", {{"decision", "yes"}});
  EXPECT_EQ(unknown_word.status, 400);
  EXPECT_NE(errorMessage(unknown_word).find("\"decision\""), std::string::npos);
  const Response extra = call("POST", path, "alice", {{"decision", "approved"}, {"by", "bob"}});
  EXPECT_EQ(extra.status, 400);
  EXPECT_NE(errorMessage(extra).find("\"by\""), std::string::npos);
  const Response rule = call("POST", "/api/v1/approval-rules", "alice",
                             {{"name", "r"}, {"minimum_severity", "severe"}});
  EXPECT_EQ(rule.status, 400);
  EXPECT_NE(errorMessage(rule).find("\"minimum_severity\""), std::string::npos);
  EXPECT_TRUE(auditOf("patch").empty());
}

TEST_F(PatchRoutesTest, WrongRoleIsForbidden) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  const std::string path = "/api/v1/patches/" + curlPatch() + "/decision";
  EXPECT_EQ(call("POST", path, "vera", {{"decision", "approved"}}).status, 403);
  EXPECT_EQ(call("POST", path, "oscar", {{"decision", "approved"}}).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/patches", "olivia").status, 403);
  EXPECT_EQ(call("POST", "/api/v1/approval-rules", "oscar", {{"name", "r"}}).status, 403);
  EXPECT_EQ(patchView(curlPatch())["decision"]["status"], "pending");
}

TEST_F(PatchRoutesTest, RuleApprovesMatchingPatches) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  addDebianFinding("DSA-5700", "wget", "wget", "1.21.3-1+deb12u1", "low");

  const Response created = call(
      "POST", "/api/v1/approval-rules", "alice",
      {{"name", "high on Debian 12"}, {"ecosystem", "Debian:12"}, {"minimum_severity", "high"}});
  ASSERT_EQ(created.status, 201) << created.body;
  const json rule = bodyOf(created);
  EXPECT_EQ(rule["approved_patches"], 1);
  const std::string rule_actor = "rule:" + std::to_string(rule["id"].get<std::int64_t>());

  const json curl = patchView(curlPatch());
  EXPECT_EQ(curl["decision"]["status"], "approved");
  EXPECT_EQ(curl["decision"]["decided_by"], rule_actor);
  const std::string wget =
      patchIdOf(kPatchKindSourcePackage, "Debian:12", "wget", "1.21.3-1+deb12u1");
  EXPECT_EQ(patchView(wget)["decision"]["status"], "pending");

  const auto events = auditOf("patch");
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].actor, rule_actor);
  EXPECT_EQ(auditOf("approval_rule").size(), 1U);
}

TEST_F(PatchRoutesTest, RuleApprovesNewPatches) {
  const Response created =
      call("POST", "/api/v1/approval-rules", "alice", {{"name", "KEV"}, {"kev_only", true}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(bodyOf(created)["approved_patches"], 0);

  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "medium", true);
  EXPECT_EQ(patchView(curlPatch())["decision"]["status"], "approved");
}

TEST_F(PatchRoutesTest, RuleJobCatchesKevChange) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "medium");
  const Response created =
      call("POST", "/api/v1/approval-rules", "alice", {{"name", "KEV"}, {"kev_only", true}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(bodyOf(created)["approved_patches"], 0);

  // KEV lists the CVE later: the finding changes in place, its link does not.
  write([&](store::Session& session) -> Result<void> {
    auto findings = store::loadHostFindings(session, kDebianHost);
    if (!findings) return tl::unexpected(findings.error());
    StoredFinding finding = findings->at(0);
    finding.known_exploited = true;
    if (auto updated = store::updateFinding(session, finding); !updated) return updated;
    auto refreshed = refreshHostPatches(session, kDebianHost, clock_.now());
    if (!refreshed) return tl::unexpected(refreshed.error());
    return {};
  });
  EXPECT_EQ(patchView(curlPatch())["decision"]["status"], "pending");

  int approved = 0;
  write([&](store::Session& session) -> Result<void> {
    auto applied = applyApprovalRules(session, clock_.now());
    if (!applied) return tl::unexpected(applied.error());
    approved = *applied;
    return {};
  });
  EXPECT_EQ(approved, 1);
  EXPECT_EQ(patchView(curlPatch())["decision"]["status"], "approved");
}

TEST_F(PatchRoutesTest, RuleLeavesDeclinedPatch) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  ASSERT_EQ(call("POST", "/api/v1/patches/" + curlPatch() + "/decision", "alice",
                 {{"decision", "declined"}, {"reason", "breaks the proxy"}})
                .status,
            200);
  const Response created = call("POST", "/api/v1/approval-rules", "alice", {{"name", "all"}});
  ASSERT_EQ(created.status, 201);
  EXPECT_EQ(bodyOf(created)["approved_patches"], 0);
  EXPECT_EQ(patchView(curlPatch())["decision"]["status"], "declined");
}

TEST_F(PatchRoutesTest, HostRepositoryNeedsRuleFlag) {
  addDebianFinding("security-update:curl", "curl", "curl", "7.88.1-10+deb12u5", "high", false,
                   FindingSource::kHostRepository);
  ASSERT_EQ(call("POST", "/api/v1/approval-rules", "alice", {{"name", "advisories only"}}).status,
            201);
  EXPECT_EQ(patchView(curlPatch())["decision"]["status"], "pending");
  const Response created = call("POST", "/api/v1/approval-rules", "alice",
                                {{"name", "host updates"}, {"include_host_repository", true}});
  EXPECT_EQ(bodyOf(created)["approved_patches"], 1);
}

TEST_F(PatchRoutesTest, RulesListAndDelete) {
  const Response created = call("POST", "/api/v1/approval-rules", "alice", {{"name", "all"}});
  ASSERT_EQ(created.status, 201);
  const std::string path =
      "/api/v1/approval-rules/" + std::to_string(bodyOf(created)["id"].get<std::int64_t>());
  const Response listed = call("GET", "/api/v1/approval-rules", "vera");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(bodyOf(listed)["items"].size(), 1U);

  EXPECT_EQ(call("DELETE", path, "vera").status, 403);
  EXPECT_EQ(call("DELETE", path, "alice").status, 204);
  EXPECT_EQ(call("DELETE", path, "alice").status, 404);
  EXPECT_TRUE(bodyOf(call("GET", "/api/v1/approval-rules", "vera"))["items"].empty());
  EXPECT_EQ(auditOf("approval_rule").size(), 2U);
}

TEST_F(PatchRoutesTest, ApprovedPatchesForIntegrator) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  addDebianFinding("DSA-5700", "wget", "wget", "1.21.3-1+deb12u1", "low");
  ASSERT_EQ(call("POST", "/api/v1/patches/" + curlPatch() + "/decision", "alice",
                 {{"decision", "approved"}})
                .status,
            200);
  std::vector<ApprovedPatch> approved;
  auto read = database().read([&](store::Session& session) -> Result<void> {
    auto listed = approvedPatches(session);
    if (!listed) return tl::unexpected(listed.error());
    approved = std::move(*listed);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(approved.size(), 1U);
  EXPECT_EQ(approved[0].id, curlPatch());
  EXPECT_EQ(approved[0].decided_by, "user:alice");
  EXPECT_EQ(approved[0].affected_hosts, 1);
}

TEST_F(PatchRoutesTest, SourcePackageInstallTargets) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  write([&](store::Session& session) {
    store::PendingUpdateRecord update;
    update.package = "libcurl4";
    update.architecture = "x86_64";
    update.source_package = "curl";
    update.installed_version = "7.88.1-10";
    update.candidate_version = "7.88.1-10+deb12u6";
    update.archive = "bookworm-security";
    return store::replacePendingUpdates(session, kDebianHost, {update});
  });

  std::vector<PatchInstallPlan> plans;
  auto read = database().read([&](store::Session& session) -> Result<void> {
    auto found = installTargetsForHost(session, kDebianHost, {curlPatch()});
    if (!found) return tl::unexpected(found.error());
    plans = std::move(*found);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(plans.size(), 1U);
  ASSERT_EQ(plans[0].packages.size(), 2U);
  EXPECT_EQ(plans[0].packages[0].package, "curl");
  EXPECT_EQ(plans[0].packages[0].version, "7.88.1-10+deb12u5");
  EXPECT_EQ(plans[0].packages[1].package, "libcurl4");
  EXPECT_EQ(plans[0].packages[1].version, "7.88.1-10+deb12u6");
}

TEST_F(PatchRoutesTest, DetailShowsChangelogOnce) {
  // Two hosts with the curl finding; the second runs a newer curl, so it
  // sent only the newest entry.
  constexpr const char* kSecondHost = "h-00000000000000d2";
  addHost(kSecondHost, "Debian:12", "olivia", clock_.now());
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  write([&](store::Session& session) -> Result<void> {
    StoredFinding finding;
    finding.host_id = kSecondHost;
    finding.source = FindingSource::kAdvisory;
    finding.advisory_id = "DSA-5678";
    finding.package = "curl";
    finding.source_package = "curl";
    finding.installed_version = "7.88.1-10+deb12u4";
    finding.compared_version = "7.88.1-10+deb12u4";
    finding.fixed_version = "7.88.1-10+deb12u5";
    finding.ecosystem = "Debian:12";
    finding.severity = "high";
    finding.first_seen_at = clock_.now();
    finding.last_seen_at = clock_.now();
    auto inserted = store::insertFinding(session, finding);
    if (!inserted) return tl::unexpected(inserted.error());
    auto refreshed = refreshHostPatches(session, kSecondHost, clock_.now());
    if (!refreshed) return tl::unexpected(refreshed.error());
    return {};
  });

  const auto entry = [](std::string version, std::string body) {
    return store::ChangelogEntryRecord{.version = std::move(version),
                                       .distributions = "bookworm-security",
                                       .urgency = "high",
                                       .date = "Wed, 21 Oct 2026 16:54:24 +0700",
                                       .body = std::move(body)};
  };
  const auto update = [](std::string installed, std::vector<store::ChangelogEntryRecord> entries) {
    store::PendingUpdateRecord record;
    record.package = "curl";
    record.architecture = "amd64";
    record.source_package = "curl";
    record.installed_version = std::move(installed);
    record.candidate_version = "7.88.1-10+deb12u6";
    record.archive = "bookworm-security";
    record.changelog = std::move(entries);
    return record;
  };
  // deb12u6 is above the patch version, so the detail leaves it out.
  const auto u6 = entry("7.88.1-10+deb12u6", "  * Fix a regression.\n");
  const auto u5 = entry("7.88.1-10+deb12u5", "  * Fix CVE-2024-5678.\n");
  const auto u4 = entry("7.88.1-10+deb12u4", "  * Fix CVE-2024-4444.\n");
  write([&](store::Session& session) -> Result<void> {
    auto first =
        store::replacePendingUpdates(session, kDebianHost, {update("7.88.1-10", {u6, u5, u4})});
    if (!first) return first;
    return store::replacePendingUpdates(session, kSecondHost,
                                        {update("7.88.1-10+deb12u4", {u6, u5})});
  });

  const json view = patchView(curlPatch());
  ASSERT_EQ(view["hosts"].size(), 2U);
  const json& changelog = view["changelog"];
  ASSERT_EQ(changelog.size(), 2U) << changelog.dump();
  EXPECT_EQ(changelog[0]["version"], "7.88.1-10+deb12u5");
  EXPECT_EQ(changelog[0]["body"], "  * Fix CVE-2024-5678.\n");
  EXPECT_EQ(changelog[0]["distributions"], "bookworm-security");
  EXPECT_EQ(changelog[0]["urgency"], "high");
  EXPECT_EQ(changelog[0]["date"], "Wed, 21 Oct 2026 16:54:24 +0700");
  EXPECT_EQ(changelog[1]["version"], "7.88.1-10+deb12u4");
}

TEST_F(PatchRoutesTest, DetailChangelogEmptyWithoutReports) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  const json view = patchView(curlPatch());
  ASSERT_TRUE(view.contains("changelog"));
  EXPECT_TRUE(view["changelog"].empty());
}

TEST_F(PatchRoutesTest, InstallTargetsRejectUnknownPatch) {
  auto read = database().read([&](store::Session& session) -> Result<void> {
    auto found = installTargetsForHost(session, kDebianHost, {"p-0123456789abcdef"});
    if (!found) return tl::unexpected(found.error());
    return {};
  });
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::kNotFound);
}

// The whole path from a real advisory: evaluation opens findings, the
// catalog gains the advisory's patch, and the install targets name each
// vulnerable binary at the advisory's fixed version.
TEST_F(PatchRoutesTest, EvaluationFillsCatalog) {
  const auto feed_folder = directory() / "alma";
  std::filesystem::create_directories(feed_folder);
  std::filesystem::copy_file(sharedData("osv/almalinux/advisories/almalinux9/ALSA-2022:4940.json"),
                             feed_folder / "ALSA-2022:4940.json");
  storeAdvisories("osv-alma", feed_folder);
  addHost(kAlmaHost, "AlmaLinux:9", "", clock_.now());
  saveInventory(kAlmaHost, Scheme::kRpm,
                {package("xz", "5.2.5-7.el9", "xz", "5.2.5-7.el9"),
                 package("xz-libs", "5.2.5-7.el9", "xz", "5.2.5-7.el9")});
  write([&](store::Session& session) -> Result<void> {
    if (auto rebuilt = evaluator_.rebuild(session); !rebuilt) return rebuilt;
    return evaluator_.evaluateHost(session, kAlmaHost, clock_.now());
  });

  const Response response =
      call("GET", "/api/v1/patches", "vera", nullptr, {{"ecosystem", "AlmaLinux:9"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json items = bodyOf(response)["items"];
  ASSERT_EQ(items.size(), 1U);
  EXPECT_EQ(items[0]["kind"], "advisory");
  EXPECT_EQ(items[0]["name"], "ALSA-2022:4940");
  EXPECT_EQ(items[0]["affected_hosts"], 1);
  const std::string id = items[0]["id"];
  EXPECT_EQ(id, patchIdOf(kPatchKindAdvisory, "AlmaLinux:9", "ALSA-2022:4940", ""));

  std::vector<PatchInstallPlan> plans;
  auto read = database().read([&](store::Session& session) -> Result<void> {
    auto found = installTargetsForHost(session, kAlmaHost, {id});
    if (!found) return tl::unexpected(found.error());
    plans = std::move(*found);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(plans.size(), 1U);
  ASSERT_EQ(plans[0].packages.size(), 2U);
  EXPECT_EQ(plans[0].packages[0].package, "xz");
  EXPECT_EQ(plans[0].packages[0].version, "5.2.5-8.el9_0");
  EXPECT_EQ(plans[0].packages[1].package, "xz-libs");
  EXPECT_EQ(plans[0].packages[1].version, "5.2.5-8.el9_0");
}

TEST_F(PatchRoutesTest, AcceptRiskExcludesUntilExpiry) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  ASSERT_EQ(complianceOf(kDebianHost), "not compliant");

  const SystemTime expires_at = clock_.now() + days(30);
  const Response filed = call("POST", "/api/v1/tickets", "olivia",
                              {{"type", "accept_risk"},
                               {"host", kDebianHost},
                               {"advisory", "DSA-5678"},
                               {"expires_at", formatRfc3339(expires_at)},
                               {"justification", "the service is behind a proxy"}});
  ASSERT_EQ(filed.status, 201) << filed.body;
  const std::int64_t ticket = bodyOf(filed)["id"];
  EXPECT_EQ(complianceOf(kDebianHost), "not compliant");

  const Response approved = call("POST", "/api/v1/tickets/" + std::to_string(ticket) + "/approve",
                                 "alice", json::object());
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(bodyOf(approved)["status"], "applied");
  EXPECT_EQ(complianceOf(kDebianHost), "compliant");

  const Response findings = call("GET", "/api/v1/findings", "alice");
  ASSERT_EQ(findings.status, 200);
  const json exception = bodyOf(findings)["items"][0]["exception"];
  EXPECT_EQ(exception["ticket_id"], ticket);
  EXPECT_EQ(exception["expires_at"], formatRfc3339(expires_at));

  clock_.advance(days(30));
  EXPECT_EQ(complianceOf(kDebianHost), "not compliant");
  EXPECT_TRUE(bodyOf(call("GET", "/api/v1/findings", "alice"))["items"][0]["exception"].is_null());
}

TEST_F(PatchRoutesTest, AcceptRiskRejectsBadRequests) {
  addDebianFinding("DSA-5678", "curl", "curl", "7.88.1-10+deb12u5", "high");
  auto file = [&](const std::string& advisory, SystemTime expires_at) {
    return call("POST", "/api/v1/tickets", "olivia",
                {{"type", "accept_risk"},
                 {"host", kDebianHost},
                 {"advisory", advisory},
                 {"expires_at", formatRfc3339(expires_at)},
                 {"justification", "the service is behind a proxy"}});
  };
  const Response past = file("DSA-5678", clock_.now() - hours(1));
  EXPECT_EQ(past.status, 400);
  EXPECT_NE(errorMessage(past).find("\"expires_at\""), std::string::npos);
  const Response too_far = file("DSA-5678", clock_.now() + days(366));
  EXPECT_EQ(too_far.status, 400);
  EXPECT_NE(errorMessage(too_far).find("365 days"), std::string::npos);
  EXPECT_EQ(file("DSA-9999", clock_.now() + days(1)).status, 409);

  const Response malformed = call("POST", "/api/v1/tickets", "olivia",
                                  {{"type", "accept_risk"},
                                   {"host", kDebianHost},
                                   {"advisory", "DSA-5678"},
                                   {"expires_at", "next week"},
                                   {"justification", "the service is behind a proxy"}});
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(errorMessage(malformed).find("\"expires_at\""), std::string::npos);
}

}  // namespace
}  // namespace pk::server
