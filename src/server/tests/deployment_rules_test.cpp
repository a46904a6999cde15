#include "server/deployment_rules.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "server/calendar.h"
#include "server/deployment_rule_routes.h"
#include "server/tests/window_fixture.h"
#include "store/deployment_repository.h"
#include "store/deployment_rule_repository.h"
#include "store/inventory_repository.h"

namespace pk::server::host_tests {
namespace {

using nlohmann::json;
using std::chrono::hours;

constexpr const char* kPatch = "p-00000000000000a1";

SystemTime utc(int y, unsigned m, unsigned d, int hour, int minute = 0) {
  using namespace std::chrono;
  return SystemTime(sys_days(year(y) / month(m) / day(d))) + hours(hour) + minutes(minute);
}

// Deployment rules over the real store and routes, with the patch catalog
// and ring sequences replaced by small maps as in deployment_routes_test.
class DeploymentRulesTest : public WindowServerTest {
 protected:
  void SetUp() override {
    WindowServerTest::SetUp();
    if (HasFatalFailure()) return;
    services_.hosts_in_collection =
        [](store::Session& session,
           const std::string& collection) -> Result<std::vector<std::string>> {
      auto rows = session.query(
          "SELECT host_id FROM host_collections WHERE collection = ? ORDER BY host_id",
          {collection});
      if (!rows) return tl::unexpected(rows.error());
      std::vector<std::string> hosts;
      for (const auto& row : *rows) hosts.push_back(row.text(0));
      return hosts;
    };
    services_.ring_sequence = [](store::Session&,
                                 const std::string& id) -> Result<std::optional<RingSequenceSpec>> {
      if (id != "default") return std::optional<RingSequenceSpec>();
      return std::optional<RingSequenceSpec>(RingSequenceSpec{
          "default",
          "Default",
          {{"Test", "test", {.min_soak = hours(24), .min_success_ratio = 1.0}},
           {"Production", "production", {.min_soak = hours(0), .min_success_ratio = 0.9}}}});
    };
    services_.patch_status = [this](store::Session&, const std::string& id) -> Result<PatchStatus> {
      return approved_.count(id) > 0 ? PatchStatus::kApproved : PatchStatus::kUnknown;
    };
    services_.approved_patches =
        [this](store::Session&,
               const std::optional<std::string>&) -> Result<std::vector<std::string>> {
      return std::vector<std::string>(approved_.begin(), approved_.end());
    };
    // A host needs the patch while its "openssl" is below 3.0-1.
    services_.install_plan = [](store::Session& session, const std::string& host_id,
                                const std::vector<std::string>&) -> Result<HostInstallPlan> {
      auto inventory = store::loadInventory(session, host_id);
      if (!inventory) return tl::unexpected(inventory.error());
      HostInstallPlan plan;
      if (!*inventory) return plan;
      for (const auto& package : (*inventory)->packages) {
        if (package.name == "openssl" && package.version < "3.0-1") {
          plan.packages.push_back({"openssl", "3.0-1"});
        }
      }
      return plan;
    };
    approved_.insert(kPatch);
    addDeploymentRuleRoutes(*router_, *context_);
  }

  // Enrols a server in the "test" collection that needs the patch.
  void targetServer() {
    auto host = enrolHost("machine-target", {{"collections", {"test"}}});
    auto inventory = inventoryOf({"openssl", "bash"});
    const auto response = sendReport(host, makeReport(inventory, true));
    ASSERT_EQ(response.status, 200) << response.body;
  }

  // Patch Tuesday + 1 day, 09:00 in New York, deadline a week later.
  static json ruleBody(const json& fields = {}) {
    json body = {{"name", "Patch Tuesday + 1"},
                 {"rrule", "FREQ=MONTHLY;BYDAY=2TU"},
                 {"start_local", "2026-01-01T09:00:00"},
                 {"zone", "America/New_York"},
                 {"offset_days", 1},
                 {"deadline_seconds", 7 * 86400}};
    for (const auto& [key, value] : fields.items()) body[key] = value;
    return body;
  }

