#include "store/schema_parts.h"

namespace pk::store {

// Maintenance windows, which server is in which window, and calendar feed
// tokens. Times are INTEGER microseconds since the Unix epoch, UTC
// (database.h). A window's rule is kept in the text forms an administrator
// writes (schedule/time_text.h), so that it reads back exactly as given:
// local date-times "YYYY-MM-DDTHH:MM:SS", exclusion dates "YYYY-MM-DD"
// joined with commas, blackouts as "start/end" local date-time pairs joined
// with commas.
Migration windowsMigration() {
  return Migration{
      .version = 5,
      .name = "windows",
      .statements =
          {
              R"sql(CREATE TABLE maintenance_windows (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  rrule TEXT NOT NULL,
  start_local TEXT NOT NULL,
  zone TEXT NOT NULL,
  length_seconds INTEGER NOT NULL CHECK (length_seconds > 0),
  offset_days INTEGER NOT NULL DEFAULT 0,
  exclusions TEXT NOT NULL DEFAULT '',
  blackouts TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
))sql",
              // One row per server that has, or is about to get, a window.
              // A pending move exists while pending_effective_at is set;
              // its pending_window_id is NULL for a move out of every window.
              R"sql(CREATE TABLE host_windows (
  host_id TEXT PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
  window_id TEXT REFERENCES maintenance_windows (id),
  assigned_at INTEGER NOT NULL,
  pending_window_id TEXT REFERENCES maintenance_windows (id),
  pending_effective_at INTEGER,
  pending_ticket_id TEXT,
  pending_actor TEXT NOT NULL DEFAULT '',
  pending_remote_address TEXT NOT NULL DEFAULT ''
))sql",
              "CREATE INDEX host_windows_window ON host_windows (window_id)",
              "CREATE INDEX host_windows_pending_window ON host_windows (pending_window_id)",
              "CREATE INDEX host_windows_pending_effective_at ON host_windows "
              "(pending_effective_at)",
              R"sql(CREATE TABLE calendar_feed_tokens (
  id INTEGER PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
))sql",
              "CREATE INDEX calendar_feed_tokens_user ON calendar_feed_tokens (user_id)",
          },
  };
}

}  // namespace pk::store
