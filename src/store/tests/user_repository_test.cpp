#include "store/user_repository.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;
using std::chrono::minutes;

// Repositories store whatever hash they are given; a real Argon2id string
// is not needed to test them.
constexpr const char* kHash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";

class UserRepositoryTest : public conformance::StoreTest {
 protected:
  UserRecord makeUser(std::string username, std::vector<std::string> roles) {
    UserRecord user;
    user.username = std::move(username);
    user.password_hash = kHash;
    user.roles = std::move(roles);
    user.created_at = clock_.now();
    user.updated_at = clock_.now();
    return user;
  }

  // Inserts `user` in its own transaction; returns the id, 0 on failure.
  std::int64_t insert(const UserRecord& user) {
    std::int64_t id = 0;
    auto written = database().write([&](Session& session) -> Result<void> {
      auto inserted = insertUser(session, user);
      if (!inserted) return tl::unexpected(inserted.error());
      id = *inserted;
      return {};
    });
    EXPECT_TRUE(written) << errorText(written);
    return id;
  }

  Result<void> tryInsert(const UserRecord& user) {
    return database().write([&](Session& session) -> Result<void> {
      auto inserted = insertUser(session, user);
      if (!inserted) return tl::unexpected(inserted.error());
      return {};
    });
  }

  std::optional<UserRecord> byName(const std::string& username) {
    std::optional<UserRecord> found;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto user = findUserByName(session, username);
      if (!user) return tl::unexpected(user.error());
      found = std::move(*user);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return found;
  }

  std::int64_t countWith(std::function<Result<std::int64_t>(Session&)> count) {
    std::int64_t value = -1;
    auto read = database().read([&](Session& session) -> Result<void> {
      auto counted = count(session);
      if (!counted) return tl::unexpected(counted.error());
      value = *counted;
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return value;
  }
};
PK_STORE_CONFORMANCE_SUITE(UserRepositoryTest);

TEST_P(UserRepositoryTest, InsertsAndFindsByNameAndId) {
  const std::int64_t id = insert(makeUser("alice", {"owner", "admin"}));
  ASSERT_GT(id, 0);

  const auto found = byName("alice");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, id);
  EXPECT_EQ(found->username, "alice");
  EXPECT_EQ(found->password_hash, kHash);
  EXPECT_FALSE(found->disabled);
  EXPECT_EQ(found->roles, (std::vector<std::string>{"admin", "owner"}));
  EXPECT_EQ(found->created_at, clock_.now());

  std::optional<UserRecord> by_id;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto user = findUserById(session, id);
    if (!user) return tl::unexpected(user.error());
    by_id = std::move(*user);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->username, "alice");
  EXPECT_EQ(by_id->roles, found->roles);
}

TEST_P(UserRepositoryTest, UnknownUserIsNullopt) {
  EXPECT_FALSE(byName("nobody"));
}

TEST_P(UserRepositoryTest, RejectsDuplicateUsername) {
  ASSERT_GT(insert(makeUser("alice", {"viewer"})), 0);
  const auto second = tryInsert(makeUser("alice", {"admin"}));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(second.error().message.find("alice"), std::string::npos) << second.error().message;
  EXPECT_EQ(byName("alice")->roles, (std::vector<std::string>{"viewer"}));
}