  Response createRule(const json& fields = {}) {
    return call("POST", "/api/v1/deployment-rules", adminToken(), ruleBody(fields).dump());
  }

  std::string ruleId(const json& fields = {}) {
    const auto response = createRule(fields);
    EXPECT_EQ(response.status, 201) << response.body;
    return bodyOf(response).value("id", "");
  }

  std::vector<std::string> runAt(SystemTime now) {
    clock_.setNow(now);
    std::vector<std::string> created;
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      auto ran = runDeploymentRules(session, services_, now);
      if (!ran) return tl::unexpected(ran.error());
      created = *ran;
      return {};
    });
    EXPECT_TRUE(written) << written.error().message;
    return created;
  }

  store::DeploymentRecord deployment(const std::string& id) {
    std::optional<store::DeploymentRecord> found;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      auto got = store::getDeployment(session, id);
      if (!got) return tl::unexpected(got.error());
      found = *got;
      return {};
    });
    EXPECT_TRUE(read);
    EXPECT_TRUE(found.has_value());
    return found.value_or(store::DeploymentRecord{});
  }

  store::DeploymentRuleRecord rule(const std::string& id) {
    std::optional<store::DeploymentRuleRecord> found;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      auto got = store::getDeploymentRule(session, id);
      if (!got) return tl::unexpected(got.error());
      found = *got;
      return {};
    });
    EXPECT_TRUE(read);
    EXPECT_TRUE(found.has_value());
    return found.value_or(store::DeploymentRuleRecord{});
  }

  DeploymentServices services_;
  std::set<std::string> approved_;
};

TEST_F(DeploymentRulesTest, CreateReturnsNextOccurrence) {
  const auto response = createRule();
  ASSERT_EQ(response.status, 201) << response.body;
  // December 2026: the second Tuesday is the 8th, so the 9th, 09:00 EST.
  EXPECT_EQ(bodyOf(response).value("next_available_at", ""), "2026-12-09T14:00:00Z");
}

TEST_F(DeploymentRulesTest, CreateIsAudited) {
  const std::string id = ruleId();
  const auto events = auditEvents("deployment_rule.create");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].object_id, id);
}

TEST_F(DeploymentRulesTest, ListShowsRules) {
  const std::string id = ruleId();
  const auto response = call("GET", "/api/v1/deployment-rules", adminToken());
  ASSERT_EQ(response.status, 200) << response.body;
  const json rules = bodyOf(response).at("deployment_rules");
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].value("id", ""), id);
}

TEST_F(DeploymentRulesTest, BadBodiesNameTheField) {
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"rrule", nullptr}}, "\"rrule\""},
      {{{"rrule", "FREQ=HOURLY"}}, "\"rrule\""},
      {{{"rrule", "FREQ=DAILY;BYMINUTE=0,30"}}, "\"rrule\""},
      {{{"rrule", "FREQ=SOMETIMES"}}, "\"rrule\""},
      {{{"zone", "Mars/Olympus"}}, "\"zone\""},
      {{{"start_local", "2026-02-30T09:00"}}, "\"start_local\""},
      {{{"offset_days", 400}}, "\"offset_days\""},
      {{{"deadline_seconds", 0}}, "\"deadline_seconds\""},
      {{{"name", ""}}, "\"name\""},
      {{{"enabled", "yes"}}, "\"enabled\""},
      {{{"ecosystem", 12}}, "\"ecosystem\""},
  };
  for (const auto& [fields, field] : cases) {
    const auto response = createRule(fields);
    EXPECT_EQ(response.status, 400) << fields.dump();
    const std::string message = bodyOf(response)["error"].value("message", "");
    EXPECT_EQ(message.rfind("Field " + field, 0), 0u) << response.body;
  }
}

TEST_F(DeploymentRulesTest, DeleteRemovesRule) {
  const std::string id = ruleId();
  const auto deleted = call("DELETE", "/api/v1/deployment-rules/" + id, adminToken());
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  const auto again = call("DELETE", "/api/v1/deployment-rules/" + id, adminToken());
  EXPECT_EQ(again.status, 404) << again.body;
  EXPECT_EQ(auditEvents("deployment_rule.delete").size(), 1u);
}

