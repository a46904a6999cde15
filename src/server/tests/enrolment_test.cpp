#include "server/enrolment.h"

#include <gtest/gtest.h>

#include <regex>

#include "server/tests/host_server_fixture.h"
#include "store/audit_repository.h"
#include "store/enrolment_repository.h"

namespace pk::server::host_tests {
namespace {

using std::chrono::hours;

class EnrolmentTest : public HostServerTest {
 protected:
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

  nlohmann::json showHost(const std::string& host_id) {
    const auto response = call("GET", "/api/v1/hosts/" + host_id, adminToken());
    EXPECT_EQ(response.status, 200) << response.body;
    return bodyOf(response);
  }
};

TEST_F(EnrolmentTest, NewHostTakesSecretsSettings) {
  const std::string secret = createSecret(
      {{"kind", "endpoint"}, {"owner", "olivia"}, {"collections", {"laptops", "finance"}}});
  const auto response = enrol(secret, "machine-1", "laptop-7");
  ASSERT_EQ(response.status, 201) << response.body;

  auto enrolled = protocol::parseEnrolResponse(response.body);
  ASSERT_TRUE(enrolled) << response.body;
  EXPECT_TRUE(std::regex_match(enrolled->host_id, std::regex("h-[0-9a-f]{16}")));
  EXPECT_TRUE(std::regex_match(enrolled->token, std::regex("[0-9a-f]{64}")));

  const auto host = showHost(enrolled->host_id);
  EXPECT_EQ(host["hostname"], "laptop-7");
  EXPECT_EQ(host["machine_id"], "machine-1");
  EXPECT_EQ(host["kind"], "endpoint");
  EXPECT_EQ(host["owner"], "olivia");
  EXPECT_EQ(host["collections"], nlohmann::json({"finance", "laptops"}));
  EXPECT_EQ(host["status"], "active");
  EXPECT_EQ(host["enrolled_at"], "2026-12-01T00:00:00Z");

  const auto events = auditEvents("host.enrol");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor, "host:" + enrolled->host_id);
  EXPECT_EQ(events[0].object_id, enrolled->host_id);
  EXPECT_EQ(nlohmann::json::parse(events[0].after_json)["enrolment_secret"]["name"], "test secret");

  // The token works for the host's own reports.
  const auto report = sendReport(*enrolled, makeReport(inventoryOf({"bash"}), true));
  EXPECT_EQ(report.status, 200) << report.body;
}

TEST_F(EnrolmentTest, SecretCountsItsUses) {
  const std::string secret = createSecret();
  ASSERT_EQ(enrol(secret, "machine-1").status, 201);
  ASSERT_EQ(enrol(secret, "machine-2").status, 201);

  const auto listed = call("GET", "/api/v1/enrolment-secrets", adminToken());
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto items = bodyOf(listed)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["use_count"], 2);
  EXPECT_EQ(items[0]["status"], "active");
  EXPECT_FALSE(items[0].contains("secret"));
}

TEST_F(EnrolmentTest, ExpiredSecretIsRejected) {
  const std::string secret = createSecret({{"expires_in_hours", 1}});
  clock_.advance(hours(1));

  const auto response = enrol(secret, "machine-1");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errorCode(response), "expired_enrolment_secret");

  const auto listed = bodyOf(call("GET", "/api/v1/enrolment-secrets", adminToken()));
  EXPECT_EQ(listed["items"][0]["status"], "expired");
  EXPECT_EQ(listed["items"][0]["use_count"], 0);
}

TEST_F(EnrolmentTest, UnknownSecretIsRejected) {
  createSecret();
  const auto response = enrol(std::string(64, 'f'), "machine-1");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errorCode(response), "invalid_enrolment_secret");
}

TEST_F(EnrolmentTest, RevokedSecretIsRejected) {
  const std::string secret = createSecret();
  const auto id = bodyOf(call("GET", "/api/v1/enrolment-secrets", adminToken()))["items"][0]["id"];
  const auto revoked =
      call("DELETE", fmt::format("/api/v1/enrolment-secrets/{}", id.get<int>()), adminToken());
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(bodyOf(revoked)["status"], "revoked");

  const auto response = enrol(secret, "machine-1");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errorCode(response), "invalid_enrolment_secret");
  EXPECT_EQ(auditEvents("enrolment_secret.revoke").size(), 1u);
}

