#include "server/people_routes.h"

#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/credentials.h"
#include "server/passwords.h"
#include "store/audit_repository.h"
#include "store/migrations.h"
#include "store/user_repository.h"
#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

constexpr const char* kAdminPassword = "correct horse battery staple";
constexpr const char* kOtherPassword = "tr0ubadour-and-3-more";

SystemTime start() {
  return SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1));
}

template <typename T>
std::string errorText(const Result<T>& result) {
  return result ? "" : result.error().message;
}

// Argon2id costs about 0.1 s, so users stored directly share one hash of
// kAdminPassword made once per test binary.
const std::string& adminPasswordHash() {
  static const std::string hash = [] {
    auto made = hashPassword(kAdminPassword, "");
    return made ? *made : std::string();
  }();
  return hash;
}

std::string errorCode(const Response& response) {
  const json body = json::parse(response.body, nullptr, false);
  if (!body.is_object() || !body.contains("error")) return "(no error: " + response.body + ")";
  return body["error"].value("code", "");
}

std::string headerValue(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

// A real SQLite database file, migrated, behind a Router with the people
// routes and the real authenticator. Users are stored directly; requests go
// through Router::dispatch without sockets.
class PeopleRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = test_support::TemporaryDirectory::create("people-routes");
    ASSERT_TRUE(directory) << errorText(directory);
    directory_.emplace(std::move(*directory));
    auto database =
        store::openDatabase("sqlite://" + (directory_->path() / "patchkeeper.db").string());
    ASSERT_TRUE(database) << errorText(database);
    database_ = std::move(*database);
    auto migrated = store::migrate(*database_, clock_);
    ASSERT_TRUE(migrated) << errorText(migrated);

    context_.emplace(ServerContext{*database_, clock_, metrics_});
    useOptions(PeopleOptions{});

    ASSERT_FALSE(adminPasswordHash().empty());
    admin_id_ = addUser("root", {"admin"});
    admin_token_ = sessionFor(admin_id_);
  }

  // Replaces the router with one whose people routes use `options`.
  void useOptions(const PeopleOptions& options) {
    router_.emplace(makeAuthenticator(*context_));
    addPeopleRoutes(*router_, *context_, options);
  }

  std::int64_t addUser(const std::string& username, std::vector<std::string> roles,
                       bool disabled = false) {
    std::int64_t id = 0;
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      store::UserRecord user;
      user.username = username;
      user.password_hash = adminPasswordHash();
      user.roles = roles;
      user.disabled = disabled;
      user.created_at = clock_.now();
      user.updated_at = clock_.now();
      auto inserted = store::insertUser(session, user);
      if (!inserted) return tl::unexpected(inserted.error());
      id = *inserted;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return id;
  }

  // A session token for `user_id`, issued directly rather than by logging
  // in, which would cost a password verification.
  std::string sessionFor(std::int64_t user_id) {
    std::string token;
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      auto issued = issueSession(session, user_id, clock_.now(), hours(12));
      if (!issued) return tl::unexpected(issued.error());
      token = issued->token;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return token;
  }

  Response send(const std::string& method, const std::string& path, const std::string& token,
                const std::string& body = "",
                const std::multimap<std::string, std::string>& query = {},
                const std::string& remote_address = "192.0.2.10") {
    Request request;
    request.method = method;
    request.path = path;
    request.query = query;
    request.body = body;
    request.remote_address = remote_address;
    if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
    return router_->dispatch(request);
  }

  Response login(const std::string& username, const std::string& password,
                 const std::string& remote_address = "192.0.2.10") {
    return send("POST", "/api/v1/sessions", "",
                json{{"username", username}, {"password", password}}.dump(), {}, remote_address);
  }

  std::vector<store::AuditEvent> auditEvents(std::optional<std::string> object_type = {}) {
    std::vector<store::AuditEvent> events;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      store::AuditQuery query;
      query.object_type = std::move(object_type);
      auto listed = store::listAuditEvents(session, query);
      if (!listed) return tl::unexpected(listed.error());
      events = std::move(*listed);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return events;
  }

  FakeClock clock_{start()};
  Metrics metrics_;
  std::optional<test_support::TemporaryDirectory> directory_;
  std::unique_ptr<store::Database> database_;
  std::optional<ServerContext> context_;
  std::optional<Router> router_;
  std::int64_t admin_id_ = 0;
  std::string admin_token_;
};