TEST_F(DeploymentRulesTest, RunCreatesOnceAtOccurrence) {
  targetServer();
  const std::string id = ruleId();
  EXPECT_TRUE(runAt(utc(2026, 12, 9, 13, 59)).empty());
  const auto created = runAt(utc(2026, 12, 9, 14, 0));
  ASSERT_EQ(created.size(), 1u);
  const auto created_deployment = deployment(created[0]);
  EXPECT_EQ(created_deployment.rule_id, id);
  EXPECT_EQ(created_deployment.created_by, "rule:" + id);
  EXPECT_EQ(created_deployment.available_at, utc(2026, 12, 9, 14));
  EXPECT_EQ(created_deployment.deadline, utc(2026, 12, 16, 14));
  EXPECT_EQ(created_deployment.patch_ids, std::vector<std::string>{kPatch});
  EXPECT_EQ(created_deployment.name, "Patch Tuesday + 1 2026-12-09");
  EXPECT_TRUE(runAt(utc(2026, 12, 9, 15, 0)).empty());
}

TEST_F(DeploymentRulesTest, LongDowntimeCreatesOne) {
  targetServer();
  ruleId();
  // Down from December 1 to February 20: December, January and February
  // occurrences passed; only February's counts.
  const auto created = runAt(utc(2027, 2, 20, 0));
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(deployment(created[0]).available_at, utc(2027, 2, 10, 14));
}

TEST_F(DeploymentRulesTest, SpringDstShiftsUtcStart) {
  targetServer();
  ruleId();
  ASSERT_EQ(runAt(utc(2027, 3, 10, 14)).size(), 1u);  // March 10, 09:00 EST
  // Daylight time from March 14: April 14, 09:00 EDT is 13:00 UTC.
  EXPECT_TRUE(runAt(utc(2027, 4, 14, 12, 59)).empty());
  const auto april = runAt(utc(2027, 4, 14, 13));
  ASSERT_EQ(april.size(), 1u);
  EXPECT_EQ(deployment(april[0]).available_at, utc(2027, 4, 14, 13));
}

TEST_F(DeploymentRulesTest, FallDstShiftsUtcStart) {
  targetServer();
  ruleId();
  ASSERT_EQ(runAt(utc(2027, 10, 13, 13)).size(), 1u);  // October 13, 09:00 EDT
  // Standard time from November 7: November 10, 09:00 EST is 14:00 UTC.
  EXPECT_TRUE(runAt(utc(2027, 11, 10, 13, 30)).empty());
  const auto november = runAt(utc(2027, 11, 10, 14));
  ASSERT_EQ(november.size(), 1u);
  EXPECT_EQ(deployment(november[0]).available_at, utc(2027, 11, 10, 14));
}

TEST_F(DeploymentRulesTest, RejectionIsRecordedOnce) {
  const std::string id = ruleId();  // no host needs the patch
  EXPECT_TRUE(runAt(utc(2026, 12, 9, 14)).empty());
  const auto recorded = rule(id);
  EXPECT_EQ(recorded.last_created_for, utc(2026, 12, 9, 14));
  EXPECT_NE(recorded.last_result.find("no targets"), std::string::npos) << recorded.last_result;
  targetServer();
  EXPECT_TRUE(runAt(utc(2026, 12, 9, 15)).empty());
  EXPECT_EQ(runAt(utc(2027, 1, 13, 14)).size(), 1u);
}

TEST_F(DeploymentRulesTest, NoApprovedPatchIsRecorded) {
  targetServer();
  approved_.clear();
  const std::string id = ruleId();
  EXPECT_TRUE(runAt(utc(2026, 12, 9, 14)).empty());
  EXPECT_EQ(rule(id).last_result, "Not created: no approved patch to deploy.");
}

TEST_F(DeploymentRulesTest, DisabledRuleDoesNotRun) {
  targetServer();
  ruleId({{"enabled", false}});
  EXPECT_TRUE(runAt(utc(2026, 12, 9, 14)).empty());
}