TEST_F(EnrolmentTest, MalformedRequestIsRejected) {
  const auto not_json = call("POST", "/api/v1/enrol", "", "{\"secret\": ");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(errorCode(not_json), "invalid_request");

  const auto missing_field = call("POST", "/api/v1/enrol", "", R"({"secret": "abc"})");
  EXPECT_EQ(missing_field.status, 400);
  EXPECT_EQ(errorCode(missing_field), "invalid_request");

  for (const char* machine_id : {"with space", "line\nbreak", "caf\u00e9"}) {
    const nlohmann::json body = {
        {"secret", std::string(64, 'a')}, {"hostname", "web-1"}, {"machine_id", machine_id}};
    const auto response = call("POST", "/api/v1/enrol", "", body.dump());
    EXPECT_EQ(response.status, 400) << machine_id;
    EXPECT_EQ(errorCode(response), "invalid_request") << machine_id;
  }

  const auto control_hostname =
      call("POST", "/api/v1/enrol", "",
           R"({"secret": "abc", "hostname": "web\u001b[31m", "machine_id": "m-1"})");
  EXPECT_EQ(control_hostname.status, 400);

  const auto empty_machine = call("POST", "/api/v1/enrol", "",
                                  R"({"secret": "abc", "hostname": "web-1", "machine_id": ""})");
  EXPECT_EQ(empty_machine.status, 400);
  EXPECT_EQ(errorCode(empty_machine), "invalid_request");
}

TEST_F(EnrolmentTest, ReenrolmentNeedsApproval) {
  const std::string secret = createSecret();
  const auto first = enrol(secret, "machine-1");
  ASSERT_EQ(first.status, 201) << first.body;
  const auto original = *protocol::parseEnrolResponse(first.body);

  // A second enrolment of the same machine, as with a leaked secret.
  const auto refused = enrol(secret, "machine-1", "impostor");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(errorCode(refused), "already_enrolled");
  EXPECT_NE(bodyOf(refused)["error"]["message"].get<std::string>().find(original.host_id),
            std::string::npos);
  EXPECT_EQ(showHost(original.host_id)["hostname"], "web-1");

  const auto approved =
      call("POST", "/api/v1/hosts/" + original.host_id + "/approve-reenrolment", adminToken());
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(bodyOf(approved)["reenrolment_approved_until"], "2026-12-02T00:00:00Z");

  clock_.advance(hours(2));
  const auto again = enrol(secret, "machine-1", "web-1-reinstalled");
  ASSERT_EQ(again.status, 201) << again.body;
  const auto renewed = *protocol::parseEnrolResponse(again.body);
  EXPECT_EQ(renewed.host_id, original.host_id);
  EXPECT_NE(renewed.token, original.token);

  // The old token is revoked; the new one works.
  const auto old_report = sendReport(original, makeReport(inventoryOf({"bash"}), true));
  EXPECT_EQ(old_report.status, 401);
  const auto new_report = sendReport(renewed, makeReport(inventoryOf({"bash"}), true));
  EXPECT_EQ(new_report.status, 200) << new_report.body;

  const auto host = showHost(original.host_id);
  EXPECT_EQ(host["hostname"], "web-1");  // the report's hostname
  EXPECT_TRUE(host["reenrolment_approved_until"].is_null());
  EXPECT_EQ(auditEvents("host.reenrol").size(), 1u);

  // The approval was used up.
  const auto third = enrol(secret, "machine-1");
  EXPECT_EQ(third.status, 409);
}

TEST_F(EnrolmentTest, ApprovalLapsesAfterADay) {
  const std::string secret = createSecret({{"expires_in_hours", 100}});
  const auto original = *protocol::parseEnrolResponse(enrol(secret, "machine-1").body);
  ASSERT_EQ(call("POST", "/api/v1/hosts/" + original.host_id + "/approve-reenrolment", adminToken())
                .status,
            200);

  clock_.advance(hours(24));
  const auto response = enrol(secret, "machine-1");
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(errorCode(response), "already_enrolled");
}

TEST_F(EnrolmentTest, RevokedHostsMachineEnrolsAsNewHost) {
  const std::string secret = createSecret();
  const auto original = *protocol::parseEnrolResponse(enrol(secret, "machine-1").body);
  ASSERT_EQ(call("POST", "/api/v1/hosts/" + original.host_id + "/revoke", adminToken()).status,
            200);

  const auto response = enrol(secret, "machine-1");
  ASSERT_EQ(response.status, 201) << response.body;
  EXPECT_NE(protocol::parseEnrolResponse(response.body)->host_id, original.host_id);
}

TEST_F(EnrolmentTest, SecretIsStoredOnlyAsHash) {
  const std::string secret = createSecret();
  ASSERT_TRUE(std::regex_match(secret, std::regex("[0-9a-f]{64}")));

  std::vector<store::EnrolmentSecretRecord> stored;
  auto read = database_->read([&](store::Session& session) -> Result<void> {
    auto listed = store::listEnrolmentSecrets(session);
    if (!listed) return tl::unexpected(listed.error());
    stored = std::move(*listed);
    return {};
  });
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].secret_hash, hashEnrolmentSecret(secret));
  EXPECT_NE(stored[0].secret_hash, secret);

  const auto events = auditEvents("enrolment_secret.create");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor, "user:admin");
  EXPECT_EQ(events[0].after_json.find(secret), std::string::npos);
}

