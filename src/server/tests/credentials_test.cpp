#include "server/credentials.h"

#include <memory>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "store/credential_repository.h"
#include "store/migrations.h"
#include "store/user_repository.h"
#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

SystemTime start() {
  return SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1));
}

template <typename T>
std::string errorText(const Result<T>& result) {
  return result ? "" : result.error().message;
}

std::string errorCode(const Response& response) {
  return nlohmann::json::parse(response.body).at("error").at("code").get<std::string>();
}

std::string headerValue(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

// A real SQLite database file, migrated, with one user "alice" who has
// the viewer and auditor roles.
class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = test_support::TemporaryDirectory::create("credentials");
    ASSERT_TRUE(directory) << errorText(directory);
    directory_.emplace(std::move(*directory));
    auto database =
        store::openDatabase("sqlite://" + (directory_->path() / "patchkeeper.db").string());
    ASSERT_TRUE(database) << errorText(database);
    database_ = std::move(*database);
    auto migrated = store::migrate(*database_, clock_);
    ASSERT_TRUE(migrated) << errorText(migrated);
    context_.emplace(ServerContext{*database_, clock_, metrics_});
    authenticator_ = makeAuthenticator(*context_);

    alice_ = addUser("alice", {"viewer", "auditor"});
    ASSERT_GT(alice_, 0);
  }

  std::int64_t addUser(const std::string& username, std::vector<std::string> roles) {
    std::int64_t id = 0;
    auto written = database_->write([&](store::Session& session) -> Result<void> {
      store::UserRecord user;
      user.username = username;
      user.password_hash = "$argon2id$placeholder";
      user.roles = roles;
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

  IssuedCredential session(std::int64_t user_id, std::chrono::seconds ttl = hours(12)) {
    IssuedCredential issued;
    auto written = database_->write([&](store::Session& db) -> Result<void> {
      auto made = issueSession(db, user_id, clock_.now(), ttl);
      if (!made) return tl::unexpected(made.error());
      issued = *made;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return issued;
  }

  std::string hostToken(const std::string& host_id) {
    std::string token;
    auto written = database_->write([&](store::Session& db) -> Result<void> {
      auto made = issueHostToken(db, host_id, clock_.now());
      if (!made) return tl::unexpected(made.error());
      token = *made;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return token;
  }

  std::optional<store::CredentialRecord> stored(std::int64_t id) {
    std::optional<store::CredentialRecord> found;
    auto read = database_->read([&](store::Session& db) -> Result<void> {
      auto credential = store::findCredentialById(db, id);
      if (!credential) return tl::unexpected(credential.error());
      found = *credential;
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return found;
  }

  std::variant<Principal, Response> authenticate(const std::string& authorization) {
    Request request;
    request.method = "GET";
    request.path = "/api/v1/me";
    if (!authorization.empty()) request.headers["authorization"] = authorization;
    return authenticator_(request);
  }

  // The 401 code of a rejected authentication, or "accepted".
  std::string rejection(const std::string& authorization) {
    auto result = authenticate(authorization);
    if (std::holds_alternative<Principal>(result)) return "accepted";
    const Response& response = std::get<Response>(result);
    EXPECT_EQ(response.status, 401) << response.body;
    EXPECT_EQ(headerValue(response, "WWW-Authenticate"), "Bearer realm=\"patchkeeper\"");
    return errorCode(response);
  }

  FakeClock clock_{start()};
  Metrics metrics_;
  std::optional<test_support::TemporaryDirectory> directory_;
  std::unique_ptr<store::Database> database_;
  std::optional<ServerContext> context_;
  Authenticate authenticator_;
  std::int64_t alice_ = 0;
};

TEST(Tokens, AreSixtyFourDistinctLowerHexDigits) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string token = generateToken();
    ASSERT_EQ(token.size(), 64u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
    EXPECT_TRUE(seen.insert(token).second);
  }
}

TEST(Tokens, HashIsBlake2b256Hex) {
  // Reference values from Python's hashlib.blake2b(digest_size=32).
  EXPECT_EQ(hashToken(""), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(hashToken("abc"), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST_F(CredentialsTest, SessionAuthenticatesAsItsUser) {
  const IssuedCredential issued = session(alice_);
  ASSERT_GT(issued.id, 0);
  EXPECT_EQ(issued.expires_at, clock_.now() + hours(12));

  auto result = authenticate("Bearer " + issued.token);
  ASSERT_TRUE(std::holds_alternative<Principal>(result)) << std::get<Response>(result).body;
  const Principal& principal = std::get<Principal>(result);
  EXPECT_EQ(principal.kind, Principal::Kind::kUser);
  EXPECT_EQ(principal.user_id, alice_);
  EXPECT_EQ(principal.username, "alice");
  EXPECT_EQ(principal.credential_id, issued.id);
  EXPECT_EQ(principal.roles, (std::vector<Role>{Role::kAuditor, Role::kViewer}));
}

TEST_F(CredentialsTest, OnlyTheHashIsStored) {
  const IssuedCredential issued = session(alice_);
  const auto record = stored(issued.id);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->token_hash, hashToken(issued.token));
  EXPECT_NE(record->token_hash, issued.token);
}

TEST_F(CredentialsTest, SchemeNameIsCaseInsensitive) {
  const IssuedCredential issued = session(alice_);
  EXPECT_EQ(rejection("bearer " + issued.token), "accepted");
  EXPECT_EQ(rejection("BEARER  " + issued.token + " "), "accepted");
  // The token itself is case-sensitive.
  std::string upper = issued.token;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(rejection("Bearer " + upper), "unknown_credential");
}

TEST_F(CredentialsTest, MissingOrNonBearerIsMissing) {
  EXPECT_EQ(rejection(""), "missing_credential");
  EXPECT_EQ(rejection("Basic YWxpY2U6c2VjcmV0"), "missing_credential");
  EXPECT_EQ(rejection("Bearer"), "missing_credential");
  EXPECT_EQ(rejection("Bearer    "), "missing_credential");
  EXPECT_EQ(rejection("Bearertoken"), "missing_credential");
}

TEST_F(CredentialsTest, UnknownTokenIsUnknown) {
  EXPECT_EQ(rejection("Bearer " + generateToken()), "unknown_credential");
  EXPECT_EQ(rejection("Bearer not-a-token"), "unknown_credential");
}

TEST_F(CredentialsTest, SessionExpiresAtItsTtl) {
  const IssuedCredential issued = session(alice_, hours(12));
  clock_.advance(hours(12) - seconds(1));
  EXPECT_EQ(rejection("Bearer " + issued.token), "accepted");
  clock_.advance(seconds(1));
  EXPECT_EQ(rejection("Bearer " + issued.token), "expired_credential");
}

TEST_F(CredentialsTest, RevokedSessionIsRevoked) {
  const IssuedCredential issued = session(alice_);
  auto written = database_->write([&](store::Session& db) -> Result<void> {
    auto revoked = revokeUserSessions(db, alice_, clock_.now());
    if (!revoked) return tl::unexpected(revoked.error());
    EXPECT_EQ(*revoked, 1);
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_EQ(rejection("Bearer " + issued.token), "revoked_credential");
}

TEST_F(CredentialsTest, DisabledUserIsRejectedUntilEnabled) {
  const IssuedCredential issued = session(alice_);
  const auto setDisabled = [&](bool disabled) {
    auto written = database_->write([&](store::Session& db) -> Result<void> {
      auto user = store::findUserById(db, alice_);
      if (!user) return tl::unexpected(user.error());
      (*user)->disabled = disabled;
      return store::updateUser(db, **user);
    });
    ASSERT_TRUE(written) << errorText(written);
  };

  setDisabled(true);
  auto result = authenticate("Bearer " + issued.token);
  ASSERT_TRUE(std::holds_alternative<Response>(result));
  EXPECT_EQ(errorCode(std::get<Response>(result)), "revoked_credential");
  EXPECT_NE(std::get<Response>(result).body.find("disabled"), std::string::npos);

  setDisabled(false);
  EXPECT_EQ(rejection("Bearer " + issued.token), "accepted");
}

TEST_F(CredentialsTest, ApiTokenCarriesNameAndOptionalExpiry) {
  IssuedCredential forever;
  IssuedCredential monthly;
  auto written = database_->write([&](store::Session& db) -> Result<void> {
    auto first = issueApiToken(db, alice_, "siem", clock_.now(), std::nullopt);
    if (!first) return tl::unexpected(first.error());
    forever = *first;
    auto second = issueApiToken(db, alice_, "backup", clock_.now(), clock_.now() + hours(24 * 30));
    if (!second) return tl::unexpected(second.error());
    monthly = *second;
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_EQ(stored(forever.id)->name, "siem");
  EXPECT_EQ(stored(forever.id)->kind, "api_token");

  clock_.advance(hours(24 * 365));
  EXPECT_EQ(rejection("Bearer " + forever.token), "accepted");
  EXPECT_EQ(rejection("Bearer " + monthly.token), "expired_credential");
}

TEST_F(CredentialsTest, IssuingForUnknownUserFails) {
  auto written = database_->write([&](store::Session& db) -> Result<void> {
    auto made = issueSession(db, 4242, clock_.now(), hours(1));
    if (!made) return tl::unexpected(made.error());
    return {};
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(CredentialsTest, HostTokenAuthenticatesAsTheHost) {
  const std::string token = hostToken("h-0123456789abcdef");
  ASSERT_EQ(token.size(), 64u);

  auto result = authenticate("Bearer " + token);
  ASSERT_TRUE(std::holds_alternative<Principal>(result)) << std::get<Response>(result).body;
  const Principal& principal = std::get<Principal>(result);
  EXPECT_TRUE(principal.isHost());
  EXPECT_EQ(principal.host_id, "h-0123456789abcdef");
  EXPECT_TRUE(principal.roles.empty());
  EXPECT_TRUE(principal.has(Permission::kAgent));
  EXPECT_FALSE(principal.has(Permission::kReadHosts));

  // Host tokens do not expire.
  clock_.advance(hours(24 * 365 * 5));
  EXPECT_EQ(rejection("Bearer " + token), "accepted");
}

TEST_F(CredentialsTest, NewHostTokenReplacesTheOld) {
  const std::string old_token = hostToken("h-0123456789abcdef");
  const std::string other_host = hostToken("h-fedcba9876543210");
  const std::string new_token = hostToken("h-0123456789abcdef");
  EXPECT_EQ(rejection("Bearer " + old_token), "revoked_credential");
  EXPECT_EQ(rejection("Bearer " + new_token), "accepted");
  EXPECT_EQ(rejection("Bearer " + other_host), "accepted");
}

TEST_F(CredentialsTest, RevokingAHostRejectsItsToken) {
  const std::string token = hostToken("h-0123456789abcdef");
  auto written = database_->write([&](store::Session& db) {
    return revokeHostCredentials(db, "h-0123456789abcdef", clock_.now());
  });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_EQ(rejection("Bearer " + token), "revoked_credential");

  // Revoking again, or a host without tokens, is harmless.
  written = database_->write([&](store::Session& db) {
    return revokeHostCredentials(db, "h-0123456789abcdef", clock_.now());
  });
  EXPECT_TRUE(written) << errorText(written);
}

TEST_F(CredentialsTest, EmptyHostIdIsRejected) {
  auto written = database_->write([&](store::Session& db) -> Result<void> {
    auto made = issueHostToken(db, "", clock_.now());
    if (!made) return tl::unexpected(made.error());
    return {};
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(CredentialsTest, LastUseIsRecordedAtMostOncePerMinute) {
  const IssuedCredential issued = session(alice_);
  EXPECT_EQ(stored(issued.id)->last_used_at, std::nullopt);

  const SystemTime first_use = clock_.now();
  EXPECT_EQ(rejection("Bearer " + issued.token), "accepted");
  EXPECT_EQ(stored(issued.id)->last_used_at, first_use);

  clock_.advance(seconds(59));
  EXPECT_EQ(rejection("Bearer " + issued.token), "accepted");
  EXPECT_EQ(stored(issued.id)->last_used_at, first_use);

  clock_.advance(seconds(1));
  EXPECT_EQ(rejection("Bearer " + issued.token), "accepted");
  EXPECT_EQ(stored(issued.id)->last_used_at, first_use + minutes(1));
}

TEST_F(CredentialsTest, RejectedUseIsNotRecorded) {
  const IssuedCredential issued = session(alice_, hours(1));
  clock_.advance(hours(2));
  EXPECT_EQ(rejection("Bearer " + issued.token), "expired_credential");
  EXPECT_EQ(stored(issued.id)->last_used_at, std::nullopt);
}

}  // namespace
}  // namespace pk::server
