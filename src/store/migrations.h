#pragma once

// The schema, as an ordered list of migrations. Each migration has a
// number, a name and portable SQL statements (see database.h); the list
// only ever grows. A table schema_migrations records what was applied.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

// Every field has a default so that a designated initializer may leave
// the backend-specific lists out without -Wmissing-field-initializers.
struct Migration {
  std::int64_t version = 0;
  std::string_view name;
  // Portable statements (database.h), run first and in order.
  std::vector<std::string_view> statements = {};
  // Statements that only one backend understands (triggers, functions),
  // run after `statements` on that backend only.
  std::vector<std::string_view> sqlite_statements = {};
  std::vector<std::string_view> postgresql_statements = {};
};

// Every migration this build knows, in version order, starting at 1.
const std::vector<Migration>& allMigrations();

// The version this build's schema reaches: the last of allMigrations().
std::int64_t latestSchemaVersion();

// Returns the highest version applied to `database`, 0 for an empty one.
Result<std::int64_t> currentSchemaVersion(Database& database);

// Applies every migration newer than the database's version, each in its
// own transaction, in order, and records it in schema_migrations with
// `clock`'s time. Running it again applies nothing. Fails with
// kUnsupported, saying both versions and to upgrade patchkeeper, when the
// database is newer than this build; nothing is changed then. A failing
// migration is rolled back and its error returned, naming the migration;
// the ones before it stay applied.
Result<void> migrate(Database& database, const Clock& clock);

// migrate() with the system clock.
Result<void> migrate(Database& database);

// migrate() with `migrations` in place of allMigrations(), for tests of
// the mechanism. Fails with kInternal when their versions do not count up
// from 1 without gaps.
Result<void> migrateWith(Database& database, const std::vector<Migration>& migrations,
                         const Clock& clock);

}  // namespace pk::store
