#include "server/collection_routes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "server/collection_membership.h"
#include "server/openapi.h"
#include "server/tests/host_server_fixture.h"
#include "store/audit_repository.h"
#include "store/deployment_repository.h"
#include "store/host_repository.h"

namespace pk::server::host_tests {
namespace {

class CollectionRoutesTest : public HostServerTest {
 protected:
  void SetUp() override {
    HostServerTest::SetUp();
    if (HasFatalFailure()) return;
    addCollectionRoutes(*router_, *context_);
  }

  // Inserts an active host with these facts and returns its id.
  std::string addHost(const std::string& hostname, const std::string& kind,
                      const std::string& owner, const std::string& ecosystem,
                      const std::vector<std::string>& labels = {}) {
    store::HostRecord host;
    host.id = store::newHostId();
    host.hostname = hostname;
    host.machine_id = host.id;
    host.kind = kind;
    host.owner = owner;
    host.os_ecosystem = ecosystem;
    host.collections = labels;
    host.enrolled_at = clock_.now();
    auto written =
        database_->write([&](store::Session& session) { return store::insertHost(session, host); });
    EXPECT_TRUE(written) << written.error().message;
    return host.id;
  }

  Response post(const std::string& path, const nlohmann::json& body) {
    return call("POST", path, adminToken(), body.dump());
  }

  Response put(const std::string& path, const nlohmann::json& body) {
    return call("PUT", path, adminToken(), body.dump());
  }