TEST_P(UserRepositoryTest, RejectsUnknownRoleAndKeepsNothing) {
  const auto inserted = tryInsert(makeUser("bob", {"viewer", "superuser"}));
  ASSERT_FALSE(inserted);
  EXPECT_EQ(inserted.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(inserted.error().message.find("superuser"), std::string::npos);
  // The failed transaction rolled back the user row too.
  EXPECT_FALSE(byName("bob"));
}

TEST_P(UserRepositoryTest, RejectsEmptyPasswordHash) {
  UserRecord user = makeUser("carol", {"viewer"});
  user.password_hash.clear();
  const auto inserted = tryInsert(user);
  ASSERT_FALSE(inserted);
  EXPECT_EQ(inserted.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(UserRepositoryTest, DuplicateRolesAreStoredOnce) {
  insert(makeUser("dave", {"viewer", "viewer", "auditor"}));
  EXPECT_EQ(byName("dave")->roles, (std::vector<std::string>{"auditor", "viewer"}));
  // The help-desk integration's role (docs/TICKETS.md).
  insert(makeUser("desk", {"helpdesk"}));
  EXPECT_EQ(byName("desk")->roles, std::vector<std::string>{"helpdesk"});
}

TEST_P(UserRepositoryTest, ListsSortedWithRoles) {
  insert(makeUser("zoe", {"viewer"}));
  insert(makeUser("alice", {"admin", "auditor"}));
  insert(makeUser("mallory", {}));

  std::vector<UserRecord> users;
  auto read = database().read([&](Session& session) -> Result<void> {
    auto listed = listUsers(session);
    if (!listed) return tl::unexpected(listed.error());
    users = std::move(*listed);
    return {};
  });
  ASSERT_TRUE(read) << errorText(read);
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[0].username, "alice");
  EXPECT_EQ(users[0].roles, (std::vector<std::string>{"admin", "auditor"}));
  EXPECT_EQ(users[1].username, "mallory");
  EXPECT_TRUE(users[1].roles.empty());
  EXPECT_EQ(users[2].username, "zoe");
  EXPECT_EQ(users[2].roles, (std::vector<std::string>{"viewer"}));
}

TEST_P(UserRepositoryTest, UpdateReplacesRolesPasswordAndDisabled) {
  const std::int64_t id = insert(makeUser("erin", {"viewer", "owner"}));
  UserRecord user = *byName("erin");
  clock_.advance(minutes(5));
  user.roles = {"operator"};
  user.password_hash = "$argon2id$new";
  user.disabled = true;
  user.updated_at = clock_.now();
  // Renames are not part of an update.
  user.username = "ignored";

  auto written = database().write([&](Session& session) { return updateUser(session, user); });
  ASSERT_TRUE(written) << errorText(written);

  const auto stored = byName("erin");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->id, id);
  EXPECT_EQ(stored->roles, (std::vector<std::string>{"operator"}));
  EXPECT_EQ(stored->password_hash, "$argon2id$new");
  EXPECT_TRUE(stored->disabled);
  EXPECT_EQ(stored->updated_at, clock_.now());
  EXPECT_EQ(stored->created_at, clock_.now() - minutes(5));
}

TEST_P(UserRepositoryTest, UpdateOfUnknownIdIsNotFound) {
  UserRecord ghost = makeUser("ghost", {});
  ghost.id = 4242;
  auto written = database().write([&](Session& session) { return updateUser(session, ghost); });
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
}

TEST_P(UserRepositoryTest, CountsUsersAndEnabledHoldersOfRole) {
  EXPECT_EQ(countWith([](Session& session) { return countUsers(session); }), 0);
  insert(makeUser("alice", {"admin"}));
  insert(makeUser("bob", {"admin", "viewer"}));
  UserRecord disabled = makeUser("carol", {"admin"});
  disabled.disabled = true;
  insert(disabled);

  EXPECT_EQ(countWith([](Session& session) { return countUsers(session); }), 3);
  EXPECT_EQ(countWith([](Session& session) { return countEnabledUsersWithRole(session, "admin"); }),
            2);
  EXPECT_EQ(
      countWith([](Session& session) { return countEnabledUsersWithRole(session, "viewer"); }), 1);
  EXPECT_EQ(
      countWith([](Session& session) { return countEnabledUsersWithRole(session, "auditor"); }), 0);
}

TEST(ValidateUsername, AcceptsAndRejects) {
  for (const char* good : {"alice", "a", "bob.smith", "j_doe-2", "ops@example.org", "007"}) {
    EXPECT_TRUE(validateUsername(good)) << good;
  }
  for (const char* bad :
       {"", "Alice", ".alice", "-bob", "al ice", "al/ice", "al:ice", "\xC3\xA9"}) {
    EXPECT_FALSE(validateUsername(bad)) << bad;
  }
  EXPECT_TRUE(validateUsername(std::string(kMaxUsernameLength, 'a')));
  EXPECT_FALSE(validateUsername(std::string(kMaxUsernameLength + 1, 'a')));
}

TEST_P(UserRepositoryTest, InsertValidatesUsername) {
  const auto inserted = tryInsert(makeUser("Root User", {"admin"}));
  ASSERT_FALSE(inserted);
  EXPECT_EQ(inserted.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace pk::store
