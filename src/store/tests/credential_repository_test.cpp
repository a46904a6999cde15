#include "store/credential_repository.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "store/tests/conformance.h"
#include "store/user_repository.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::hours;
using std::chrono::minutes;

// A 64-hex-digit stand-in for a token hash, distinct per `seed`.
std::string fakeHash(char seed) {
  return std::string(64, seed);
}

class CredentialRepositoryTest : public conformance::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto written = database().write([&](Session& session) -> Result<void> {
      for (const char* name : {"alice", "bob"}) {
        UserRecord user;
        user.username = name;
        user.password_hash = "$argon2id$placeholder";
        user.roles = {"viewer"};
        user.created_at = clock_.now();
        user.updated_at = clock_.now();
        auto id = insertUser(session, user);
        if (!id) return tl::unexpected(id.error());
        (std::string(name) == "alice" ? alice_ : bob_) = *id;
      }
      return {};
    });
    ASSERT_TRUE(written) << errorText(written);
  }

  CredentialRecord userCredential(std::int64_t user_id, std::string_view kind, char seed) {
    CredentialRecord credential;
    credential.kind = std::string(kind);
    credential.token_hash = fakeHash(seed);
    credential.user_id = user_id;
    credential.created_at = clock_.now();
    return credential;
  }

  CredentialRecord hostCredential(const std::string& host_id, char seed) {
    CredentialRecord credential;
    credential.kind = std::string(kCredentialHost);
    credential.token_hash = fakeHash(seed);
    credential.host_id = host_id;
    credential.created_at = clock_.now();
    return credential;
  }

  Result<std::int64_t> tryInsert(const CredentialRecord& credential) {
    std::int64_t id = 0;
    auto written = database().write([&](Session& session) -> Result<void> {
      auto inserted = insertCredential(session, credential);
      if (!inserted) return tl::unexpected(inserted.error());
      id = *inserted;
      return {};
    });
    if (!written) return tl::unexpected(written.error());
    return id;
  }

  std::int64_t insert(const CredentialRecord& credential) {
    auto id = tryInsert(credential);
    EXPECT_TRUE(id) << errorText(id);
    return id ? *id : 0;
  }

  std::optional<CredentialRecord> byHash(const std::string& hash) {
    std::optional<CredentialRecord> found;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto credential = findCredentialByHash(session, hash);
      if (!credential) return tl::unexpected(credential.error());
      found = std::move(*credential);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return found;
  }

  template <typename T>
  T write(std::function<Result<T>(Session&)> work) {
    T value{};
    auto written = database().write([&](Session& session) -> Result<void> {
      auto result = work(session);
      if (!result) return tl::unexpected(result.error());
      value = *result;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return value;
  }

  std::int64_t alice_ = 0;
  std::int64_t bob_ = 0;
};
PK_STORE_CONFORMANCE_SUITE(CredentialRepositoryTest);

TEST_P(CredentialRepositoryTest, InsertsAndFindsByHash) {
  CredentialRecord token = userCredential(alice_, kCredentialApiToken, 'a');
  token.name = "siem export";
  token.expires_at = clock_.now() + hours(24 * 30);
  const std::int64_t id = insert(token);
  ASSERT_GT(id, 0);

  const auto found = byHash(fakeHash('a'));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, id);
  EXPECT_EQ(found->kind, "api_token");
  EXPECT_EQ(found->user_id, alice_);
  EXPECT_EQ(found->host_id, std::nullopt);
  EXPECT_EQ(found->name, "siem export");
  EXPECT_EQ(found->created_at, clock_.now());
  EXPECT_EQ(found->expires_at, clock_.now() + hours(24 * 30));
  EXPECT_EQ(found->revoked_at, std::nullopt);
  EXPECT_EQ(found->last_used_at, std::nullopt);

  std::optional<CredentialRecord> by_id;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto credential = findCredentialById(session, id);
    if (!credential) return tl::unexpected(credential.error());
    by_id = std::move(*credential);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->token_hash, fakeHash('a'));
}

TEST_P(CredentialRepositoryTest, UnknownHashIsNullopt) {
  EXPECT_FALSE(byHash(fakeHash('f')));
}

