#include "server/init_admin.h"

#include <memory>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "server/passwords.h"
#include "store/audit_repository.h"
#include "store/migrations.h"
#include "store/user_repository.h"
#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

constexpr const char* kPassword = "correct horse battery staple";

SystemTime start() {
  return SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1));
}

template <typename T>
std::string errorText(const Result<T>& result) {
  return result ? "" : result.error().message;
}

class InitAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = test_support::TemporaryDirectory::create("init-admin");
    ASSERT_TRUE(directory) << errorText(directory);
    directory_.emplace(std::move(*directory));
    auto database =
        store::openDatabase("sqlite://" + (directory_->path() / "patchkeeper.db").string());
    ASSERT_TRUE(database) << errorText(database);
    database_ = std::move(*database);
    auto migrated = store::migrate(*database_, clock_);
    ASSERT_TRUE(migrated) << errorText(migrated);
  }

  std::vector<store::UserRecord> users() {
    std::vector<store::UserRecord> listed;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      auto all = store::listUsers(session);
      if (!all) return tl::unexpected(all.error());
      listed = std::move(*all);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return listed;
  }

  std::vector<store::AuditEvent> auditEvents() {
    std::vector<store::AuditEvent> events;
    auto read = database_->read([&](store::Session& session) -> Result<void> {
      auto listed = store::listAuditEvents(session, store::AuditQuery{});
      if (!listed) return tl::unexpected(listed.error());
      events = std::move(*listed);
      return {};
    });
    EXPECT_TRUE(read) << errorText(read);
    return events;
  }

  FakeClock clock_{start()};
  std::optional<test_support::TemporaryDirectory> directory_;
  std::unique_ptr<store::Database> database_;
};

TEST_F(InitAdminTest, CreatesTheFirstAdmin) {
  auto created = initFirstAdmin(*database_, "root", kPassword, clock_.now());
  ASSERT_TRUE(created) << errorText(created);

  const auto all = users();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].username, "root");
  EXPECT_EQ(all[0].roles, (std::vector<std::string>{"admin"}));
  EXPECT_FALSE(all[0].disabled);
  EXPECT_EQ(all[0].created_at, clock_.now());
  EXPECT_TRUE(verifyPassword(all[0].password_hash, kPassword));

  const auto events = auditEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, "user.create");
  EXPECT_EQ(events[0].actor, "system");
  EXPECT_EQ(events[0].object_id, "root");
  EXPECT_EQ(events[0].after_json.find("argon2"), std::string::npos);
  EXPECT_EQ(events[0].after_json.find(kPassword), std::string::npos);
}

TEST_F(InitAdminTest, RefusesWhenAnyUserExists) {
  ASSERT_TRUE(initFirstAdmin(*database_, "root", kPassword, clock_.now()));
  auto second = initFirstAdmin(*database_, "other", kPassword, clock_.now());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(second.error().message.find("already has 1 user"), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find("/api/v1/users"), std::string::npos);
  EXPECT_EQ(users().size(), 1u);
  EXPECT_EQ(auditEvents().size(), 1u);
}

TEST_F(InitAdminTest, RejectsInvalidUsernameAndWeakPassword) {
  auto bad_name = initFirstAdmin(*database_, "Root Admin", kPassword, clock_.now());
  ASSERT_FALSE(bad_name);
  EXPECT_EQ(bad_name.error().code, ErrorCode::kInvalidArgument);

  auto weak = initFirstAdmin(*database_, "root", "short", clock_.now());
  ASSERT_FALSE(weak);
  EXPECT_EQ(weak.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(weak.error().message.find("at least 12"), std::string::npos) << weak.error().message;

  EXPECT_TRUE(users().empty());
}

TEST_F(InitAdminTest, ReadsPasswordFiles) {
  const auto& folder = directory_->path();
  ASSERT_TRUE(test_support::writeFile(folder, "plain", kPassword));
  ASSERT_TRUE(test_support::writeFile(folder, "newline", std::string(kPassword) + "\n"));
  ASSERT_TRUE(test_support::writeFile(folder, "crlf", std::string(kPassword) + "\r\n"));
  ASSERT_TRUE(test_support::writeFile(folder, "two-newlines", std::string(kPassword) + "\n\n"));
  ASSERT_TRUE(test_support::writeFile(folder, "empty", "\n"));
  ASSERT_TRUE(test_support::writeFile(folder, "huge", std::string(kMaxPasswordBytes + 1, 'x')));
  ASSERT_TRUE(
      test_support::writeFile(folder, "largest", std::string(kMaxPasswordBytes, 'x') + "\n"));

  for (const char* name : {"plain", "newline", "crlf"}) {
    auto password = readPasswordFile(folder / name);
    ASSERT_TRUE(password) << name << ": " << errorText(password);
    EXPECT_EQ(*password, kPassword) << name;
  }
  // Only one line ending is removed; the rest is part of the password.
  EXPECT_EQ(readPasswordFile(folder / "two-newlines").value_or(""), std::string(kPassword) + "\n");
  EXPECT_EQ(readPasswordFile(folder / "largest").value_or("").size(), kMaxPasswordBytes);

  auto empty = readPasswordFile(folder / "empty");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  auto huge = readPasswordFile(folder / "huge");
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, ErrorCode::kInvalidArgument);
  auto missing = readPasswordFile(folder / "missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace pk::server
