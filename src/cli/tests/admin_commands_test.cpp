// Checks that each administration command sends the request its API route
// expects and prints the response, with a FakeTransport in place of the
// server. admin_commands_slow_test.cpp runs them against a real server.

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "cli/admin_host_commands.h"
#include "cli/admin_people_commands.h"
#include "cli/admin_session_commands.h"
#include "cli/admin_vulnerability_commands.h"
#include "cli/exit_codes.h"
#include "cli/tests/admin_fake_transport.h"
#include "tests/support/temporary_directory.h"

namespace pk::cli {
namespace {

using test::FakeContext;
using test_support::TemporaryDirectory;

const std::string kHostId = "h-0123456789abcdef";

nlohmann::json sentBody(const FakeContext& fake, std::size_t index = 0) {
  return nlohmann::json::parse(fake.transport.requests.at(index).body);
}

TEST(AdminHostCommands, ListSendsOnlyGivenFilters) {
  FakeContext fake;
  fake.transport.respond(200, R"({"items": []})");
  HostListOptions options;
  options.kind = "server";
  options.collection = "web dmz";
  options.compliance = "not_compliant";

  EXPECT_EQ(runHostsList(options, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target,
            "/api/v1/hosts?kind=server&collection=web%20dmz&compliance=not_compliant");
  EXPECT_EQ(fake.out.str(), "no hosts\n");
}

TEST(AdminHostCommands, ListPrintsHostColumns) {
  FakeContext fake;
  nlohmann::json host = {
      {"id", "h-0123456789abcdef"},
      {"hostname", "web-01"},
      {"kind", "server"},
      {"owner", "alice"},
      {"status", "active"},
      {"os", {{"pretty_name", "Debian GNU/Linux 12 (bookworm)"}}},
      {"compliance", {{"status", "compliant"}}},
      {"last_seen_at", "2026-12-04T23:00:00Z"},
  };
  fake.transport.respond(200, nlohmann::json({{"items", {host}}}).dump());

  EXPECT_EQ(runHostsList({}, fake.ctx), kExitOk);
  EXPECT_EQ(fake.out.str(),
            "ID                  HOSTNAME  KIND    OWNER  STATUS  OS                              "
            "COMPLIANCE  LAST SEEN\n"
            "h-0123456789abcdef  web-01    server  alice  active  Debian GNU/Linux 12 (bookworm)  "
            "compliant   2026-12-04T23:00:00Z\n");
}

TEST(AdminHostCommands, SetPatchesOnlyGivenFields) {
  FakeContext fake;
  fake.transport.respond(200, R"({"id": "h-0123456789abcdef", "owner": "bob"})");
  HostSetOptions options;
  options.host_id = kHostId;
  options.owner = "bob";
  options.collections = "web, dmz";

  EXPECT_EQ(runHostsSet(options, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].method, "PATCH");
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/hosts/" + kHostId);
  EXPECT_EQ(sentBody(fake), nlohmann::json({{"owner", "bob"}, {"collections", {"web", "dmz"}}}));
  EXPECT_EQ(fake.out.str(), "id:     h-0123456789abcdef\nowner:  bob\n");
}

TEST(AdminHostCommands, SetEmptyCollectionsClearsThem) {
  FakeContext fake;
  fake.transport.respond(200, "{}");
  HostSetOptions options;
  options.host_id = kHostId;
  options.collections = "";
  EXPECT_EQ(runHostsSet(options, fake.ctx), kExitOk);
  EXPECT_EQ(sentBody(fake), nlohmann::json({{"collections", nlohmann::json::array()}}));
}

TEST(AdminHostCommands, SetWithoutChangeIsUsageError) {
  FakeContext fake;
  HostSetOptions options;
  options.host_id = kHostId;
  EXPECT_EQ(runHostsSet(options, fake.ctx), kExitInvalidInput);
  EXPECT_TRUE(fake.transport.requests.empty());
  EXPECT_EQ(fake.err.str(),
            "error: nothing to change: give --kind, --owner or --collections (invalid_argument)\n");
}

TEST(AdminHostCommands, SetBadCollectionsIsUsageError) {
  FakeContext fake;
  HostSetOptions options;
  options.host_id = kHostId;
  options.collections = "web,,dmz";
  EXPECT_EQ(runHostsSet(options, fake.ctx), kExitInvalidInput);
  EXPECT_TRUE(fake.transport.requests.empty());
}

TEST(AdminHostCommands, RevokeAndApprove) {
  FakeContext fake;
  fake.transport.respond(200, R"({"id": "h-0123456789abcdef", "status": "revoked"})");
  fake.transport.respond(200, R"({"reenrolment_approved_until": "2026-12-05T23:00:00Z"})");

  EXPECT_EQ(runHostsRevoke(kHostId, fake.ctx), kExitOk);
  EXPECT_EQ(runHostsApproveReenrolment(kHostId, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].method, "POST");
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/hosts/" + kHostId + "/revoke");
  EXPECT_EQ(fake.transport.requests[1].target, "/api/v1/hosts/" + kHostId + "/approve-reenrolment");
  EXPECT_EQ(fake.out.str(),
            "host h-0123456789abcdef revoked: its token no longer works and it must enrol again\n"
            "host h-0123456789abcdef may enrol again until 2026-12-05T23:00:00Z\n");
}

TEST(AdminHostCommands, ShowNotFoundIsError) {
  FakeContext fake;
  fake.transport.respond(404, R"({"error": {"code": "not_found", "message": "no host h-1"}})");
  EXPECT_EQ(runHostsShow(kHostId, fake.ctx), kExitError);
  EXPECT_EQ(fake.err.str(), "error: no host h-1 (not_found)\n");
}

TEST(AdminEnrolmentSecretCommands, CreateSendsAllFieldsAndWarnsOnce) {
  FakeContext fake;
  fake.transport.respond(201, R"({"id": 4, "name": "web", "secret": "ab12"})");
  EnrolmentSecretCreateOptions options;
  options.name = "web";
  options.kind = "server";
  options.owner = "alice";
  options.collections = "web,dmz";
  options.expires_in_hours = 48;

  EXPECT_EQ(runEnrolmentSecretsCreate(options, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/enrolment-secrets");
  EXPECT_EQ(sentBody(fake), nlohmann::json({{"name", "web"},
                                            {"kind", "server"},
                                            {"owner", "alice"},
                                            {"collections", {"web", "dmz"}},
                                            {"expires_in_hours", 48}}));
  EXPECT_NE(fake.out.str().find("secret:  ab12"), std::string::npos) << fake.out.str();
  EXPECT_NE(fake.err.str().find("shows this secret only once"), std::string::npos);
}

TEST(AdminEnrolmentSecretCommands, CreateWithoutOwnerLeavesItOut) {
  FakeContext fake;
  fake.transport.respond(201, R"({"id": 5, "secret": "cd34"})");
  EnrolmentSecretCreateOptions options;
  options.name = "laptops";
  options.kind = "endpoint";
  options.expires_in_hours = 2;

  EXPECT_EQ(runEnrolmentSecretsCreate(options, fake.ctx), kExitOk);
  EXPECT_EQ(sentBody(fake), nlohmann::json({{"name", "laptops"},
                                            {"kind", "endpoint"},
                                            {"collections", nlohmann::json::array()},
                                            {"expires_in_hours", 2}}));
}

TEST(AdminEnrolmentSecretCommands, Delete) {
  FakeContext fake;
  fake.transport.respond(204, "");
  EXPECT_EQ(runEnrolmentSecretsDelete(4, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].method, "DELETE");
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/enrolment-secrets/4");
  EXPECT_EQ(fake.out.str(), "enrolment secret 4 revoked: hosts can no longer enrol with it\n");
}

TEST(AdminFindingCommands, ListMapsEveryFilter) {
  FakeContext fake;
  fake.transport.respond(200, R"({"items": [{"severity": "critical", "known_exploited": true,
      "host_id": "h-0123456789abcdef", "package": "xz-utils"}]})");
  FindingListOptions options;
  options.host = kHostId;
  options.advisory = "CVE-2024-3094";
  options.severity = "critical";
  options.kev = true;
  options.status = "all";
  options.source = "advisory";
  options.limit = 50;
  fake.ctx.output.format = OutputFormat::kCsv;

  EXPECT_EQ(runFindingsList(options, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target,
            "/api/v1/findings?host=h-0123456789abcdef&advisory=CVE-2024-3094&severity=critical"
            "&kev=true&status=all&source=advisory&limit=50");
  EXPECT_EQ(fake.out.str(),
            "severity,known_exploited,host_id,package,installed_version,fixed_version,"
            "fix_kb,advisory_id,status,first_seen_at\n"
            "critical,yes,h-0123456789abcdef,xz-utils,,,,,,\n");
}

TEST(AdminFindingCommands, ListWithoutFiltersSendsPageSize) {
  FakeContext fake;
  fake.transport.respond(200, R"({"items": []})");
  EXPECT_EQ(runFindingsList({}, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/findings?limit=500");
}

TEST(AdminFindingCommands, LargeLimitKeepsPageSize) {
  FakeContext fake;
  fake.transport.respond(200, R"({"items": [{"id": 1}], "next_after_id": null})");
  FindingListOptions options;
  options.limit = 100000;
  EXPECT_EQ(runFindingsList(options, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/findings?limit=500");
}

TEST(AdminComplianceReport, ShowsDataAgeInTableAndSecondsInCsv) {
  nlohmann::json host = {
      {"host_id", "h-0123456789abcdef"},
      {"hostname", "web-01"},
      {"kind", "server"},
      {"owner", "alice"},
      {"status", "unknown"},
      {"open_findings", 0},
      {"data_age_seconds", 788400},
      {"reason", "not seen for 9 days"},
  };
  std::string body = nlohmann::json({{"items", {host}}, {"summary", {}}}).dump();

  FakeContext table;
  table.transport.respond(200, body);
  EXPECT_EQ(runComplianceReport("unknown", table.ctx), kExitOk);
  EXPECT_EQ(table.transport.requests[0].target, "/api/v1/reports/compliance?status=unknown");
  EXPECT_EQ(
      table.out.str(),
      "HOST                HOSTNAME  KIND    OWNER  STATUS   OPEN FINDINGS  DATA AGE  REASON\n"
      "h-0123456789abcdef  web-01    server  alice  unknown  0              9d 3h     "
      "not seen for 9 days\n");

  FakeContext csv;
  csv.ctx.output.format = OutputFormat::kCsv;
  csv.transport.respond(200, body);
  EXPECT_EQ(runComplianceReport("", csv.ctx), kExitOk);
  EXPECT_EQ(csv.transport.requests[0].target, "/api/v1/reports/compliance");
  EXPECT_NE(csv.out.str().find(",0,788400,not seen for 9 days\n"), std::string::npos)
      << csv.out.str();
}

TEST(AdminFeedCommands, SyncAndConfirmEncodeName) {
  FakeContext fake;
  fake.transport.respond(200, R"({"name": "debian tracker", "result": "applied"})");
  fake.transport.respond(200, R"({"name": "osv", "result": "applied"})");
  EXPECT_EQ(runFeedsSync("debian tracker", fake.ctx), kExitOk);
  EXPECT_EQ(runFeedsConfirm("osv", fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/feeds/debian%20tracker/sync");
  EXPECT_EQ(fake.transport.requests[1].target, "/api/v1/feeds/osv/confirm");
}

TEST(AdminUserCommands, CreateSetRolesDisable) {
  FakeContext fake;
  fake.transport.respond(201, R"({"username": "bob", "roles": ["viewer"]})");
  fake.transport.respond(200, R"({"username": "bob", "roles": ["operator", "auditor"]})");
  fake.transport.respond(200, R"({"username": "bob", "disabled": true})");
  fake.transport.respond(200, R"({"username": "bob", "disabled": false})");

  EXPECT_EQ(runUsersCreate({"bob", {"viewer"}, "correct horse battery"}, fake.ctx), kExitOk);
  EXPECT_EQ(runUsersSetRoles("bob", {"operator", "auditor"}, fake.ctx), kExitOk);
  EXPECT_EQ(runUsersSetDisabled("bob", true, fake.ctx), kExitOk);
  EXPECT_EQ(runUsersSetDisabled("bob", false, fake.ctx), kExitOk);

  EXPECT_EQ(sentBody(fake, 0), nlohmann::json({{"username", "bob"},
                                               {"password", "correct horse battery"},
                                               {"roles", {"viewer"}}}));
  EXPECT_EQ(fake.transport.requests[1].method, "PATCH");
  EXPECT_EQ(fake.transport.requests[1].target, "/api/v1/users/bob");
  EXPECT_EQ(sentBody(fake, 1), nlohmann::json({{"roles", {"operator", "auditor"}}}));
  EXPECT_EQ(sentBody(fake, 2), nlohmann::json({{"disabled", true}}));
  EXPECT_EQ(sentBody(fake, 3), nlohmann::json({{"disabled", false}}));
  EXPECT_NE(fake.out.str().find("user bob disabled"), std::string::npos);
  EXPECT_NE(fake.out.str().find("user bob enabled"), std::string::npos);
}

TEST(AdminUserCommands, ForbiddenPrintsServerMessage) {
  FakeContext fake;
  fake.transport.respond(
      403,
      R"({"error": {"code": "forbidden", "message": "this needs the manage_users permission"}})");
  EXPECT_EQ(runUsersCreate({"eve", {"admin"}, "correct horse battery"}, fake.ctx), kExitError);
  EXPECT_EQ(fake.err.str(), "error: this needs the manage_users permission (forbidden)\n");
}

TEST(AdminTokenCommands, CreateAndRevoke) {
  FakeContext fake;
  fake.transport.respond(201, R"({"id": 9, "name": "nightly", "token": "f00d"})");
  fake.transport.respond(204, "");

  EXPECT_EQ(runTokensCreate({"nightly", 30}, fake.ctx), kExitOk);
  EXPECT_EQ(runTokensRevoke(9, fake.ctx), kExitOk);
  EXPECT_EQ(sentBody(fake, 0), nlohmann::json({{"name", "nightly"}, {"expires_in_days", 30}}));
  EXPECT_EQ(fake.transport.requests[1].method, "DELETE");
  EXPECT_EQ(fake.transport.requests[1].target, "/api/v1/tokens/9");
  EXPECT_NE(fake.out.str().find("token:  f00d"), std::string::npos) << fake.out.str();
  EXPECT_NE(fake.err.str().find("shows this token only once"), std::string::npos);
}

TEST(AdminAuditCommands, ListMapsFilters) {
  FakeContext fake;
  fake.transport.respond(200, R"({"items": [{"id": 1, "actor": "user:alice"}]})");
  AuditListOptions options;
  options.since = "2026-12-01T00:00:00Z";
  options.actor = "user:alice";
  options.object_type = "user";
  options.limit = 20;

  EXPECT_EQ(runAuditList(options, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target,
            "/api/v1/audit?since=2026-12-01T00%3A00%3A00Z&actor=user%3Aalice&object_type=user"
            "&limit=20");
}

TEST(AdminAuditCommands, ExportPagesUntilEmpty) {
  FakeContext fake;
  fake.transport.respond(200,
                         "{\"id\":1,\"action\":\"user.create\"}\n{\"id\":2,\"action\":\"x\"}\n");
  fake.transport.respond(200, "{\"id\":3,\"action\":\"token.create\"}");
  fake.transport.respond(200, "");

  EXPECT_EQ(runAuditExport("2026-12-01T00:00:00Z", fake.ctx), kExitOk);
  ASSERT_EQ(fake.transport.requests.size(), 3U);
  EXPECT_EQ(fake.transport.requests[0].target,
            "/api/v1/audit?format=jsonl&since=2026-12-01T00%3A00%3A00Z&limit=500");
  EXPECT_EQ(fake.transport.requests[1].target,
            "/api/v1/audit?format=jsonl&since=2026-12-01T00%3A00%3A00Z&limit=500&after_id=2");
  EXPECT_EQ(fake.transport.requests[2].target,
            "/api/v1/audit?format=jsonl&since=2026-12-01T00%3A00%3A00Z&limit=500&after_id=3");
  EXPECT_EQ(fake.out.str(),
            "{\"id\":1,\"action\":\"user.create\"}\n{\"id\":2,\"action\":\"x\"}\n"
            "{\"id\":3,\"action\":\"token.create\"}\n");
}

TEST(AdminAuditCommands, ExportStopsWhenServerRepeatsPage) {
  FakeContext fake;
  fake.transport.respond(200, "{\"id\":1}\n");
  fake.transport.respond(200, "{\"id\":1}\n");
  EXPECT_EQ(runAuditExport("", fake.ctx), kExitError);
  EXPECT_EQ(fake.transport.requests.size(), 2U);
  EXPECT_EQ(fake.err.str(),
            "error: the server's audit export did not move past event 1 (invalid_response)\n");
}

TEST(AdminAuditCommands, ExportRejectsLineWithoutId) {
  FakeContext fake;
  fake.transport.respond(200, "{\"action\":\"x\"}\n");
  EXPECT_EQ(runAuditExport("", fake.ctx), kExitError);
  EXPECT_EQ(fake.out.str(), "");
  EXPECT_NE(fake.err.str().find("without an integer \"id\""), std::string::npos);
}

class AdminSessionCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    auto created = TemporaryDirectory::create("cli-session");
    ASSERT_TRUE(created);
    folder_.emplace(std::move(*created));
    loaded_.path = folder_->path() / "config" / "cli.json";
    loaded_.effective.server_url = "http://127.0.0.1:8080";
  }

  std::optional<TemporaryDirectory> folder_;
  LoadedConfig loaded_;
};

TEST_F(AdminSessionCommands, LoginSavesTokenOwnerOnly) {
  FakeContext fake;
  fake.transport.respond(201, R"({"token": "5e55", "expires_at": "2026-12-05T11:00:00Z"})");

  EXPECT_EQ(runLogin({"alice", "correct horse battery"}, loaded_, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/sessions");
  EXPECT_EQ(sentBody(fake),
            nlohmann::json({{"username", "alice"}, {"password", "correct horse battery"}}));

  auto saved = loadClientConfig(loaded_.path);
  ASSERT_TRUE(saved) << saved.error().message;
  EXPECT_EQ(saved->server_url, "http://127.0.0.1:8080");
  EXPECT_EQ(saved->token, "5e55");
  EXPECT_EQ(saved->username, "alice");
  EXPECT_EQ(saved->token_expires_at, "2026-12-05T11:00:00Z");
  struct stat status {};
  ASSERT_EQ(::stat(loaded_.path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777U, 0600U);
  EXPECT_EQ(fake.out.str(),
            "logged in to http://127.0.0.1:8080 as alice; the session expires at "
            "2026-12-05T11:00:00Z\nsession saved in " +
                loaded_.path.string() + "\n");
}

TEST_F(AdminSessionCommands, FailedLoginSavesNothing) {
  FakeContext fake;
  fake.ctx.suggest_login = false;
  fake.transport.respond(
      401,
      R"({"error": {"code": "invalid_credentials", "message": "wrong username or password"}})");
  EXPECT_EQ(runLogin({"alice", "wrong"}, loaded_, fake.ctx), kExitError);
  EXPECT_FALSE(std::filesystem::exists(loaded_.path));
  EXPECT_EQ(fake.err.str(), "error: wrong username or password (invalid_credentials)\n");
}

TEST_F(AdminSessionCommands, LogoutForgetsSavedToken) {
  loaded_.saved = loaded_.effective;
  loaded_.saved.token = "5e55";
  loaded_.saved.username = "alice";
  loaded_.effective = loaded_.saved;
  ASSERT_TRUE(saveClientConfig(loaded_.path, loaded_.saved));

  FakeContext fake;
  fake.transport.respond(204, "");
  EXPECT_EQ(runLogout(loaded_, fake.ctx), kExitOk);
  EXPECT_EQ(fake.transport.requests[0].method, "DELETE");
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/sessions/current");
  auto saved = loadClientConfig(loaded_.path).value();
  EXPECT_EQ(saved.token, "");
  EXPECT_EQ(saved.username, "alice");
  EXPECT_EQ(fake.out.str(), "logged out\n");
}

TEST_F(AdminSessionCommands, LogoutOfEndedSessionStillForgetsIt) {
  loaded_.saved = loaded_.effective;
  loaded_.saved.token = "5e55";
  loaded_.effective = loaded_.saved;
  ASSERT_TRUE(saveClientConfig(loaded_.path, loaded_.saved));

  FakeContext fake;
  fake.transport.respond(401, R"({"error": {"code": "expired_credential", "message": "expired"}})");
  EXPECT_EQ(runLogout(loaded_, fake.ctx), kExitOk);
  EXPECT_EQ(loadClientConfig(loaded_.path).value().token, "");
  EXPECT_EQ(fake.out.str(), "the session had already ended; logged out\n");
}

TEST_F(AdminSessionCommands, LogoutWithOtherTokenKeepsSavedOne) {
  loaded_.saved = loaded_.effective;
  loaded_.saved.token = "5e55";
  loaded_.effective = loaded_.saved;
  loaded_.effective.token = "from-flag";
  ASSERT_TRUE(saveClientConfig(loaded_.path, loaded_.saved));

  FakeContext fake;
  fake.transport.respond(204, "");
  EXPECT_EQ(runLogout(loaded_, fake.ctx), kExitOk);
  EXPECT_EQ(loadClientConfig(loaded_.path).value().token, "5e55");
}

TEST_F(AdminSessionCommands, LogoutServerErrorKeepsToken) {
  loaded_.saved = loaded_.effective;
  loaded_.saved.token = "5e55";
  loaded_.effective = loaded_.saved;
  ASSERT_TRUE(saveClientConfig(loaded_.path, loaded_.saved));

  FakeContext fake;
  fake.transport.respond(500, R"({"error": {"code": "internal_error", "message": "try later"}})");
  EXPECT_EQ(runLogout(loaded_, fake.ctx), kExitError);
  EXPECT_EQ(loadClientConfig(loaded_.path).value().token, "5e55");
  EXPECT_EQ(fake.err.str(), "error: try later (internal_error)\n");
}

}  // namespace
}  // namespace pk::cli
