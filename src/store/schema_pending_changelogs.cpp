#include "store/schema_parts.h"

namespace pk::store {

// The changelog entries a host sent with each pending security update,
// position 0 being the newest. Rows go with their pending update. The
// body is text of up to 64 KiB, the agent protocol's bound per update.
Migration pendingChangelogsMigration() {
  return Migration{
      .version = 14,
      .name = "pending update changelogs",
      .statements =
          {
              R"sql(CREATE TABLE pending_update_changelogs (
  host_id TEXT NOT NULL,
  package TEXT NOT NULL,
  architecture TEXT NOT NULL,
  candidate_version TEXT NOT NULL,
  position INTEGER NOT NULL,
  version TEXT NOT NULL,
  distributions TEXT NOT NULL,
  urgency TEXT NOT NULL,
  entry_date TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (host_id, package, architecture, position),
  FOREIGN KEY (host_id, package, architecture)
    REFERENCES pending_updates (host_id, package, architecture) ON DELETE CASCADE
))sql",
              "CREATE INDEX pending_updates_source_package ON pending_updates (source_package)",
          },
  };
}

}  // namespace pk::store