TEST_F(DeploymentRulesTest, PastOccurrenceBeforeCreationIsSkipped) {
  targetServer();
  clock_.setNow(utc(2026, 12, 10, 0));
  ruleId();
  EXPECT_TRUE(runAt(utc(2026, 12, 20, 0)).empty());
}

TEST_F(DeploymentRulesTest, ViewerReadsButCannotCreate) {
  const std::string viewer = userToken("vera", {"viewer"});
  EXPECT_EQ(call("GET", "/api/v1/deployment-rules", viewer).status, 200);
  const auto created = call("POST", "/api/v1/deployment-rules", viewer, ruleBody().dump());
  EXPECT_EQ(created.status, 403) << created.body;
}

// Deployment dates, computed from a stored deployment.
store::DeploymentRecord threeRings() {
  store::DeploymentRecord deployment;
  deployment.id = "d-00000000000000aa";
  deployment.name = "December; patches, all";
  deployment.status = std::string(store::kDeploymentActive);
  deployment.available_at = utc(2026, 12, 9, 14);
  deployment.deadline = utc(2026, 12, 23, 14);
  deployment.rings = {
      {.position = 0, .name = "Test", .collection = "test", .min_soak_seconds = 86400},
      {.position = 1, .name = "Pilot", .collection = "pilot", .min_soak_seconds = 2 * 86400},
      {.position = 2, .name = "Production", .collection = "production"},
  };
  return deployment;
}

TEST(DeploymentDates, PlannedRingsAddSoaks) {
  const auto dates = deploymentDates(threeRings());
  ASSERT_EQ(dates.size(), 5u);
  EXPECT_EQ(dates[0].kind, "available");
  EXPECT_EQ(dates[1].at, utc(2026, 12, 9, 14));
  EXPECT_EQ(dates[2].at, utc(2026, 12, 10, 14));
  EXPECT_EQ(dates[3].at, utc(2026, 12, 12, 14));
  EXPECT_TRUE(dates[3].planned);
  EXPECT_EQ(dates[4].kind, "deadline");
}

TEST(DeploymentDates, EnteredRingMovesLaterPlans) {
  auto deployment = threeRings();
  deployment.rings[0].entered_at = utc(2026, 12, 9, 15);
  deployment.rings[1].entered_at = utc(2026, 12, 11, 8);
  const auto dates = deploymentDates(deployment);
  ASSERT_EQ(dates.size(), 5u);
  EXPECT_FALSE(dates[2].planned);
  EXPECT_EQ(dates[2].at, utc(2026, 12, 11, 8));
  EXPECT_EQ(dates[3].at, utc(2026, 12, 13, 8));
}

TEST(DeploymentDates, HaltMarksUnreachedCancelled) {
  auto deployment = threeRings();
  deployment.status = std::string(store::kDeploymentHalted);
  deployment.rings[0].entered_at = utc(2026, 12, 9, 15);
  const auto dates = deploymentDates(deployment);
  ASSERT_EQ(dates.size(), 5u);
  EXPECT_FALSE(dates[0].cancelled);
  EXPECT_FALSE(dates[1].cancelled);
  EXPECT_TRUE(dates[2].cancelled);
  EXPECT_TRUE(dates[4].cancelled);
}

TEST(DeploymentDates, ICalendarEventsAreEscapedInstants) {
  auto deployment = threeRings();
  deployment.status = std::string(store::kDeploymentCancelled);
  const std::string text = writeICalendar({}, deploymentDates(deployment),
                                          ICalendarOptions{.calendar_name = "test",
                                                           .generated_at = utc(2026, 12, 1, 0),
                                                           .from = utc(2026, 11, 1, 0),
                                                           .to = utc(2027, 1, 1, 0)});
  EXPECT_NE(text.find("UID:d-00000000000000aa-available@patchkeeper\r\n"), std::string::npos);
  EXPECT_NE(text.find("UID:d-00000000000000aa-ring-1@patchkeeper\r\n"), std::string::npos);
  EXPECT_NE(text.find("UID:d-00000000000000aa-deadline@patchkeeper\r\n"), std::string::npos);
  EXPECT_NE(text.find("DTSTART:20261209T140000Z\r\n"), std::string::npos);
  EXPECT_NE(text.find("SUMMARY:Deployment December\\; patches\\, all: available\r\n"),
            std::string::npos);
  EXPECT_NE(text.find("STATUS:CANCELLED\r\n"), std::string::npos);
  EXPECT_EQ(text.find("DTEND"), std::string::npos);
}