// ---------------------------------------------------------------------------
// Sessions

TEST_F(PeopleRoutesTest, LoginIssuesAWorkingSession) {
  const Response response = login("root", kAdminPassword);
  ASSERT_EQ(response.status, 201) << response.body;
  const json body = json::parse(response.body);
  const std::string token = body.at("token").get<std::string>();
  EXPECT_EQ(token.size(), 64u);
  EXPECT_EQ(body.at("expires_at"), formatRfc3339(clock_.now() + hours(12)));

  const Response me = send("GET", "/api/v1/me", token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(json::parse(me.body).at("username"), "root");

  const auto events = auditEvents("session");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "session.create");
  EXPECT_EQ(events[0].actor, "user:root");
  EXPECT_EQ(events[0].remote_address, "192.0.2.10");
  EXPECT_EQ(events[0].after_json.find(token), std::string::npos);
}

TEST_F(PeopleRoutesTest, WrongPasswordIsRejectedAndAudited) {
  const Response response = login("root", "not the right password");
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errorCode(response), "invalid_credentials");

  const auto events = auditEvents("user");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "session.login_failed");
  EXPECT_EQ(events[0].actor, "user:root");
  EXPECT_EQ(events[0].object_id, "root");
  EXPECT_EQ(json::parse(events[0].after_json).at("reason"), "wrong_password");
  EXPECT_EQ(events[0].after_json.find("not the right password"), std::string::npos);
}

TEST_F(PeopleRoutesTest, UnknownAndDisabledUsersGetTheSameAnswer) {
  addUser("dora", {"viewer"}, /*disabled=*/true);
  const Response unknown = login("nobody", kAdminPassword);
  const Response disabled = login("dora", kAdminPassword);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(disabled.status, 401);
  EXPECT_EQ(unknown.body, disabled.body);

  const auto events = auditEvents("user");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(json::parse(events[0].after_json).at("reason"), "unknown_user");
  EXPECT_EQ(json::parse(events[1].after_json).at("reason"), "disabled");
}

TEST_F(PeopleRoutesTest, LoginRejectsMalformedBodies) {
  const Response not_json = send("POST", "/api/v1/sessions", "", "{\"username\": ");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(errorCode(not_json), "invalid_json");

  const Response missing = send("POST", "/api/v1/sessions", "", R"({"username": "root"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(errorCode(missing), "invalid_field");

  const Response wrong_type =
      send("POST", "/api/v1/sessions", "", R"({"username": "root", "password": 12})");
  EXPECT_EQ(wrong_type.status, 400);

  const Response unknown_field =
      send("POST", "/api/v1/sessions", "", R"({"username": "root", "password": "x", "otp": "1"})");
  EXPECT_EQ(unknown_field.status, 400);
  EXPECT_NE(unknown_field.body.find("otp"), std::string::npos);
}

TEST_F(PeopleRoutesTest, FailedLoginsAreThrottled) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(login("root", "wrong password number " + std::to_string(i)).status, 401);
  }
  // Even the right password waits now.
  const Response blocked = login("root", kAdminPassword);
  ASSERT_EQ(blocked.status, 429) << blocked.body;
  EXPECT_EQ(errorCode(blocked), "too_many_attempts");
  EXPECT_EQ(headerValue(blocked, "Retry-After"), "900");

  // Another address is blocked too, because the username's counter is full.
  EXPECT_EQ(login("root", kAdminPassword, "198.51.100.1").status, 429);

  clock_.advance(minutes(15));
  EXPECT_EQ(login("root", kAdminPassword).status, 201);
}

