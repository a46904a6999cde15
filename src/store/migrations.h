#pragma once

// The schema, as an ordered list of migrations. Each migration has a
// number, a name and portable SQL statements (see database.h); the list
// only ever grows. A table schema_migrations records what was applied.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct Migration {
  std::int64_t version = 0;
  std::string_view name;
  std::vector<std::string_view> statements;
};

// Every migration this build knows, in version order, starting at 1.
const std::vector<Migration>& allMigrations();

// The version this build's schema reaches: the last of allMigrations().
std::int64_t latestSchemaVersion();

// Returns the highest version applied to `database`, 0 for an empty one.
Result<std::int64_t> currentSchemaVersion(Database& database);

// Applies every migration newer than the database's version, each in its
// own transaction, in order. Fails with kUnsupported, saying both versions
// and to upgrade patchkeeper, when the database is newer than this build;
// nothing is changed then.
Result<void> migrate(Database& database);

}  // namespace pk::store