class DeploymentCalendarTest : public DeploymentRulesTest {
 protected:
  std::string feedToken(const std::string& token) {
    const auto response =
        call("POST", "/api/v1/calendar/feed-tokens", token, json{{"name", "phone"}}.dump());
    EXPECT_EQ(response.status, 201) << response.body;
    return bodyOf(response).value("token", "");
  }

  // A deployment made by a rule on 9 December 2026 at 14:00 UTC.
  std::string ruleDeployment() {
    targetServer();
    ruleId();
    const auto created = runAt(utc(2026, 12, 9, 14));
    EXPECT_EQ(created.size(), 1u);
    return created.empty() ? "" : created[0];
  }
};

TEST_F(DeploymentCalendarTest, CalendarListsDeploymentDates) {
  const std::string id = ruleDeployment();
  const auto response = call("GET", "/api/v1/calendar", adminToken(), "",
                             {{"from", "2026-12-01"}, {"to", "2027-01-01"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json dates = bodyOf(response).at("deployment_dates");
  ASSERT_EQ(dates.size(), 4u) << dates.dump();
  EXPECT_EQ(dates[0].value("deployment_id", ""), id);
  EXPECT_EQ(dates[0].value("at", ""), "2026-12-09T14:00:00Z");
  EXPECT_EQ(dates[2].value("at", ""), "2026-12-10T14:00:00Z");
  EXPECT_EQ(dates[3].value("type", ""), "deployment_deadline");
}

TEST_F(DeploymentCalendarTest, CalendarHidesDatesWithoutPermission) {
  ruleDeployment();
  const std::string owner = userToken("olivia", {"owner"});
  const auto response =
      call("GET", "/api/v1/calendar", owner, "", {{"from", "2026-12-01"}, {"to", "2027-01-01"}});
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_TRUE(bodyOf(response).at("deployment_dates").empty());
}

TEST_F(DeploymentCalendarTest, FeedUidsStayStable) {
  const std::string id = ruleDeployment();
  const std::string secret = feedToken(adminToken());
  auto uidsOf = [](const std::string& body) {
    std::istringstream lines(body);
    std::vector<std::string> uids;
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("UID:d-", 0) == 0) uids.push_back(line);
    }
    return uids;
  };
  const auto first = call("GET", "/calendar/" + secret + "/deployments.ics", "");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.content_type, "text/calendar; charset=utf-8");
  const auto uids = uidsOf(first.body);
  ASSERT_EQ(uids.size(), 4u) << first.body;
  EXPECT_EQ(uids[0], "UID:" + id + "-available@patchkeeper\r");
  clock_.advance(hours(30));
  const auto second = call("GET", "/calendar/" + secret + "/deployments.ics", "");
  EXPECT_EQ(uidsOf(second.body), uids);
}

TEST_F(DeploymentCalendarTest, AllFeedIncludesDeployments) {
  const std::string id = ruleDeployment();
  const std::string secret = feedToken(adminToken());
  const auto feed = call("GET", "/calendar/" + secret + "/all.ics", "");
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_NE(feed.body.find("UID:" + id + "-deadline@patchkeeper\r\n"), std::string::npos);
}

TEST_F(DeploymentCalendarTest, DeploymentFeedNeedsPermission) {
  ruleDeployment();
  const std::string secret = feedToken(userToken("olivia", {"owner"}));
  EXPECT_EQ(call("GET", "/calendar/" + secret + "/deployments.ics", "").status, 404);
}

}  // namespace
}  // namespace pk::server::host_tests