TEST_F(PeopleRoutesTest, SuccessfulLoginResetsTheUsersCount) {
  // Two failures would block the user; a success between them clears the
  // first. Each address fails only once, so only the user's count matters.
  useOptions(PeopleOptions{.max_failed_logins = 2});
  EXPECT_EQ(login("root", "wrong", "192.0.2.1").status, 401);
  EXPECT_EQ(login("root", kAdminPassword, "192.0.2.2").status, 201);
  EXPECT_EQ(login("root", "wrong", "192.0.2.3").status, 401);
  EXPECT_EQ(login("root", kAdminPassword, "192.0.2.4").status, 201);
}

TEST_F(PeopleRoutesTest, ThrottleFollowsConfiguredWindow) {
  useOptions(PeopleOptions{.max_failed_logins = 1, .throttle_window = minutes(2)});
  EXPECT_EQ(login("root", "wrong").status, 401);
  const Response blocked = login("root", kAdminPassword);
  ASSERT_EQ(blocked.status, 429);
  EXPECT_EQ(headerValue(blocked, "Retry-After"), "120");
  clock_.advance(minutes(2));
  EXPECT_EQ(login("root", kAdminPassword).status, 201);
}

TEST_F(PeopleRoutesTest, UnknownTokenIsRejected) {
  const Response response = send("GET", "/api/v1/me", generateToken());
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errorCode(response), "unknown_credential");

  const Response missing = send("GET", "/api/v1/me", "");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(errorCode(missing), "missing_credential");
}

TEST_F(PeopleRoutesTest, SessionExpiresAfterTwelveHours) {
  clock_.advance(hours(12) - minutes(1));
  EXPECT_EQ(send("GET", "/api/v1/me", admin_token_).status, 200);
  clock_.advance(minutes(1));
  const Response response = send("GET", "/api/v1/me", admin_token_);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(errorCode(response), "expired_credential");
}

TEST_F(PeopleRoutesTest, LogoutRevokesTheSession) {
  const Response logout = send("DELETE", "/api/v1/sessions/current", admin_token_);
  EXPECT_EQ(logout.status, 204) << logout.body;
  EXPECT_TRUE(logout.body.empty());

  const Response after = send("GET", "/api/v1/me", admin_token_);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(errorCode(after), "revoked_credential");

  const auto events = auditEvents("session");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "session.delete");
  EXPECT_TRUE(events[0].after_json.empty());
}

