// What only the PostgreSQL backend promises: re-opening dropped
// connections, clear connection errors, concurrent writers in several
// Database objects, and nodes migrating one database at once. Each test
// needs PK_TEST_POSTGRESQL and skips cleanly without it.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/migrations.h"
#include "store/postgresql_database.h"
#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;
using conformance::TemporaryPostgresqlDatabase;

class PostgresqlDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = conformance::postgresqlTestServer();
    if (!server_) GTEST_SKIP() << "set PK_TEST_POSTGRESQL to run the PostgreSQL backend tests";
    auto created = TemporaryPostgresqlDatabase::create(*server_);
    ASSERT_TRUE(created) << errorText(created);
    database_.emplace(std::move(*created));
  }

  std::unique_ptr<Database> open() {
    auto opened = openDatabase(database_->connectionString());
    EXPECT_TRUE(opened) << errorText(opened);
    return opened ? std::move(*opened) : nullptr;
  }

  // Ends every other connection to the test database, as a server restart
  // or an administrator's pg_terminate_backend would, and waits until they
  // have gone.
  void terminateOtherConnections(Database& database) {
    auto done = database.write([&](Session& session) -> Result<void> {
      return session
          .query(
              "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = "
              "current_database() AND pid <> pg_backend_pid()")
          .map([](auto&&) {});
    });
    ASSERT_TRUE(done) << errorText(done);
  }

  std::optional<std::string> server_;
  std::optional<TemporaryPostgresqlDatabase> database_;
};

Result<std::int64_t> countOf(Database& database, const std::string& sql) {
  std::int64_t count = -1;
  auto done = database.read([&](Session& session) -> Result<void> {
    auto row = session.queryOne(sql);
    if (!row) return tl::unexpected(row.error());
    count = (*row)->integer(0);
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return count;
}

TEST_F(PostgresqlDatabaseTest, DroppedConnectionIsReopened) {
  auto database = open();
  ASSERT_TRUE(database);
  auto other = open();
  ASSERT_TRUE(other);
  ASSERT_TRUE(migrate(*database));
  // Both read() and write() have used a pooled connection.
  auto first = countOf(*database, "SELECT COUNT(*) FROM settings");
  ASSERT_TRUE(first) << errorText(first);

  terminateOtherConnections(*other);

  auto written = database->write([](Session& session) {
    return session.execute("INSERT INTO settings (key, value, updated_at) VALUES ('a', 'b', 0)");
  });
  ASSERT_TRUE(written) << errorText(written);
  auto count = countOf(*database, "SELECT COUNT(*) FROM settings");
  ASSERT_TRUE(count) << errorText(count);
  EXPECT_EQ(*count, 1);
}

TEST_F(PostgresqlDatabaseTest, WrongPasswordIsClearAndKeepsPasswordOut) {
  auto parts = parsePostgresqlConnectionString(database_->connectionString());
  ASSERT_TRUE(parts) << errorText(parts);
  parts->password = "not-the-right-password-7f3a";

  auto opened = openDatabase(parts->format());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kIoError);
  EXPECT_NE(opened.error().message.find("password authentication failed"), std::string::npos)
      << opened.error().message;
  EXPECT_NE(opened.error().message.find(parts->user), std::string::npos) << opened.error().message;
  EXPECT_EQ(opened.error().message.find("not-the-right-password-7f3a"), std::string::npos)
      << opened.error().message;
}

TEST_F(PostgresqlDatabaseTest, MissingDatabaseIsIoError) {
  auto parts = parsePostgresqlConnectionString(database_->connectionString());
  ASSERT_TRUE(parts) << errorText(parts);
  parts->dbname = database_->name() + "_missing";
  auto opened = openDatabase(parts->format());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kIoError);
  EXPECT_NE(opened.error().message.find("does not exist"), std::string::npos)
      << opened.error().message;
}

