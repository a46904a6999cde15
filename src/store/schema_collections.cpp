#include "store/schema_parts.h"

namespace pk::store {

// Collections, their explicit members, and ring sequences. Times are
// INTEGER microseconds since the Unix epoch, UTC (database.h). An empty
// rule field matches every host. The migration creates the default
// collections test, pilot and production (static, so hosts labelled with
// those names are members) and the default ring sequence through them.
// These rows get created_at and updated_at 0, because a migration's
// statements are fixed text without the clock.
Migration collectionsMigration() {
  return Migration{
      .version = 10,
      .name = "collections and rings",
      .statements =
          {
              R"sql(CREATE TABLE collections (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  type TEXT NOT NULL CHECK (type IN ('static', 'rule')),
  rule_os_ecosystem TEXT NOT NULL DEFAULT '',
  rule_kind TEXT NOT NULL DEFAULT '',
  rule_owner TEXT NOT NULL DEFAULT '',
  rule_hostname TEXT NOT NULL DEFAULT '',
  restart_deadline_seconds INTEGER NOT NULL,
  countdown_seconds INTEGER NOT NULL,
  reminder_seconds INTEGER NOT NULL,
  pre_hook TEXT NOT NULL DEFAULT '',
  post_hook TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
))sql",
              R"sql(CREATE TABLE collection_members (
  collection_id TEXT NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  PRIMARY KEY (collection_id, host_id)
))sql",
              "CREATE INDEX collection_members_host ON collection_members (host_id)",
              R"sql(CREATE TABLE ring_sequences (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
))sql",
              // A ring's collection cannot be deleted while the ring exists.
              R"sql(CREATE TABLE rings (
  sequence_id TEXT NOT NULL REFERENCES ring_sequences (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  collection_id TEXT NOT NULL REFERENCES collections (id),
  min_soak_seconds INTEGER NOT NULL,
  min_success_ratio REAL NOT NULL,
  max_failures INTEGER NOT NULL,
  PRIMARY KEY (sequence_id, position)
))sql",
              "CREATE INDEX rings_collection ON rings (collection_id)",
              R"sql(INSERT INTO collections (id, name, description, type,
  restart_deadline_seconds, countdown_seconds, reminder_seconds, created_at, updated_at)
VALUES
  ('test', 'Test', 'Hosts labelled test: the first ring of the default sequence.', 'static',
   86400, 5400, 14400, 0, 0),
  ('pilot', 'Pilot', 'Hosts labelled pilot: the second ring of the default sequence.',
   'static', 86400, 5400, 14400, 0, 0),
  ('production', 'Production', 'Hosts labelled production: the last ring of the default sequence.',
   'static', 86400, 5400, 14400, 0, 0))sql",
              R"sql(INSERT INTO ring_sequences (id, name, description, created_at, updated_at)
VALUES ('default', 'Test, Pilot, Production',
  'One day in Test with 90% success and no failure, two days in Pilot with 95% success and at most 2 failures, then Production.',
  0, 0))sql",
              R"sql(INSERT INTO rings (sequence_id, position, collection_id, min_soak_seconds,
  min_success_ratio, max_failures)
VALUES
  ('default', 0, 'test', 86400, 0.9, 0),
  ('default', 1, 'pilot', 172800, 0.95, 2),
  ('default', 2, 'production', 0, 0.0, 0))sql",
          },
  };
}

}  // namespace pk::store