TEST_F(PeopleRoutesTest, LogoutWithAnApiTokenIsRefused) {
  const Response created =
      send("POST", "/api/v1/tokens", admin_token_, R"({"name": "script", "expires_in_days": 7})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string api_token = json::parse(created.body).at("token");

  const Response logout = send("DELETE", "/api/v1/sessions/current", api_token);
  EXPECT_EQ(logout.status, 400);
  EXPECT_EQ(errorCode(logout), "not_a_session");
  EXPECT_EQ(send("GET", "/api/v1/me", api_token).status, 200);
}

TEST_F(PeopleRoutesTest, MeListsRolesAndPermissions) {
  const std::int64_t owner = addUser("olga", {"owner"});
  const Response response = send("GET", "/api/v1/me", sessionFor(owner));
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = json::parse(response.body);
  EXPECT_EQ(body.at("username"), "olga");
  EXPECT_EQ(body.at("roles"), json({"owner"}));
  EXPECT_EQ(body.at("permissions"),
            json({"read_hosts", "read_findings", "manage_own_tokens", "file_requests"}));
  EXPECT_EQ(body.at("sees_all_hosts"), false);
}

// ---------------------------------------------------------------------------
// Permissions

TEST_F(PeopleRoutesTest, RolesWithoutThePermissionGet403) {
  const std::string viewer = sessionFor(addUser("vera", {"viewer"}));
  const std::string auditor = sessionFor(addUser("aude", {"auditor"}));
  const std::string owner = sessionFor(addUser("olga", {"owner"}));
  const std::string operator_token = sessionFor(addUser("otto", {"operator"}));

  EXPECT_EQ(send("GET", "/api/v1/users", viewer).status, 403);
  EXPECT_EQ(send("GET", "/api/v1/audit", viewer).status, 403);
  EXPECT_EQ(send("GET", "/api/v1/audit", owner).status, 403);
  EXPECT_EQ(send("GET", "/api/v1/users", operator_token).status, 403);
  EXPECT_EQ(send("POST", "/api/v1/users", operator_token, "{}").status, 403);

  // The auditor reads users and the audit log but changes nothing.
  EXPECT_EQ(send("GET", "/api/v1/users", auditor).status, 200);
  EXPECT_EQ(send("GET", "/api/v1/users/root", auditor).status, 200);
  EXPECT_EQ(send("GET", "/api/v1/audit", auditor).status, 200);
  const Response create =
      send("POST", "/api/v1/users", auditor,
           json{{"username", "eve"}, {"password", kOtherPassword}, {"roles", {"admin"}}}.dump());
  EXPECT_EQ(create.status, 403);
  EXPECT_EQ(send("PATCH", "/api/v1/users/aude", auditor, R"({"roles": ["admin"]})").status, 403);
}

TEST_F(PeopleRoutesTest, HostTokenOpensNoPeopleRoute) {
  std::string host_token;
  auto written = database_->write([&](store::Session& session) -> Result<void> {
    auto issued = issueHostToken(session, "h-0123456789abcdef", clock_.now());
    if (!issued) return tl::unexpected(issued.error());
    host_token = *issued;
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_EQ(send("GET", "/api/v1/me", host_token).status, 403);
  EXPECT_EQ(send("GET", "/api/v1/tokens", host_token).status, 403);
  EXPECT_EQ(send("GET", "/api/v1/users", host_token).status, 403);
}

// ---------------------------------------------------------------------------
// Users

TEST_F(PeopleRoutesTest, CreatesAUserWhoCanLogIn) {
  const Response created =
      send("POST", "/api/v1/users", admin_token_,
           json{{"username", "alice"}, {"password", kOtherPassword}, {"roles", {"viewer", "owner"}}}
               .dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const json body = json::parse(created.body);
  EXPECT_EQ(body.at("username"), "alice");
  EXPECT_EQ(body.at("roles"), json({"owner", "viewer"}));
  EXPECT_EQ(body.at("disabled"), false);
  EXPECT_FALSE(body.contains("password_hash"));

  EXPECT_EQ(login("alice", kOtherPassword).status, 201);

  const auto events = auditEvents("user");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "user.create");
  EXPECT_EQ(events[0].actor, "user:root");
  EXPECT_EQ(events[0].object_id, "alice");
  EXPECT_TRUE(events[0].before_json.empty());
  EXPECT_EQ(events[0].after_json.find("argon2"), std::string::npos);
  EXPECT_EQ(events[0].after_json.find(kOtherPassword), std::string::npos);
}

TEST_F(PeopleRoutesTest, DuplicateUserIsAConflict) {
  addUser("alice", {"viewer"});
  const Response response =
      send("POST", "/api/v1/users", admin_token_,
           json{{"username", "alice"}, {"password", kOtherPassword}, {"roles", {"admin"}}}.dump());
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(errorCode(response), "user_exists");
  EXPECT_TRUE(auditEvents("user").empty());
}

TEST_F(PeopleRoutesTest, CreateRejectsInvalidInput) {
  const auto create = [&](const json& body) {
    return send("POST", "/api/v1/users", admin_token_, body.dump());
  };
  const Response bad_name =
      create({{"username", "Alice Smith"}, {"password", kOtherPassword}, {"roles", {"viewer"}}});
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(errorCode(bad_name), "invalid_field");

  const Response short_password =
      create({{"username", "alice"}, {"password", "short"}, {"roles", {"viewer"}}});
  EXPECT_EQ(short_password.status, 400);
  EXPECT_EQ(errorCode(short_password), "invalid_password");

  const Response bad_role =
      create({{"username", "alice"}, {"password", kOtherPassword}, {"roles", {"root"}}});
  EXPECT_EQ(bad_role.status, 400);
  EXPECT_NE(bad_role.body.find("root"), std::string::npos);

  const Response roles_not_array =
      create({{"username", "alice"}, {"password", kOtherPassword}, {"roles", "admin"}});
  EXPECT_EQ(roles_not_array.status, 400);

  const Response malformed = send("POST", "/api/v1/users", admin_token_, "[1, 2");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(errorCode(malformed), "invalid_json");

  EXPECT_TRUE(auditEvents("user").empty());
}

TEST_F(PeopleRoutesTest, ListsAndShowsUsersWithoutHashes) {
  addUser("alice", {"viewer"});
  const Response list = send("GET", "/api/v1/users", admin_token_);
  ASSERT_EQ(list.status, 200) << list.body;
  const json items = json::parse(list.body).at("items");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("username"), "alice");
  EXPECT_EQ(items[1].at("username"), "root");
  EXPECT_EQ(list.body.find("argon2"), std::string::npos);

  const Response show = send("GET", "/api/v1/users/alice", admin_token_);
  ASSERT_EQ(show.status, 200);
  EXPECT_EQ(json::parse(show.body).at("roles"), json({"viewer"}));

  const Response missing = send("GET", "/api/v1/users/nobody", admin_token_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(errorCode(missing), "user_not_found");
}

TEST_F(PeopleRoutesTest, PatchChangesRolesAndAudits) {
  const std::int64_t alice = addUser("alice", {"viewer"});
  const std::string alice_token = sessionFor(alice);
  EXPECT_EQ(send("GET", "/api/v1/users", alice_token).status, 403);

  clock_.advance(minutes(5));
  const Response patched =
      send("PATCH", "/api/v1/users/alice", admin_token_, R"({"roles": ["auditor", "viewer"]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::parse(patched.body).at("roles"), json({"auditor", "viewer"}));
  EXPECT_EQ(json::parse(patched.body).at("updated_at"), formatRfc3339(clock_.now()));

  // The new role applies to the existing session at once.
  EXPECT_EQ(send("GET", "/api/v1/users", alice_token).status, 200);

  const auto events = auditEvents("user");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "user.update");
  EXPECT_EQ(json::parse(events[0].before_json).at("roles"), json({"viewer"}));
  EXPECT_EQ(json::parse(events[0].after_json).at("roles"), json({"auditor", "viewer"}));
}

TEST_F(PeopleRoutesTest, DisablingAUserRejectsTheirCredentials) {
  const std::string alice_token = sessionFor(addUser("alice", {"viewer"}));
  ASSERT_EQ(send("PATCH", "/api/v1/users/alice", admin_token_, R"({"disabled": true})").status,
            200);
  const Response rejected = send("GET", "/api/v1/me", alice_token);
  EXPECT_EQ(rejected.status, 401);
  EXPECT_EQ(errorCode(rejected), "revoked_credential");

  ASSERT_EQ(send("PATCH", "/api/v1/users/alice", admin_token_, R"({"disabled": false})").status,
            200);
  EXPECT_EQ(send("GET", "/api/v1/me", alice_token).status, 200);
}

TEST_F(PeopleRoutesTest, PasswordChangeEndsSessionsButKeepsApiTokens) {
  const std::int64_t alice = addUser("alice", {"viewer"});
  const std::string session = sessionFor(alice);
  const Response created =
      send("POST", "/api/v1/tokens", session, R"({"name": "cron", "expires_in_days": 30})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string api_token = json::parse(created.body).at("token");

  const Response patched =
      send("PATCH", "/api/v1/users/alice", admin_token_, json{{"password", kOtherPassword}}.dump());
  ASSERT_EQ(patched.status, 200) << patched.body;

  EXPECT_EQ(errorCode(send("GET", "/api/v1/me", session)), "revoked_credential");
  EXPECT_EQ(send("GET", "/api/v1/me", api_token).status, 200);
  EXPECT_EQ(login("alice", kAdminPassword).status, 401);
  EXPECT_EQ(login("alice", kOtherPassword).status, 201);

  const auto events = auditEvents("user");
  ASSERT_FALSE(events.empty());
  const auto& update = events.front();
  EXPECT_EQ(update.action, "user.update");
  EXPECT_EQ(json::parse(update.after_json).at("password_changed"), true);
  EXPECT_EQ(update.after_json.find("argon2"), std::string::npos);
  EXPECT_EQ(update.after_json.find(kOtherPassword), std::string::npos);
  EXPECT_EQ(update.before_json.find("argon2"), std::string::npos);
}

TEST_F(PeopleRoutesTest, PatchRejectsBadInput) {
  addUser("alice", {"viewer"});
  EXPECT_EQ(send("PATCH", "/api/v1/users/alice", admin_token_, "{}").status, 400);
  EXPECT_EQ(send("PATCH", "/api/v1/users/alice", admin_token_, R"({"username": "bob"})").status,
            400);
  EXPECT_EQ(send("PATCH", "/api/v1/users/alice", admin_token_, R"({"disabled": "yes"})").status,
            400);
  const Response weak =
      send("PATCH", "/api/v1/users/alice", admin_token_, R"({"password": "alice"})");
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(errorCode(weak), "invalid_password");
  EXPECT_EQ(send("PATCH", "/api/v1/users/nobody", admin_token_, R"({"disabled": true})").status,
            404);
  EXPECT_TRUE(auditEvents("user").empty());
}

TEST_F(PeopleRoutesTest, LastEnabledAdminCannotBeRemoved) {
  const Response demote =
      send("PATCH", "/api/v1/users/root", admin_token_, R"({"roles": ["viewer"]})");
  EXPECT_EQ(demote.status, 409);
  EXPECT_EQ(errorCode(demote), "last_admin");
  const Response disable =
      send("PATCH", "/api/v1/users/root", admin_token_, R"({"disabled": true})");
  EXPECT_EQ(disable.status, 409);

  // With a second admin, the first may step down.
  addUser("second", {"admin"});
  EXPECT_EQ(send("PATCH", "/api/v1/users/root", admin_token_, R"({"roles": ["viewer"]})").status,
            200);
}

// ---------------------------------------------------------------------------
// API tokens

TEST_F(PeopleRoutesTest, ApiTokenLifecycle) {
  const Response created = send("POST", "/api/v1/tokens", admin_token_,
                                R"({"name": "siem export", "expires_in_days": 90})");
  ASSERT_EQ(created.status, 201) << created.body;
  const json body = json::parse(created.body);
  const std::string token = body.at("token");
  const std::int64_t id = body.at("id");
  EXPECT_EQ(body.at("expires_at"), formatRfc3339(clock_.now() + hours(24 * 90)));
  EXPECT_EQ(send("GET", "/api/v1/me", token).status, 200);

  const Response listed = send("GET", "/api/v1/tokens", admin_token_);
  ASSERT_EQ(listed.status, 200);
  const json items = json::parse(listed.body).at("items");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("name"), "siem export");
  EXPECT_EQ(items[0].at("status"), "active");
  EXPECT_EQ(listed.body.find(token), std::string::npos);
  EXPECT_EQ(listed.body.find(hashToken(token)), std::string::npos);

  const Response deleted = send("DELETE", "/api/v1/tokens/" + std::to_string(id), admin_token_);
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  EXPECT_EQ(errorCode(send("GET", "/api/v1/me", token)), "revoked_credential");
  EXPECT_EQ(json::parse(send("GET", "/api/v1/tokens", admin_token_).body)["items"][0]["status"],
            "revoked");

  const auto events = auditEvents("token");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, "token.create");
  EXPECT_EQ(events[1].action, "token.revoke");
  for (const auto& event : events) {
    EXPECT_EQ(event.before_json.find(token), std::string::npos);
    EXPECT_EQ(event.after_json.find(token), std::string::npos);
    EXPECT_EQ(event.after_json.find(hashToken(token)), std::string::npos);
  }
}

TEST_F(PeopleRoutesTest, ApiTokenExpires) {
  const Response created =
      send("POST", "/api/v1/tokens", admin_token_, R"({"name": "short", "expires_in_days": 1})");
  ASSERT_EQ(created.status, 201);
  const std::string token = json::parse(created.body).at("token");
  clock_.advance(hours(24));
  EXPECT_EQ(errorCode(send("GET", "/api/v1/me", token)), "expired_credential");
}

TEST_F(PeopleRoutesTest, CannotRevokeAnotherUsersToken) {
  const std::string alice = sessionFor(addUser("alice", {"viewer"}));
  const Response created =
      send("POST", "/api/v1/tokens", alice, R"({"name": "mine", "expires_in_days": 5})");
  ASSERT_EQ(created.status, 201);
  const std::string id = std::to_string(json::parse(created.body).at("id").get<std::int64_t>());

  const Response response = send("DELETE", "/api/v1/tokens/" + id, admin_token_);
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(errorCode(response), "token_not_found");
  EXPECT_EQ(send("GET", "/api/v1/me", json::parse(created.body).at("token")).status, 200);
  EXPECT_EQ(send("DELETE", "/api/v1/tokens/999999", alice).status, 404);
}

TEST_F(PeopleRoutesTest, TokenCreateRejectsBadInput) {
  const auto create = [&](const std::string& body) {
    return send("POST", "/api/v1/tokens", admin_token_, body).status;
  };
  EXPECT_EQ(create(R"({"name": "x"})"), 400);
  EXPECT_EQ(create(R"({"name": "x", "expires_in_days": 0})"), 400);
  EXPECT_EQ(create(R"({"name": "x", "expires_in_days": 3651})"), 400);
  EXPECT_EQ(create(R"({"name": "x", "expires_in_days": 1.5})"), 400);
  EXPECT_EQ(create(R"({"name": "", "expires_in_days": 1})"), 400);
  EXPECT_EQ(create(R"({"name": "a\nb", "expires_in_days": 1})"), 400);
  EXPECT_EQ(create(R"({"expires_in_days": 1})"), 400);
  EXPECT_EQ(create("not json"), 400);
  EXPECT_TRUE(auditEvents("token").empty());
}

TEST_F(PeopleRoutesTest, LiveTokensPerUserAreCapped) {
  for (int i = 0; i < kMaxLiveApiTokensPerUser; ++i) {
    ASSERT_EQ(send("POST", "/api/v1/tokens", admin_token_,
                   json{{"name", "t" + std::to_string(i)}, {"expires_in_days", 1}}.dump())
                  .status,
              201);
  }
  const Response refused =
      send("POST", "/api/v1/tokens", admin_token_, R"({"name": "one more", "expires_in_days": 1})");
  EXPECT_EQ(refused.status, 409);
  EXPECT_EQ(errorCode(refused), "too_many_tokens");

  // Expired tokens no longer count.
  clock_.advance(hours(24));
  const std::string fresh = sessionFor(admin_id_);
  EXPECT_EQ(
      send("POST", "/api/v1/tokens", fresh, R"({"name": "one more", "expires_in_days": 1})").status,
      201);
}

// ---------------------------------------------------------------------------
// Audit log

TEST_F(PeopleRoutesTest, AuditPagesWithNextAfterId) {
  for (const char* name : {"alice", "bob", "carol"}) {
    ASSERT_EQ(send("PATCH", "/api/v1/users/root", admin_token_,
                   json{{"roles", {"admin", "viewer"}}}.dump())
                  .status,
              200)
        << name;
  }
  const Response first =
      send("GET", "/api/v1/audit", admin_token_, "", {{"limit", "2"}, {"object_type", "user"}});
  ASSERT_EQ(first.status, 200) << first.body;
  const json page = json::parse(first.body);
  ASSERT_EQ(page.at("items").size(), 2u);
  const std::int64_t next = page.at("next_after_id");
  EXPECT_EQ(next, page["items"][1]["id"]);
  EXPECT_EQ(page["items"][0]["actor"], "user:root");
  EXPECT_EQ(page["items"][0]["before"]["roles"], json({"admin"}));
  EXPECT_TRUE(page["items"][0]["after"].is_object());

  const Response second =
      send("GET", "/api/v1/audit", admin_token_, "",
           {{"limit", "2"}, {"object_type", "user"}, {"after_id", std::to_string(next)}});
  const json last_page = json::parse(second.body);
  ASSERT_EQ(last_page.at("items").size(), 1u);
  EXPECT_TRUE(last_page.at("next_after_id").is_null());
}

TEST_F(PeopleRoutesTest, AuditPagesNewestFirst) {
  for (const char* name : {"alice", "bob", "carol"}) {
    ASSERT_EQ(
        send("POST", "/api/v1/users", admin_token_,
             json{{"username", name}, {"password", kOtherPassword}, {"roles", {"viewer"}}}.dump())
            .status,
        201)
        << name;
  }
  const Response first = send("GET", "/api/v1/audit", admin_token_, "",
                              {{"limit", "2"}, {"object_type", "user"}, {"order", "newest"}});
  ASSERT_EQ(first.status, 200) << first.body;
  const json page = json::parse(first.body);
  ASSERT_EQ(page.at("items").size(), 2u);
  EXPECT_EQ(page["items"][0]["object_id"], "carol");
  EXPECT_EQ(page["items"][1]["object_id"], "bob");
  const std::int64_t next = page.at("next_before_id");

  const Response second = send("GET", "/api/v1/audit", admin_token_, "",
                               {{"limit", "2"},
                                {"object_type", "user"},
                                {"order", "newest"},
                                {"before_id", std::to_string(next)}});
  const json last_page = json::parse(second.body);
  ASSERT_EQ(last_page.at("items").size(), 1u);
  EXPECT_EQ(last_page["items"][0]["object_id"], "alice");
  EXPECT_TRUE(last_page.at("next_before_id").is_null());
}

TEST_F(PeopleRoutesTest, AuditExportsJsonLines) {
  ASSERT_EQ(login("root", "wrong password").status, 401);
  const Response token =
      send("POST", "/api/v1/tokens", admin_token_, R"({"name": "siem", "expires_in_days": 30})");
  ASSERT_EQ(token.status, 201);
  const std::string secret = json::parse(token.body).at("token");

  const Response exported = send("GET", "/api/v1/audit", admin_token_, "", {{"format", "jsonl"}});
  ASSERT_EQ(exported.status, 200) << exported.body;
  EXPECT_EQ(exported.content_type, "application/x-ndjson");
  ASSERT_FALSE(exported.body.empty());
  EXPECT_EQ(exported.body.back(), '\n');

  std::istringstream lines(exported.body);
  std::vector<std::string> actions;
  for (std::string line; std::getline(lines, line);) {
    const json event = json::parse(line, nullptr, false);
    ASSERT_TRUE(event.is_object()) << line;
    actions.push_back(event.at("action"));
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"session.login_failed", "token.create"}));
  EXPECT_EQ(exported.body.find(secret), std::string::npos);
  EXPECT_EQ(exported.body.find("argon2"), std::string::npos);
}