TEST_F(EnrolmentTest, SecretFieldsAreValidated) {
  const nlohmann::json good = {{"name", "servers"}, {"kind", "server"}, {"expires_in_hours", 24}};
  struct Case {
    const char* field;
    nlohmann::json value;  // null removes the field
  };
  const std::vector<Case> cases = {
      {"name", nullptr},
      {"name", ""},
      {"name", 7},
      {"kind", nullptr},
      {"kind", "laptop"},
      {"owner", "bad\nowner"},
      {"owner", 3},
      {"collections", "web"},
      {"collections", {"web", "no spaces"}},
      {"collections", {""}},
      {"expires_in_hours", nullptr},
      {"expires_in_hours", 0},
      {"expires_in_hours", -5},
      {"expires_in_hours", 1.5},
      {"expires_in_hours", 100000000},
      {"expires_in_hours", "24"},
  };
  const std::string token = adminToken();
  for (const auto& test_case : cases) {
    nlohmann::json body = good;
    if (test_case.value.is_null()) {
      body.erase(test_case.field);
    } else {
      body[test_case.field] = test_case.value;
    }
    const auto response = call("POST", "/api/v1/enrolment-secrets", token, body.dump());
    EXPECT_EQ(response.status, 400) << body.dump();
    EXPECT_EQ(errorCode(response), "invalid_field") << body.dump();
  }

  nlohmann::json both = good;
  both["expires_at"] = "2027-01-01T00:00:00Z";
  EXPECT_EQ(call("POST", "/api/v1/enrolment-secrets", token, both.dump()).status, 400);

  nlohmann::json past = good;
  past.erase("expires_in_hours");
  past["expires_at"] = "2026-11-30T00:00:00Z";
  EXPECT_EQ(call("POST", "/api/v1/enrolment-secrets", token, past.dump()).status, 400);

  nlohmann::json future = good;
  future.erase("expires_in_hours");
  future["expires_at"] = "2027-01-01T00:00:00Z";
  const auto created = call("POST", "/api/v1/enrolment-secrets", token, future.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(bodyOf(created)["expires_at"], "2027-01-01T00:00:00Z");

  // Only the last request stored a secret.
  const auto listed = bodyOf(call("GET", "/api/v1/enrolment-secrets", token));
  EXPECT_EQ(listed["items"].size(), 1u);
}

TEST_F(EnrolmentTest, SecretRoutesNeedManageEnrolment) {
  const std::string viewer = userToken("vera", {"viewer"});
  const std::string body = R"({"name": "x", "kind": "server", "expires_in_hours": 1})";

  EXPECT_EQ(call("POST", "/api/v1/enrolment-secrets", viewer, body).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/enrolment-secrets", viewer).status, 403);
  EXPECT_EQ(call("DELETE", "/api/v1/enrolment-secrets/1", viewer).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/enrolment-secrets", "").status, 401);

  const std::string operator_token = userToken("otto", {"operator"});
  EXPECT_EQ(call("POST", "/api/v1/enrolment-secrets", operator_token, body).status, 201);
}

TEST_F(EnrolmentTest, RevokingUnknownSecretIsNotFound) {
  const auto response = call("DELETE", "/api/v1/enrolment-secrets/99", adminToken());
  EXPECT_EQ(response.status, 404);
}

TEST(EnrolmentSecretTest, HashIsStableBlake2b) {
  // BLAKE2b-256 of the empty string, as coreutils' `b2sum -l 256` prints it.
  EXPECT_EQ(hashEnrolmentSecret(""),
            "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(hashEnrolmentSecret("abc"), hashEnrolmentSecret("abc"));
  EXPECT_NE(hashEnrolmentSecret("abc"), hashEnrolmentSecret("abd"));
}

TEST(EnrolmentSecretTest, GeneratedSecretsDiffer) {
  const std::string first = generateEnrolmentSecret();
  EXPECT_TRUE(std::regex_match(first, std::regex("[0-9a-f]{64}")));
  EXPECT_NE(first, generateEnrolmentSecret());
}

TEST(CollectionNameTest, AcceptsOnlyPlainNames) {
  EXPECT_TRUE(isValidCollectionName("web"));
  EXPECT_TRUE(isValidCollectionName("Ring-1_pilot.eu"));
  EXPECT_TRUE(isValidCollectionName(std::string(64, 'a')));
  EXPECT_FALSE(isValidCollectionName(""));
  EXPECT_FALSE(isValidCollectionName(std::string(65, 'a')));
  EXPECT_FALSE(isValidCollectionName("two words"));
  EXPECT_FALSE(isValidCollectionName("line\nbreak"));
  EXPECT_FALSE(isValidCollectionName("caf\xc3\xa9"));
}

}  // namespace
}  // namespace pk::server::host_tests
