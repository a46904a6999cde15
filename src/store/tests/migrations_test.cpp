#include "store/migrations.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "store/tests/conformance.h"

namespace pk::store {
namespace {

using conformance::errorText;

struct AppliedMigration {
  std::int64_t version = 0;
  std::string name;
  std::int64_t applied_at = 0;

  bool operator==(const AppliedMigration&) const = default;
};

class MigrationsTest : public conformance::StoreTest {
 protected:
  std::vector<AppliedMigration> appliedMigrations() {
    std::vector<AppliedMigration> applied;
    auto done = database().read([&](Session& session) -> Result<void> {
      auto rows =
          session.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
      if (!rows) return tl::unexpected(rows.error());
      for (const Row& row : *rows) {
        applied.push_back({row.integer(0), row.text(1), row.integer(2)});
      }
      return {};
    });
    EXPECT_TRUE(done) << errorText(done);
    return applied;
  }
};
PK_STORE_CONFORMANCE_SUITE(MigrationsTest);

TEST(MigrationList, VersionsCountUpFromOne) {
  const auto& migrations = allMigrations();
  ASSERT_FALSE(migrations.empty());
  for (std::size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<std::int64_t>(i + 1)) << migrations[i].name;
    EXPECT_FALSE(migrations[i].name.empty()) << "migration " << migrations[i].version;
  }
  EXPECT_EQ(latestSchemaVersion(), migrations.back().version);
}

TEST(MigrationList, CoreComesFirst) {
  ASSERT_GE(allMigrations().size(), 4u);
  EXPECT_EQ(allMigrations()[0].name, "core");
  EXPECT_EQ(allMigrations()[1].name, "people");
  EXPECT_EQ(allMigrations()[2].name, "hosts");
  EXPECT_EQ(allMigrations()[3].name, "vulnerabilities");
}

TEST(MigrationEmptyDatabase, VersionIsZero) {
  auto database = openDatabase("sqlite::memory:");
  ASSERT_TRUE(database) << errorText(database);
  auto version = currentSchemaVersion(**database);
  ASSERT_TRUE(version) << errorText(version);
  EXPECT_EQ(*version, 0);
}

// Whether `table` exists in a SQLite database.
bool hasTable(Database& database, const std::string& table) {
  bool found = false;
  auto done = database.read([&](Session& session) -> Result<void> {
    auto row =
        session.queryOne("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", {table});
    if (!row) return tl::unexpected(row.error());
    found = row->has_value();
    return {};
  });
  EXPECT_TRUE(done) << errorText(done);
  return found;
}

TEST(MigrationMechanism, FailingMigrationRollsBackAlone) {
  auto database = openDatabase("sqlite::memory:");
  ASSERT_TRUE(database) << errorText(database);
  FakeClock clock(conformance::fixtureStartTime());
  const std::vector<Migration> migrations = {
      {.version = 1, .name = "first", .statements = {"CREATE TABLE first (id INTEGER)"}},
      {.version = 2,
       .name = "broken",
       .statements = {"CREATE TABLE second (id INTEGER)", "CREATE TABLE first (id INTEGER)"}},
  };

  auto result = migrateWith(**database, migrations, clock);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kIoError);
  EXPECT_NE(result.error().message.find("schema migration 2 (broken)"), std::string::npos)
      << result.error().message;
  EXPECT_TRUE(hasTable(**database, "first"));
  EXPECT_FALSE(hasTable(**database, "second"));
  auto version = currentSchemaVersion(**database);
  ASSERT_TRUE(version) << errorText(version);
  EXPECT_EQ(*version, 1);
}

TEST(MigrationMechanism, GapInVersionsIsRejected) {
  auto database = openDatabase("sqlite::memory:");
  ASSERT_TRUE(database) << errorText(database);
  FakeClock clock(conformance::fixtureStartTime());
  const std::vector<Migration> migrations = {
      {.version = 1, .name = "first", .statements = {"CREATE TABLE first (id INTEGER)"}},
      {.version = 3, .name = "third", .statements = {"CREATE TABLE third (id INTEGER)"}},
  };

  auto result = migrateWith(**database, migrations, clock);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInternal);
  EXPECT_FALSE(hasTable(**database, "first"));
}

