#include "store/schema_parts.h"

namespace pk::store {

// Each endpoint's latest restart report: whether a restart is pending,
// since when, its deadline and restart time (microseconds, UTC), and the
// attached job ids separated by commas. Beside it, every notice shown and
// choice made, stored once per event id. Offered actions are separated by
// commas; the user is the login name the agent reported.
Migration restartStateMigration() {
  return Migration{
      .version = 15,
      .name = "endpoint restart state and events",
      .statements =
          {
              R"sql(CREATE TABLE host_restart_states (
  host_id TEXT PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
  pending INTEGER NOT NULL,
  required_since INTEGER,
  deadline INTEGER,
  restart_at INTEGER,
  countdown_start INTEGER,
  next_reminder INTEGER,
  in_countdown INTEGER NOT NULL,
  restarted_at INTEGER,
  job_ids TEXT NOT NULL,
  updated_at INTEGER NOT NULL
))sql",
              R"sql(CREATE TABLE host_restart_events (
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  notice TEXT NOT NULL,
  offered TEXT NOT NULL,
  restart_at INTEGER,
  choice TEXT NOT NULL,
  user_name TEXT NOT NULL,
  snooze_seconds INTEGER,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (host_id, event_id)
))sql",
              "CREATE INDEX host_restart_events_at ON host_restart_events (host_id, at)",
          },
  };
}

}  // namespace pk::store
