#include "store/migrations.h"

#include <chrono>

#include <fmt/format.h>

#include "store/postgresql_database.h"
#include "store/schema_parts.h"

namespace pk::store {
namespace {

constexpr std::string_view kCreateSchemaMigrations = R"sql(CREATE TABLE IF NOT EXISTS
schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at INTEGER NOT NULL
))sql";

// Whether schema_migrations exists. Each backend lists its tables in its
// own catalogue, so this is the one query here that is not portable.
Result<bool> hasMigrationTable(Session& session, Backend backend) {
  const std::string_view sql =
      backend == Backend::kSqlite
          ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
            "'schema_migrations'"
          : "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
            "current_schema() AND table_name = 'schema_migrations'";
  auto row = session.queryOne(sql);
  if (!row) return tl::unexpected(row.error());
  return row->has_value() && (*row)->integer(0) > 0;
}

Result<std::int64_t> versionIn(Session& session, Backend backend) {
  auto exists = hasMigrationTable(session, backend);
  if (!exists) return tl::unexpected(exists.error());
  if (!*exists) return 0;

  auto row = session.queryOne("SELECT MAX(version) FROM schema_migrations");
  if (!row) return tl::unexpected(row.error());
  if (!row->has_value()) return 0;
  return (*row)->integer(0);
}

Error tooNewError(std::int64_t database_version, std::int64_t latest_version) {
  return Error{ErrorCode::kUnsupported,
               fmt::format("the database schema is version {} but this patchkeeper-server knows "
                           "only up to {}; upgrade patchkeeper-server or restore a matching backup",
                           database_version, latest_version)};
}

// A list with a gap or a repeated version would skip or re-run a schema
// change on some database, so it is checked before anything runs.
Result<void> checkOrder(const std::vector<Migration>& migrations) {
  std::int64_t expected = 1;
  for (const Migration& migration : migrations) {
    if (migration.version != expected) {
      return fail(ErrorCode::kInternal,
                  fmt::format("migration \"{}\" has version {} where {} was expected; the "
                              "migration list of this build is broken",
                              migration.name, migration.version, expected));
    }
    ++expected;
  }
  return {};
}

Result<void> runStatements(Session& session, const std::vector<std::string_view>& statements) {
  for (std::string_view statement : statements) {
    if (auto done = session.execute(statement); !done) return done;
  }
  return {};
}

// The PostgreSQL advisory lock key that migrating holds ("pk_migra" in
// ASCII), so that nodes starting together on one database take turns.
constexpr std::int64_t kMigrationLockKey = 0x706b5f6d69677261;

// Applies `migration` unless the database already has it. The version is
// read again inside the write transaction, so two processes migrating one
// database at once apply each migration once. On PostgreSQL the
// transaction first takes an advisory lock and reads at READ COMMITTED, so
// a node that waited for another sees the migration the other committed
// instead of failing on a table that now exists.
Result<void> applyOne(Database& database, const Migration& migration, std::int64_t latest_version,
                      const Clock& clock) {
  const Backend backend = database.backend();
  auto applied =
      writeUnderAdvisoryLock(database, kMigrationLockKey, [&](Session& session) -> Result<void> {
        if (auto created = session.execute(kCreateSchemaMigrations); !created) return created;

        auto version = versionIn(session, backend);
        if (!version) return tl::unexpected(version.error());
        if (*version > latest_version) return tl::unexpected(tooNewError(*version, latest_version));
        if (*version >= migration.version) return {};

        if (auto done = runStatements(session, migration.statements); !done) return done;
        const auto& specific = backend == Backend::kSqlite ? migration.sqlite_statements
                                                           : migration.postgresql_statements;
        if (auto done = runStatements(session, specific); !done) return done;

        const std::int64_t now =
            std::chrono::duration_cast<std::chrono::microseconds>(clock.now().time_since_epoch())
                .count();
        return session.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            {migration.version, std::string(migration.name), now});
      });
  if (!applied && applied.error().code != ErrorCode::kUnsupported) {
    return fail(applied.error().code,
                fmt::format("schema migration {} ({}) failed and was rolled back: {}",
                            migration.version, migration.name, applied.error().message));
  }
  return applied;
}

}  // namespace

const std::vector<Migration>& allMigrations() {
  static const std::vector<Migration> migrations = {
      coreMigration(),
      peopleMigration(),
      hostsMigration(),
      vulnerabilitiesMigration(),
      windowsMigration(),
      ticketsMigration(),
      enrolmentUsesMigration(),
      windowsHostsMigration(),
      patchesMigration(),
      collectionsMigration(),
      deploymentsMigration(),
      deploymentRulesMigration(),
      complianceHistoryMigration(),
      pendingChangelogsMigration(),
      restartStateMigration(),
  };
  return migrations;
}

std::int64_t latestSchemaVersion() {
  const auto& migrations = allMigrations();
  return migrations.empty() ? 0 : migrations.back().version;
}

Result<std::int64_t> currentSchemaVersion(Database& database) {
  std::int64_t version = 0;
  auto done = database.read([&](Session& session) -> Result<void> {
    auto found = versionIn(session, database.backend());
    if (!found) return tl::unexpected(found.error());
    version = *found;
    return {};
  });
  if (!done) return tl::unexpected(done.error());
  return version;
}

Result<void> migrateWith(Database& database, const std::vector<Migration>& migrations,
                         const Clock& clock) {
  if (auto ordered = checkOrder(migrations); !ordered) return ordered;
  const std::int64_t latest_version = migrations.empty() ? 0 : migrations.back().version;

  // Checked before the first write so that a newer database is left
  // exactly as it was.
  auto current = currentSchemaVersion(database);
  if (!current) return tl::unexpected(current.error());
  if (*current > latest_version) return tl::unexpected(tooNewError(*current, latest_version));

  for (const Migration& migration : migrations) {
    if (migration.version <= *current) continue;
    if (auto applied = applyOne(database, migration, latest_version, clock); !applied) {
      return applied;
    }
  }
  return {};
}

Result<void> migrate(Database& database, const Clock& clock) {
  return migrateWith(database, allMigrations(), clock);
}

Result<void> migrate(Database& database) {
  const SystemClock clock;
  return migrate(database, clock);
}

}  // namespace pk::store