TEST(MigrationMechanism, OnlyOwnBackendStatementsRun) {
  auto database = openDatabase("sqlite::memory:");
  ASSERT_TRUE(database) << errorText(database);
  FakeClock clock(conformance::fixtureStartTime());
  const std::vector<Migration> migrations = {
      {.version = 1,
       .name = "split",
       .statements = {"CREATE TABLE shared (id INTEGER)"},
       .sqlite_statements = {"CREATE TABLE only_sqlite (id INTEGER)"},
       .postgresql_statements = {"this is not SQL at all"}},
  };

  auto result = migrateWith(**database, migrations, clock);
  ASSERT_TRUE(result) << errorText(result);
  EXPECT_TRUE(hasTable(**database, "shared"));
  EXPECT_TRUE(hasTable(**database, "only_sqlite"));
}

TEST_P(MigrationsTest, EveryMigrationAppliedOnce) {
  const auto applied = appliedMigrations();
  ASSERT_EQ(applied.size(), allMigrations().size());
  for (std::size_t i = 0; i < applied.size(); ++i) {
    EXPECT_EQ(applied[i].version, allMigrations()[i].version);
    EXPECT_EQ(applied[i].name, allMigrations()[i].name);
    EXPECT_EQ(applied[i].applied_at, timeToColumn(clock_.now()));
  }

  auto version = currentSchemaVersion(database());
  ASSERT_TRUE(version) << errorText(version);
  EXPECT_EQ(*version, latestSchemaVersion());
}

TEST_P(MigrationsTest, SecondRunChangesNothing) {
  const auto before = appliedMigrations();
  clock_.advance(std::chrono::hours(1));

  auto again = migrate(database(), clock_);
  ASSERT_TRUE(again) << errorText(again);
  EXPECT_EQ(appliedMigrations(), before);
}

TEST_P(MigrationsTest, SecondRunAfterReopenChangesNothing) {
  const auto before = appliedMigrations();
  ASSERT_EQ(reopen(), "");
  clock_.advance(std::chrono::hours(1));

  auto again = migrate(database(), clock_);
  ASSERT_TRUE(again) << errorText(again);
  EXPECT_EQ(appliedMigrations(), before);
}

TEST_P(MigrationsTest, NewerDatabaseIsRejectedUnchanged) {
  const std::int64_t future = latestSchemaVersion() + 7;
  auto marked = database().write([&](Session& session) -> Result<void> {
    return session.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from a newer "
        "build', 0)",
        {future});
  });
  ASSERT_TRUE(marked) << errorText(marked);
  const auto before = appliedMigrations();
  clock_.advance(std::chrono::hours(1));

  auto refused = migrate(database(), clock_);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(refused.error().message,
            "the database schema is version " + std::to_string(future) +
                " but this patchkeeper-server knows only up to " +
                std::to_string(latestSchemaVersion()) +
                "; upgrade patchkeeper-server or restore a matching backup");
  EXPECT_EQ(appliedMigrations(), before);
}

// A database left at version 1 (as by a build that had only the core
// migration) is brought up to date, keeping its data.
TEST_P(MigrationsTest, OlderDatabaseIsUpgraded) {
  if (backend() != Backend::kSqlite) GTEST_SKIP() << "builds the old database with SQLite files";
  close();
  const std::string path = connectionString().substr(std::string("sqlite://").size());
  ASSERT_TRUE(std::filesystem::remove(path));

  auto opened = openDatabase(connectionString());
  ASSERT_TRUE(opened) << errorText(opened);
  auto partial = (*opened)->write([&](Session& session) -> Result<void> {
    if (auto created = session.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
            "applied_at INTEGER NOT NULL)");
        !created) {
      return created;
    }
    for (std::string_view statement : allMigrations()[0].statements) {
      if (auto done = session.execute(statement); !done) return done;
    }
    if (auto done = session.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES ('kept', 'yes', 0)");
        !done) {
      return done;
    }
    return session.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'core', 0)");
  });
  ASSERT_TRUE(partial) << errorText(partial);
  opened->reset();
  ASSERT_EQ(reopen(), "");

  auto upgraded = migrate(database(), clock_);
  ASSERT_TRUE(upgraded) << errorText(upgraded);
  const auto applied = appliedMigrations();
  ASSERT_EQ(applied.size(), allMigrations().size());
  EXPECT_EQ(applied[0].applied_at, 0);
  for (std::size_t i = 1; i < applied.size(); ++i) {
    EXPECT_EQ(applied[i].applied_at, timeToColumn(clock_.now())) << applied[i].name;
  }

  std::string kept;
  auto done = database().read([&](Session& session) -> Result<void> {
    auto row = session.queryOne("SELECT value FROM settings WHERE key = 'kept'");
    if (!row) return tl::unexpected(row.error());
    if (row->has_value()) kept = (*row)->text(0);
    return {};
  });
  ASSERT_TRUE(done) << errorText(done);
  EXPECT_EQ(kept, "yes");
}

}  // namespace
}  // namespace pk::store
