#include "store/schema_parts.h"

namespace pk::store {

// Daily compliance counts per group, for trends. `day` is the UTC date
// (YYYY-MM-DD) the snapshot belongs to, so text order is date order.
// group_kind is "fleet" (one row, group_id ''), "collection", "window",
// "ring" or "owner". A group's name is copied in, so the history still
// reads after the group is renamed or deleted. recorded_at is INTEGER
// microseconds since the Unix epoch, UTC (database.h).
Migration complianceHistoryMigration() {
  return Migration{
      .version = 13,
      .name = "compliance history",
      .statements =
          {
              R"sql(CREATE TABLE compliance_snapshots (
  day TEXT NOT NULL,
  group_kind TEXT NOT NULL
    CHECK (group_kind IN ('fleet', 'collection', 'window', 'ring', 'owner')),
  group_id TEXT NOT NULL,
  group_name TEXT NOT NULL,
  compliant INTEGER NOT NULL,
  not_compliant INTEGER NOT NULL,
  unknown INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  PRIMARY KEY (day, group_kind, group_id)
))sql",
              "CREATE INDEX compliance_snapshots_kind_day ON compliance_snapshots (group_kind, "
              "day)",
          },
  };
}

}  // namespace pk::store