TEST_P(CredentialRepositoryTest, RejectsDuplicateTokenHash) {
  insert(userCredential(alice_, kCredentialSession, 'a'));
  const auto second = tryInsert(userCredential(bob_, kCredentialSession, 'a'));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(CredentialRepositoryTest, RejectsOwnerThatDoesNotFitKind) {
  CredentialRecord host_with_user = hostCredential("h-0000000000000001", 'a');
  host_with_user.user_id = alice_;
  CredentialRecord session_without_user = userCredential(alice_, kCredentialSession, 'b');
  session_without_user.user_id.reset();
  CredentialRecord session_with_host = userCredential(alice_, kCredentialSession, 'c');
  session_with_host.host_id = "h-0000000000000001";
  CredentialRecord unknown_kind = userCredential(alice_, "password", 'd');

  for (const CredentialRecord& bad :
       {host_with_user, session_without_user, session_with_host, unknown_kind}) {
    const auto inserted = tryInsert(bad);
    ASSERT_FALSE(inserted) << bad.kind;
    EXPECT_EQ(inserted.error().code, ErrorCode::kInvalidArgument) << bad.kind;
  }
}

TEST_P(CredentialRepositoryTest, LivenessFollowsRevocationAndExpiry) {
  CredentialRecord session = userCredential(alice_, kCredentialSession, 'a');
  session.expires_at = clock_.now() + hours(12);
  EXPECT_TRUE(session.isLive(clock_.now()));
  EXPECT_TRUE(session.isLive(clock_.now() + hours(12) - std::chrono::microseconds(1)));
  EXPECT_FALSE(session.isLive(clock_.now() + hours(12)));
  session.revoked_at = clock_.now();
  EXPECT_FALSE(session.isLive(clock_.now()));

  CredentialRecord host = hostCredential("h-0000000000000001", 'b');
  EXPECT_TRUE(host.isLive(clock_.now() + hours(24 * 365 * 10)));
}

TEST_P(CredentialRepositoryTest, RevokesOnceAndReportsIt) {
  const std::int64_t id = insert(userCredential(alice_, kCredentialApiToken, 'a'));
  clock_.advance(minutes(3));
  const SystemTime revoked_at = clock_.now();

  EXPECT_TRUE(write<bool>([&](Session& s) { return revokeCredential(s, id, revoked_at); }));
  clock_.advance(minutes(3));
  EXPECT_FALSE(write<bool>([&](Session& s) { return revokeCredential(s, id, clock_.now()); }));
  EXPECT_FALSE(write<bool>([&](Session& s) { return revokeCredential(s, 9999, clock_.now()); }));

  // The second revocation did not move the recorded time.
  EXPECT_EQ(byHash(fakeHash('a'))->revoked_at, revoked_at);
}

TEST_P(CredentialRepositoryTest, RevokesEveryCredentialOfOneHost) {
  insert(hostCredential("h-0000000000000001", 'a'));
  insert(hostCredential("h-0000000000000001", 'b'));
  insert(hostCredential("h-0000000000000002", 'c'));

  EXPECT_EQ(write<std::int64_t>([&](Session& s) {
              return revokeCredentialsOfHost(s, "h-0000000000000001", clock_.now());
            }),
            2);
  EXPECT_TRUE(byHash(fakeHash('a'))->revoked_at);
  EXPECT_TRUE(byHash(fakeHash('b'))->revoked_at);
  EXPECT_FALSE(byHash(fakeHash('c'))->revoked_at);
  EXPECT_EQ(write<std::int64_t>([&](Session& s) {
              return revokeCredentialsOfHost(s, "h-0000000000000001", clock_.now());
            }),
            0);
}

TEST_P(CredentialRepositoryTest, RevokesOneKindOfOneUser) {
  insert(userCredential(alice_, kCredentialSession, 'a'));
  insert(userCredential(alice_, kCredentialSession, 'b'));
  insert(userCredential(alice_, kCredentialApiToken, 'c'));
  insert(userCredential(bob_, kCredentialSession, 'd'));

  EXPECT_EQ(write<std::int64_t>([&](Session& s) {
              return revokeCredentialsOfUser(s, alice_, kCredentialSession, clock_.now());
            }),
            2);
  EXPECT_TRUE(byHash(fakeHash('a'))->revoked_at);
  EXPECT_TRUE(byHash(fakeHash('b'))->revoked_at);
  EXPECT_FALSE(byHash(fakeHash('c'))->revoked_at);
  EXPECT_FALSE(byHash(fakeHash('d'))->revoked_at);
}

TEST_P(CredentialRepositoryTest, ListsOneKindOfOneUserNewestFirst) {
  CredentialRecord first = userCredential(alice_, kCredentialApiToken, 'a');
  first.name = "first";
  CredentialRecord second = userCredential(alice_, kCredentialApiToken, 'b');
  second.name = "second";
  const std::int64_t first_id = insert(first);
  const std::int64_t second_id = insert(second);
  insert(userCredential(alice_, kCredentialSession, 'c'));
  insert(userCredential(bob_, kCredentialApiToken, 'd'));

  std::vector<CredentialRecord> listed;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto credentials = listUserCredentials(session, alice_, kCredentialApiToken);
    if (!credentials) return tl::unexpected(credentials.error());
    listed = std::move(*credentials);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, second_id);
  EXPECT_EQ(listed[0].name, "second");
  EXPECT_EQ(listed[1].id, first_id);
}

TEST_P(CredentialRepositoryTest, RecordsLastUse) {
  const std::int64_t id = insert(userCredential(alice_, kCredentialSession, 'a'));
  clock_.advance(minutes(7));
  auto written = database().write(
      [&](Session& session) { return setCredentialLastUsed(session, id, clock_.now()); });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_EQ(byHash(fakeHash('a'))->last_used_at, clock_.now());
}

TEST_P(CredentialRepositoryTest, DeletesStaleUserCredentialsOnly) {
  const SystemTime start = clock_.now();
  CredentialRecord expired = userCredential(alice_, kCredentialSession, 'a');
  expired.expires_at = start + hours(1);
  CredentialRecord revoked = userCredential(alice_, kCredentialApiToken, 'b');
  revoked.revoked_at = start + hours(2);
  CredentialRecord live = userCredential(alice_, kCredentialSession, 'c');
  live.expires_at = start + hours(48);
  CredentialRecord forever = userCredential(bob_, kCredentialApiToken, 'd');
  CredentialRecord revoked_host = hostCredential("h-0000000000000001", 'e');
  revoked_host.revoked_at = start;
  for (const auto& credential : {expired, revoked, live, forever, revoked_host}) insert(credential);

  EXPECT_EQ(
      write<std::int64_t>([&](Session& s) { return deleteStaleCredentials(s, start + hours(24)); }),
      2);
  EXPECT_FALSE(byHash(fakeHash('a')));
  EXPECT_FALSE(byHash(fakeHash('b')));
  EXPECT_TRUE(byHash(fakeHash('c')));
  EXPECT_TRUE(byHash(fakeHash('d')));
  EXPECT_TRUE(byHash(fakeHash('e')));
}

}  // namespace
}  // namespace pk::store