// Two Database objects stand for two server processes: read-then-write
// transactions on one row conflict, and every one of them either commits
// or fails with an error that says it can be retried. None is lost.
TEST_F(PostgresqlDatabaseTest, ConcurrentWritersInTwoDatabasesLoseNoUpdate) {
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first && second);
  auto created = first->write([](Session& session) -> Result<void> {
    if (auto done = session.execute("CREATE TABLE counter (value INTEGER NOT NULL)"); !done) {
      return done;
    }
    return session.execute("INSERT INTO counter (value) VALUES (0)");
  });
  ASSERT_TRUE(created) << errorText(created);

  constexpr int kThreadsPerDatabase = 2;
  constexpr int kIncrements = 40;
  std::atomic<int> committed{0};
  std::atomic<int> gave_up{0};
  std::vector<std::thread> threads;
  for (Database* database : {first.get(), second.get()}) {
    for (int t = 0; t < kThreadsPerDatabase; ++t) {
      threads.emplace_back([&, database] {
        for (int i = 0; i < kIncrements; ++i) {
          auto done = database->write([](Session& session) -> Result<void> {
            auto row = session.queryOne("SELECT value FROM counter");
            if (!row) return tl::unexpected(row.error());
            return session.execute("UPDATE counter SET value = ?", {(*row)->integer(0) + 1});
          });
          if (done) {
            ++committed;
          } else {
            ++gave_up;
            EXPECT_EQ(done.error().code, ErrorCode::kIoError);
            EXPECT_NE(done.error().message.find("can be retried"), std::string::npos)
                << done.error().message;
          }
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(committed + gave_up, 2 * kThreadsPerDatabase * kIncrements);
  auto value = countOf(*first, "SELECT value FROM counter");
  ASSERT_TRUE(value) << errorText(value);
  EXPECT_EQ(*value, committed.load());
  // The retries should absorb nearly every conflict between two writers.
  EXPECT_LE(gave_up.load(), kIncrements / 4);
}

// Several nodes starting at once on an empty database: the advisory lock
// makes them take turns, each migration is applied once and none fails.
TEST_F(PostgresqlDatabaseTest, NodesMigratingAtOnceApplyEachMigrationOnce) {
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<Database>> nodes;
  for (int i = 0; i < kNodes; ++i) {
    nodes.push_back(open());
    ASSERT_TRUE(nodes.back());
  }
  std::vector<Result<void>> results(kNodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back([&, i] {
      results[static_cast<std::size_t>(i)] = migrate(*nodes[static_cast<std::size_t>(i)]);
    });
  }
  for (auto& thread : threads) thread.join();

  for (const auto& result : results) EXPECT_TRUE(result) << errorText(result);
  auto applied = countOf(*nodes.front(), "SELECT COUNT(*) FROM schema_migrations");
  ASSERT_TRUE(applied) << errorText(applied);
  EXPECT_EQ(*applied, latestSchemaVersion());
}

TEST_F(PostgresqlDatabaseTest, AuditTriggerRaisesConstraintClassError) {
  auto database = open();
  ASSERT_TRUE(database);
  ASSERT_TRUE(migrate(*database));
  auto truncated =
      database->write([](Session& session) { return session.execute("TRUNCATE audit_events"); });
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, ErrorCode::kInvalidArgument) << truncated.error().message;
}

TEST_F(PostgresqlDatabaseTest, TextWithNulIsRejected) {
  auto database = open();
  ASSERT_TRUE(database);
  auto done = database->read([](Session& session) {
    return session.query("SELECT ?", {std::string("a\0b", 3)}).map([](auto&&) {});
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kInvalidArgument);
}

// A statement after a failed one is refused, and work that swallows the
// failure and returns success saves nothing.
TEST_F(PostgresqlDatabaseTest, SwallowedFailureSavesNothing) {
  auto database = open();
  ASSERT_TRUE(database);
  ASSERT_TRUE(migrate(*database));
  Result<void> after_failure;
  auto done = database->write([&](Session& session) -> Result<void> {
    (void)session.execute("INSERT INTO nowhere VALUES (1)");
    after_failure =
        session.execute("INSERT INTO settings (key, value, updated_at) VALUES ('a', 'b', 0)");
    return {};
  });
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code, ErrorCode::kIoError);
  ASSERT_FALSE(after_failure);
  auto count = countOf(*database, "SELECT COUNT(*) FROM settings");
  ASSERT_TRUE(count) << errorText(count);
  EXPECT_EQ(*count, 0);
}

}  // namespace
}  // namespace pk::store