  // The ids of a collection's hosts through the API.
  std::vector<std::string> hostIds(const std::string& collection) {
    const auto response = call("GET", "/api/v1/collections/" + collection + "/hosts", adminToken());
    EXPECT_EQ(response.status, 200) << response.body;
    const auto body = bodyOf(response);
    std::vector<std::string> ids;
    for (const auto& item : body["items"]) ids.push_back(item["id"]);
    return ids;
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

  std::string errorMessage(const Response& response) {
    const auto body = bodyOf(response);
    if (!body.is_object() || !body.contains("error")) return "";
    return body["error"].value("message", "");
  }

  static std::vector<std::string> sorted(std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  }
};

TEST_F(CollectionRoutesTest, DefaultsListed) {
  const auto response = call("GET", "/api/v1/collections", adminToken());
  ASSERT_EQ(response.status, 200) << response.body;
  const auto items = bodyOf(response)["items"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[2]["id"], "test");
  EXPECT_EQ(items[2]["restart_policy"]["restart_deadline_seconds"], 86400);
  EXPECT_EQ(items[2]["restart_policy"]["countdown_seconds"], 5400);
  EXPECT_EQ(items[2]["restart_policy"]["reminder_seconds"], 14400);
}

TEST_F(CollectionRoutesTest, CreateGetUpdateDelete) {
  const auto created = post(
      "/api/v1/collections",
      {{"id", "web"}, {"name", "Web servers"}, {"restart_policy", {{"pre_hook", "stop-nginx"}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(bodyOf(created)["type"], "static");
  EXPECT_EQ(bodyOf(created)["restart_policy"]["pre_hook"], "stop-nginx");
  EXPECT_EQ(bodyOf(created)["restart_policy"]["post_hook"], nullptr);

  const auto updated = put(
      "/api/v1/collections/web",
      {{"description", "Front ends"}, {"restart_policy", {{"restart_deadline_seconds", 7200}}}});
  ASSERT_EQ(updated.status, 200) << updated.body;

  const auto fetched = call("GET", "/api/v1/collections/web", adminToken());
  ASSERT_EQ(fetched.status, 200) << fetched.body;
  EXPECT_EQ(bodyOf(fetched)["name"], "Web servers");
  EXPECT_EQ(bodyOf(fetched)["description"], "Front ends");
  EXPECT_EQ(bodyOf(fetched)["restart_policy"]["restart_deadline_seconds"], 7200);
  EXPECT_EQ(bodyOf(fetched)["restart_policy"]["pre_hook"], "stop-nginx");

  const auto deleted = call("DELETE", "/api/v1/collections/web", adminToken());
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(call("GET", "/api/v1/collections/web", adminToken()).status, 404);
}

TEST_F(CollectionRoutesTest, ChangesAudited) {
  ASSERT_EQ(post("/api/v1/collections", {{"id", "web"}, {"name", "Web"}}).status, 201);
  ASSERT_EQ(put("/api/v1/collections/web", {{"name", "Web servers"}}).status, 200);
  ASSERT_EQ(call("DELETE", "/api/v1/collections/web", adminToken()).status, 204);

  const auto created = auditEvents("collection.create");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].object_id, "web");
  EXPECT_EQ(created[0].actor, "user:admin");
  const auto updated = auditEvents("collection.update");
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_NE(updated[0].after_json.find("Web servers"), std::string::npos);
  EXPECT_EQ(auditEvents("collection.delete").size(), 1u);
}

TEST_F(CollectionRoutesTest, UnchangedPutNotAudited) {
  ASSERT_EQ(post("/api/v1/collections", {{"id", "web"}, {"name", "Web"}}).status, 201);
  ASSERT_EQ(put("/api/v1/collections/web", {{"name", "Web"}}).status, 200);
  EXPECT_TRUE(auditEvents("collection.update").empty());
}

TEST_F(CollectionRoutesTest, ViewerReadsButCannotChange) {
  const std::string viewer = userToken("vera", {"viewer"});
  EXPECT_EQ(call("GET", "/api/v1/collections", viewer).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/collections/test", viewer).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/ring-sequences/default", viewer).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/collections", viewer,
                 nlohmann::json{{"id", "web"}, {"name", "Web"}}.dump())
                .status,
            403);
  EXPECT_EQ(call("DELETE", "/api/v1/ring-sequences/default", viewer).status, 403);
}

TEST_F(CollectionRoutesTest, OperatorCannotChange) {
  const std::string operator_token = userToken("otto", {"operator"});
  const auto response = call("PUT", "/api/v1/collections/test", operator_token,
                             nlohmann::json{{"name", "Mine"}}.dump());
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(call("PUT", "/api/v1/restart-policy-bounds", operator_token,
                 nlohmann::json{{"min_countdown_seconds", 60}}.dump())
                .status,
            403);
}

TEST_F(CollectionRoutesTest, DuplicateIdConflicts) {
  const auto response = post("/api/v1/collections", {{"id", "test"}, {"name", "Again"}});
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(errorCode(response), "id_taken");
}

TEST_F(CollectionRoutesTest, BadBodiesRejected) {
  struct Case {
    nlohmann::json body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{{"name", "No id"}}, "\"id\""},
      {{{"id", "Web"}, {"name", "Upper case"}}, "\"id\""},
      {{{"id", std::string(65, 'a')}, {"name", "Too long"}}, "\"id\""},
      {{{"id", "web"}}, "\"name\""},
      {{{"id", "web"}, {"name", "W"}, {"colour", "red"}}, "\"colour\""},
      {{{"id", "web"}, {"name", "W"}, {"rule", {{"kind", "laptop"}}}}, "rule.kind"},
      {{{"id", "web"}, {"name", "W"}, {"rule", nlohmann::json::object()}}, "at least one"},
      {{{"id", "web"}, {"name", "W"}, {"rule", {{"size", "big"}}}}, "rule.size"},
      {{{"id", "web"}, {"name", "W"}, {"members", {"not-a-host"}}}, "\"members\""},
      {{{"id", "web"},
        {"name", "W"},
        {"rule", {{"kind", "server"}}},
        {"members", {"h-0123456789abcdef"}}},
       "rule collection"},
      {{{"id", "web"}, {"name", "W"}, {"restart_policy", {{"pre_hook", "Stop Nginx"}}}},
       "restart_policy.pre_hook"},
      {{{"id", "web"}, {"name", "W"}, {"restart_policy", {{"post_hook", std::string(65, 'a')}}}},
       "restart_policy.post_hook"},
      {{{"id", "web"}, {"name", "W"}, {"restart_policy", {{"countdown_seconds", -1}}}},
       "restart_policy.countdown_seconds"},
      {{{"id", "web"}, {"name", "W"}, {"restart_policy", {{"reminder_seconds", "4h"}}}},
       "restart_policy.reminder_seconds"},
  };
  for (const auto& c : cases) {
    const auto response = post("/api/v1/collections", c.body);
    EXPECT_EQ(response.status, 400) << c.body.dump();
    EXPECT_NE(errorMessage(response).find(c.field), std::string::npos)
        << c.body.dump() << " -> " << response.body;
  }
  EXPECT_EQ(call("GET", "/api/v1/collections", adminToken()).body.find("\"web\""),
            std::string::npos);
}

TEST_F(CollectionRoutesTest, DeadlineAboveBoundRejected) {
  const auto response = post(
      "/api/v1/collections",
      {{"id", "web"}, {"name", "W"}, {"restart_policy", {{"restart_deadline_seconds", 90000}}}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "restart_policy_out_of_bounds");
  EXPECT_NE(errorMessage(response).find("restart_deadline_seconds must be at most 86400"),
            std::string::npos)
      << response.body;
}

TEST_F(CollectionRoutesTest, FortyEightHourDeadlineRejected) {
  const auto response =
      post("/api/v1/collections", {{"id", "laptops"},
                                   {"name", "L"},
                                   {"restart_policy", {{"restart_deadline_seconds", 172800}}}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "restart_policy_out_of_bounds");
  EXPECT_NE(errorMessage(response).find("at most 86400"), std::string::npos) << response.body;
}

TEST_F(CollectionRoutesTest, CountdownBelowBoundRejected) {
  const auto response =
      put("/api/v1/collections/test", {{"restart_policy", {{"countdown_seconds", 1800}}}});
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(errorMessage(response).find("countdown_seconds must be at least 5400"),
            std::string::npos)
      << response.body;
}

TEST_F(CollectionRoutesTest, UnknownMemberRejected) {
  const auto response = post("/api/v1/collections",
                             {{"id", "web"}, {"name", "W"}, {"members", {"h-0123456789abcdef"}}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "unknown_host");
}

TEST_F(CollectionRoutesTest, MembersByLabelAndExplicit) {
  const std::string labelled = addHost("web-1", "server", "olivia", "Debian:12", {"test"});
  const std::string other = addHost("web-2", "server", "olivia", "Debian:12", {"production"});
  const std::string chosen = addHost("laptop-7", "endpoint", "bob", "Ubuntu:22.04");
  ASSERT_EQ(put("/api/v1/collections/test", {{"members", {chosen}}}).status, 200);

  EXPECT_EQ(hostIds("test"), sorted({labelled, chosen}));
  EXPECT_EQ(hostIds("production"), std::vector<std::string>{other});
}

TEST_F(CollectionRoutesTest, MembersByRule) {
  const std::string web_12 = addHost("web-1", "server", "olivia", "Debian:12");
  const std::string web_11 = addHost("WEB-2", "server", "olivia", "Debian:11");
  addHost("db-1", "server", "olivia", "Debian:12");
  addHost("web-3", "endpoint", "olivia", "Debian:12");
  addHost("web-4", "server", "olivia", "Ubuntu:22.04");
  const auto created =
      post("/api/v1/collections",
           {{"id", "debian-web"},
            {"name", "Debian web servers"},
            {"rule", {{"os_ecosystem", "Debian:"}, {"kind", "server"}, {"hostname", "web-*"}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(bodyOf(created)["type"], "rule");
  EXPECT_EQ(bodyOf(created)["rule"]["owner"], nullptr);

  EXPECT_EQ(hostIds("debian-web"), sorted({web_12, web_11}));
}

TEST_F(CollectionRoutesTest, RevokedHostLeavesCollection) {
  const std::string host = addHost("web-1", "server", "olivia", "Debian:12", {"test"});
  auto revoked = database_->write(
      [&](store::Session& session) { return store::setHostStatus(session, host, "revoked"); });
  ASSERT_TRUE(revoked);
  EXPECT_TRUE(hostIds("test").empty());
}

TEST_F(CollectionRoutesTest, RuleCanBecomeStatic) {
  addHost("web-1", "server", "olivia", "Debian:12");
  ASSERT_EQ(post("/api/v1/collections",
                 {{"id", "web"}, {"name", "Web"}, {"rule", {{"hostname", "web-*"}}}})
                .status,
            201);
  ASSERT_EQ(hostIds("web").size(), 1u);
  const auto response = put("/api/v1/collections/web", {{"rule", nullptr}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(bodyOf(response)["type"], "static");
  EXPECT_TRUE(hostIds("web").empty());
}

TEST_F(CollectionRoutesTest, HostsPaged) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(addHost("h", "server", "", "Debian:12", {"pilot"}));
  ids = sorted(ids);

  const auto first =
      call("GET", "/api/v1/collections/pilot/hosts", adminToken(), "", {{"limit", "2"}});
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(bodyOf(first)["items"].size(), 2u);
  EXPECT_EQ(bodyOf(first)["next_after"], ids[1]);

  const auto second = call("GET", "/api/v1/collections/pilot/hosts", adminToken(), "",
                           {{"limit", "2"}, {"after", ids[1]}});
  ASSERT_EQ(second.status, 200) << second.body;
  ASSERT_EQ(bodyOf(second)["items"].size(), 1u);
  EXPECT_EQ(bodyOf(second)["items"][0]["id"], ids[2]);
  EXPECT_EQ(bodyOf(second)["next_after"], nullptr);
}

TEST_F(CollectionRoutesTest, BadPageLimitRejected) {
  const auto response =
      call("GET", "/api/v1/collections/pilot/hosts", adminToken(), "", {{"limit", "0"}});
  EXPECT_EQ(response.status, 400);
}

TEST_F(CollectionRoutesTest, OwnerSeesOwnHostsOnly) {
  const std::string mine = addHost("a", "endpoint", "olivia", "Debian:12", {"test"});
  addHost("b", "endpoint", "bob", "Debian:12", {"test"});
  const std::string owner = userToken("olivia", {"owner"});
  const auto response = call("GET", "/api/v1/collections/test/hosts", owner);
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_EQ(bodyOf(response)["items"].size(), 1u);
  EXPECT_EQ(bodyOf(response)["items"][0]["id"], mine);
}

TEST_F(CollectionRoutesTest, IntegratorFunctionsAgree) {
  const std::string host = addHost("web-1", "server", "olivia", "Debian:12", {"pilot"});
  addHost("db-1", "server", "olivia", "Debian:12", {"pilot"});
  ASSERT_EQ(post("/api/v1/collections",
                 {{"id", "web"}, {"name", "Web"}, {"rule", {{"hostname", "web-*"}}}})
                .status,
            201);

  std::vector<std::string> of_host;
  std::vector<std::string> in_web;
  auto read = database_->read([&](store::Session& session) -> Result<void> {
    auto collections = collectionsOfHost(session, host);
    if (!collections) return tl::unexpected(collections.error());
    of_host = *collections;
    auto hosts = hostsInCollection(session, "web");
    if (!hosts) return tl::unexpected(hosts.error());
    in_web = *hosts;
    return {};
  });
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(of_host, (std::vector<std::string>{"pilot", "web"}));
  EXPECT_EQ(in_web, std::vector<std::string>{host});
}

TEST_F(CollectionRoutesTest, IntegratorUnknownIdsFail) {
  auto read = database_->read([&](store::Session& session) -> Result<void> {
    auto hosts = hostsInCollection(session, "nowhere");
    EXPECT_FALSE(hosts);
    if (!hosts) {
      EXPECT_EQ(hosts.error().code, ErrorCode::kNotFound);
    }
    auto collections = collectionsOfHost(session, "h-0000000000000000");
    EXPECT_FALSE(collections);
    if (!collections) {
      EXPECT_EQ(collections.error().code, ErrorCode::kNotFound);
    }
    return {};
  });
  ASSERT_TRUE(read);
}

// 10,000 hosts: membership is computed in a fixed number of queries, so it
// gives the same answer as a plain loop over the hosts without a query per
// host. The elapsed time is recorded, not asserted, because shared CI
// machines vary.
TEST_F(CollectionRoutesTest, TenThousandHosts) {
  constexpr int kHosts = 10000;
  std::vector<std::string> ids(kHosts);
  auto written = database_->write([&](store::Session& session) -> Result<void> {
    for (int i = 0; i < kHosts; ++i) {
      store::HostRecord host;
      host.id = fmt::format("h-{:016x}", i);
      host.hostname = fmt::format("{}-{:05d}", i % 5 == 0 ? "web" : "db", i);
      host.machine_id = host.id;
      host.kind = i % 2 == 0 ? "server" : "endpoint";
      host.os_ecosystem = i % 4 == 0 ? "Ubuntu:22.04" : "Debian:12";
      if (i % 10 == 0) host.collections = {"pilot"};
      host.enrolled_at = clock_.now();
      if (auto inserted = store::insertHost(session, host); !inserted) return inserted;
      ids[static_cast<std::size_t>(i)] = host.id;
    }
    return {};
  });
  ASSERT_TRUE(written) << written.error().message;
  ASSERT_EQ(
      post("/api/v1/collections",
           {{"id", "debian-web"},
            {"name", "Debian web servers"},
            {"rule", {{"os_ecosystem", "Debian:"}, {"kind", "server"}, {"hostname", "web-*"}}}})
          .status,
      201);

  std::vector<std::string> expected_rule;
  std::vector<std::string> expected_pilot;
  for (int i = 0; i < kHosts; ++i) {
    if (i % 10 == 0 && i % 4 != 0) expected_rule.push_back(ids[static_cast<std::size_t>(i)]);
    if (i % 10 == 0) expected_pilot.push_back(ids[static_cast<std::size_t>(i)]);
  }

  std::vector<std::string> in_rule;
  std::vector<std::string> in_pilot;
  std::vector<std::string> of_host;
  const auto started = std::chrono::steady_clock::now();
  auto read = database_->read([&](store::Session& session) -> Result<void> {
    auto rule = hostsInCollection(session, "debian-web");
    if (!rule) return tl::unexpected(rule.error());
    in_rule = *rule;
    auto pilot = hostsInCollection(session, "pilot");
    if (!pilot) return tl::unexpected(pilot.error());
    in_pilot = *pilot;
    auto collections = collectionsOfHost(session, ids[10]);
    if (!collections) return tl::unexpected(collections.error());
    of_host = *collections;
    return {};
  });
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(read) << read.error().message;
  RecordProperty(
      "membership_milliseconds",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));

  EXPECT_EQ(in_rule.size(), 500u);
  EXPECT_EQ(in_rule, expected_rule);
  EXPECT_EQ(in_pilot, expected_pilot);
  EXPECT_EQ(of_host, (std::vector<std::string>{"debian-web", "pilot"}));
}

TEST_F(CollectionRoutesTest, CollectionInRingNotDeleted) {
  const auto response = call("DELETE", "/api/v1/collections/pilot", adminToken());
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(errorCode(response), "collection_in_use");
  EXPECT_EQ(call("GET", "/api/v1/collections/pilot", adminToken()).status, 200);
}

TEST_F(CollectionRoutesTest, CollectionOfRunningDeploymentKept) {
  ASSERT_EQ(post("/api/v1/collections", {{"id", "lab"}, {"name", "Lab"}}).status, 201);
  store::DeploymentRecord deployment;
  deployment.id = store::newDeploymentId();
  deployment.name = "lab updates";
  deployment.ring_sequence = "lab-only";
  deployment.available_at = clock_.now();
  deployment.deadline = clock_.now() + std::chrono::hours(24);
  deployment.created_by = "user:admin";
  deployment.created_at = clock_.now();
  deployment.updated_at = clock_.now();
  deployment.patch_ids = {"p-00000000000000a1"};
  deployment.rings = {{.position = 0,
                       .name = "Lab",
                       .collection = "lab",
                       .min_soak_seconds = 0,
                       .min_success_ratio = 1.0,
                       .max_failures = 0}};
  ASSERT_TRUE(database_->write(
      [&](store::Session& session) { return store::insertDeployment(session, deployment); }));

  const auto refused = call("DELETE", "/api/v1/collections/lab", adminToken());
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(errorCode(refused), "collection_in_use");
  EXPECT_NE(refused.body.find(deployment.id), std::string::npos) << refused.body;

  deployment.status = std::string(store::kDeploymentCancelled);
  ASSERT_TRUE(database_->write([&](store::Session& session) {
    return store::updateDeploymentProgress(session, deployment);
  }));
  EXPECT_EQ(call("DELETE", "/api/v1/collections/lab", adminToken()).status, 204);
}

TEST_F(CollectionRoutesTest, DefaultSequenceListed) {
  const auto response = call("GET", "/api/v1/ring-sequences/default", adminToken());
  ASSERT_EQ(response.status, 200) << response.body;
  const auto rings = bodyOf(response)["rings"];
  ASSERT_EQ(rings.size(), 3u);
  EXPECT_EQ(rings[0]["collection"], "test");
  EXPECT_EQ(rings[0]["min_soak_seconds"], 86400);
  EXPECT_EQ(rings[1]["collection"], "pilot");
  EXPECT_EQ(rings[1]["max_failures"], 2);
  EXPECT_EQ(rings[2]["collection"], "production");
}

TEST_F(CollectionRoutesTest, SequenceCreateUpdateDelete) {
  const auto created = post(
      "/api/v1/ring-sequences",
      {{"id", "quick"},
       {"name", "Pilot then Production"},
       {"rings",
        {{{"collection", "pilot"}, {"min_soak_seconds", 3600}}, {{"collection", "production"}}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(bodyOf(created)["rings"][0]["min_success_ratio"], 1.0);

  const auto updated = put("/api/v1/ring-sequences/quick",
                           {{"rings", {{{"collection", "test"}, {"min_success_ratio", 0.5}}}}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(bodyOf(updated)["rings"].size(), 1u);
  EXPECT_EQ(bodyOf(updated)["name"], "Pilot then Production");

  const auto listed = call("GET", "/api/v1/ring-sequences", adminToken());
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(bodyOf(listed)["items"].size(), 2u);

  EXPECT_EQ(call("DELETE", "/api/v1/ring-sequences/quick", adminToken()).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/ring-sequences/quick", adminToken()).status, 404);
  EXPECT_EQ(auditEvents("ring_sequence.create").size(), 1u);
  EXPECT_EQ(auditEvents("ring_sequence.update").size(), 1u);
  EXPECT_EQ(auditEvents("ring_sequence.delete").size(), 1u);
}

TEST_F(CollectionRoutesTest, LoopingSequenceRejected) {
  const auto response = post(
      "/api/v1/ring-sequences",
      {{"id", "loop"},
       {"name", "Loop"},
       {"rings", {{{"collection", "test"}}, {{"collection", "pilot"}}, {{"collection", "test"}}}}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorMessage(response).rfind("ring sequence loops: test -> pilot -> test", 0), 0u)
      << response.body;
  EXPECT_EQ(call("GET", "/api/v1/ring-sequences/loop", adminToken()).status, 404);
}

TEST_F(CollectionRoutesTest, BadGatesRejected) {
  struct Case {
    nlohmann::json ring;
    std::string text;
  };
  const std::vector<Case> cases = {
      {{{"collection", "test"}, {"min_success_ratio", 1.5}}, "min_success_ratio 1.5 is impossible"},
      {{{"collection", "test"}, {"min_success_ratio", -0.5}}, "is impossible"},
      {{{"collection", "test"}, {"min_success_ratio", "high"}}, "min_success_ratio"},
      {{{"collection", "test"}, {"min_soak_seconds", -60}}, "min_soak_seconds"},
      {{{"collection", "test"}, {"max_failures", -1}}, "max_failures"},
      {{{"collection", "test"}, {"soak", 60}}, "rings[0].soak"},
      {{{"min_soak_seconds", 60}}, "rings[0].collection"},
  };
  for (const auto& c : cases) {
    const auto response =
        post("/api/v1/ring-sequences", {{"id", "bad"}, {"name", "Bad"}, {"rings", {c.ring}}});
    EXPECT_EQ(response.status, 400) << c.ring.dump();
    EXPECT_NE(errorMessage(response).find(c.text), std::string::npos)
        << c.ring.dump() << " -> " << response.body;
  }
}

TEST_F(CollectionRoutesTest, EmptySequenceRejected) {
  const auto response =
      post("/api/v1/ring-sequences",
           {{"id", "none"}, {"name", "None"}, {"rings", nlohmann::json::array()}});
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(errorMessage(response).find("at least one ring"), std::string::npos);
}

TEST_F(CollectionRoutesTest, UnknownRingCollectionRejected) {
  const auto response = post("/api/v1/ring-sequences",
                             {{"id", "x"}, {"name", "X"}, {"rings", {{{"collection", "canary"}}}}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "unknown_collection");
  EXPECT_NE(errorMessage(response).find("\"canary\""), std::string::npos);
}

TEST_F(CollectionRoutesTest, BoundsDefaultsAndUpdate) {
  const auto defaults = call("GET", "/api/v1/restart-policy-bounds", adminToken());
  ASSERT_EQ(defaults.status, 200);
  EXPECT_EQ(bodyOf(defaults)["max_restart_deadline_seconds"], 86400);
  EXPECT_EQ(bodyOf(defaults)["min_countdown_seconds"], 5400);

  const auto raised =
      put("/api/v1/restart-policy-bounds", {{"max_restart_deadline_seconds", 172800}});
  ASSERT_EQ(raised.status, 200) << raised.body;
  EXPECT_EQ(auditEvents("restart_policy_bounds.update").size(), 1u);

  const auto response =
      put("/api/v1/collections/test", {{"restart_policy", {{"restart_deadline_seconds", 172800}}}});
  EXPECT_EQ(response.status, 200) << response.body;
}

TEST_F(CollectionRoutesTest, BoundsBreakingCollectionConflict) {
  const auto response = put("/api/v1/restart-policy-bounds", {{"min_countdown_seconds", 7200}});
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(errorCode(response), "collection_outside_bounds");
  const auto unchanged = call("GET", "/api/v1/restart-policy-bounds", adminToken());
  EXPECT_EQ(bodyOf(unchanged)["min_countdown_seconds"], 5400);
}

TEST_F(CollectionRoutesTest, ImpossibleBoundsRejected) {
  const auto response =
      put("/api/v1/restart-policy-bounds",
          {{"max_restart_deadline_seconds", 3600}, {"min_countdown_seconds", 5400}});
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(errorCode(response), "invalid_bounds");
}

TEST_F(CollectionRoutesTest, RoutesDocumented) {
  const auto missing = routesMissingFromOpenApi(openApiDocument("test"), router_->routes());
  for (const auto& [method, pattern] : missing) ADD_FAILURE() << method << " " << pattern;
  EXPECT_TRUE(missing.empty());
}

}  // namespace
}  // namespace pk::server::host_tests
