#include "store/enrolment_repository.h"

#include <gtest/gtest.h>

#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::hours;

class EnrolmentRepositoryTest : public conformance::StoreTest {
 protected:
  EnrolmentSecretRecord makeSecret(const std::string& hash) {
    EnrolmentSecretRecord secret;
    secret.secret_hash = hash;
    secret.name = "laptops 2027";
    secret.kind = "endpoint";
    secret.owner = "alice";
    secret.collections = {"finance", "laptops"};
    secret.created_by = "admin";
    secret.created_at = clock_.now();
    secret.expires_at = clock_.now() + hours(48);
    return secret;
  }

  std::int64_t insert(const EnrolmentSecretRecord& secret) {
    std::int64_t id = 0;
    auto written = database().write([&](Session& session) -> Result<void> {
      auto inserted = insertEnrolmentSecret(session, secret);
      if (!inserted) return tl::unexpected(inserted.error());
      id = *inserted;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return id;
  }

  std::optional<EnrolmentSecretRecord> get(std::int64_t id) {
    std::optional<EnrolmentSecretRecord> found;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto secret = getEnrolmentSecret(session, id);
      if (!secret) return tl::unexpected(secret.error());
      found = std::move(*secret);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return found;
  }

  std::vector<EnrolmentSecretRecord> list() {
    std::vector<EnrolmentSecretRecord> secrets;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto listed = listEnrolmentSecrets(session);
      if (!listed) return tl::unexpected(listed.error());
      secrets = std::move(*listed);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return secrets;
  }
};
PK_STORE_CONFORMANCE_SUITE(EnrolmentRepositoryTest);

TEST_P(EnrolmentRepositoryTest, InsertedSecretReadsBack) {
  const auto secret = makeSecret(std::string(64, 'a'));
  const std::int64_t id = insert(secret);
  ASSERT_GT(id, 0);

  const auto found = get(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, id);
  EXPECT_EQ(found->secret_hash, std::string(64, 'a'));
  EXPECT_EQ(found->name, "laptops 2027");
  EXPECT_EQ(found->kind, "endpoint");
  EXPECT_EQ(found->owner, "alice");
  EXPECT_EQ(found->collections, (std::vector<std::string>{"finance", "laptops"}));
  EXPECT_EQ(found->created_by, "admin");
  EXPECT_EQ(found->created_at, secret.created_at);
  EXPECT_EQ(found->expires_at, secret.expires_at);
  EXPECT_FALSE(found->revoked_at);
  EXPECT_EQ(found->use_count, 0);
}

TEST_P(EnrolmentRepositoryTest, FindsByHash) {
  insert(makeSecret(std::string(64, 'a')));
  const std::int64_t id = insert(makeSecret(std::string(64, 'b')));

  std::optional<EnrolmentSecretRecord> found;
  std::optional<EnrolmentSecretRecord> missing;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto by_hash = findEnrolmentSecretByHash(session, std::string(64, 'b'));
    if (!by_hash) return tl::unexpected(by_hash.error());
    found = std::move(*by_hash);
    auto unknown = findEnrolmentSecretByHash(session, std::string(64, 'c'));
    if (!unknown) return tl::unexpected(unknown.error());
    missing = std::move(*unknown);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, id);
  EXPECT_FALSE(missing);
}

TEST_P(EnrolmentRepositoryTest, DuplicateHashIsRejected) {
  insert(makeSecret(std::string(64, 'a')));
  auto written = database().write([&](Session& session) -> Result<void> {
    auto inserted = insertEnrolmentSecret(session, makeSecret(std::string(64, 'a')));
    if (!inserted) return tl::unexpected(inserted.error());
    return {};
  });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(EnrolmentRepositoryTest, ListIncludesRevokedInIdOrder) {
  const std::int64_t first = insert(makeSecret(std::string(64, 'a')));
  const std::int64_t second = insert(makeSecret(std::string(64, 'b')));
  auto revoked = database().write([&](Session& session) -> Result<void> {
    auto result = revokeEnrolmentSecret(session, first, clock_.now());
    if (!result) return tl::unexpected(result.error());
    return {};
  });
  ASSERT_TRUE(revoked) << errorText(revoked);

  std::vector<EnrolmentSecretRecord> secrets;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto listed = listEnrolmentSecrets(session);
    if (!listed) return tl::unexpected(listed.error());
    secrets = std::move(*listed);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(secrets.size(), 2u);
  EXPECT_EQ(secrets[0].id, first);
  EXPECT_TRUE(secrets[0].revoked_at);
  EXPECT_EQ(secrets[1].id, second);
  EXPECT_FALSE(secrets[1].revoked_at);
}

TEST_P(EnrolmentRepositoryTest, RevokeKeepsFirstTime) {
  const std::int64_t id = insert(makeSecret(std::string(64, 'a')));
  const SystemTime first_time = clock_.now();

  std::vector<bool> results;
  auto written = database().write([&](Session& session) -> Result<void> {
    results.clear();  // the work may run more than once
    for (const SystemTime at : {first_time, first_time + hours(1)}) {
      auto revoked = revokeEnrolmentSecret(session, id, at);
      if (!revoked) return tl::unexpected(revoked.error());
      results.push_back(*revoked);
    }
    return {};
  });
  ASSERT_TRUE(written) << errorText(written);
  EXPECT_EQ(results, (std::vector<bool>{true, false}));
  const auto found = get(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->revoked_at, first_time);
}

TEST_P(EnrolmentRepositoryTest, UnknownIdIsNotFound) {
  EXPECT_FALSE(get(42));

  auto revoked = database().write([&](Session& session) -> Result<void> {
    auto result = revokeEnrolmentSecret(session, 42, clock_.now());
    if (!result) return tl::unexpected(result.error());
    return {};
  });
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code, ErrorCode::kNotFound);

  auto used = database().write([&](Session& session) {
    return recordEnrolmentSecretUse(session, 42, "h-0000000000000001", clock_.now());
  });
  ASSERT_FALSE(used);
  EXPECT_EQ(used.error().code, ErrorCode::kNotFound);
}

TEST_P(EnrolmentRepositoryTest, UseCountGrows) {
  const std::int64_t id = insert(makeSecret(std::string(64, 'a')));
  const std::int64_t other = insert(makeSecret(std::string(64, 'b')));
  for (const std::string host_id :
       {"h-0000000000000001", "h-0000000000000002", "h-0000000000000001"}) {
    auto used = database().write([&](Session& session) {
      return recordEnrolmentSecretUse(session, id, host_id, clock_.now());
    });
    ASSERT_TRUE(used) << errorText(used);
  }
  const auto found = get(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->use_count, 3);
  const auto other_found = get(other);
  ASSERT_TRUE(other_found);
  EXPECT_EQ(other_found->use_count, 0);
}

// Uses counted in the column before schema version 7 still count.
TEST_P(EnrolmentRepositoryTest, UsesCountedBeforeVersion7AreKept) {
  const std::int64_t id = insert(makeSecret(std::string(64, 'a')));
  auto written = database().write([&](Session& session) -> Result<void> {
    if (auto set = session.execute("UPDATE enrolment_secrets SET use_count = 5 WHERE id = ?", {id});
        !set) {
      return set;
    }
    return recordEnrolmentSecretUse(session, id, "h-0000000000000001", clock_.now());
  });
  ASSERT_TRUE(written) << errorText(written);
  const auto found = get(id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->use_count, 6);
  const auto listed = list();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].use_count, 6);
}

}  // namespace
}  // namespace pk::store