TEST_F(PeopleRoutesTest, AuditFiltersByActorAndSince) {
  ASSERT_EQ(login("mallory", "guessing-a-password").status, 401);
  clock_.advance(hours(1));
  const SystemTime later = clock_.now();
  ASSERT_EQ(
      send("POST", "/api/v1/tokens", admin_token_, R"({"name": "a", "expires_in_days": 1})").status,
      201);

  const json by_actor =
      json::parse(send("GET", "/api/v1/audit", admin_token_, "", {{"actor", "user:mallory"}}).body);
  ASSERT_EQ(by_actor.at("items").size(), 1u);
  EXPECT_EQ(by_actor["items"][0]["action"], "session.login_failed");

  const json since = json::parse(
      send("GET", "/api/v1/audit", admin_token_, "", {{"since", formatRfc3339(later)}}).body);
  ASSERT_EQ(since.at("items").size(), 1u);
  EXPECT_EQ(since["items"][0]["action"], "token.create");
}

TEST_F(PeopleRoutesTest, AuditRejectsBadQueries) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"since", "yesterday"},
                                                        {"after_id", "-1"},
                                                        {"after_id", "abc"},
                                                        {"before_id", "-2"},
                                                        {"order", "random"},
                                                        {"limit", "0"},
                                                        {"limit", "5001"},
                                                        {"format", "csv"}}) {
    const Response response = send("GET", "/api/v1/audit", admin_token_, "", {{name, value}});
    EXPECT_EQ(response.status, 400) << name << "=" << value;
    EXPECT_EQ(errorCode(response), "invalid_query") << name << "=" << value;
  }
}

}  // namespace
}  // namespace pk::server
