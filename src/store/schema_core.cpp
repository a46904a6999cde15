#include "store/schema_parts.h"

namespace pk::store {

// Settings, and the audit log that every change writes to. Times are
// INTEGER microseconds since the Unix epoch, UTC.
Migration coreMigration() {
  return Migration{
      .version = 1,
      .name = "core",
      .statements =
          {
              R"sql(CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
))sql",
              R"sql(CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object_type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  before_json TEXT NOT NULL,
  after_json TEXT NOT NULL,
  remote_address TEXT NOT NULL
))sql",
              "CREATE INDEX audit_events_at ON audit_events (at)",
              "CREATE INDEX audit_events_actor ON audit_events (actor, id)",
              "CREATE INDEX audit_events_object ON audit_events (object_type, object_id, id)",
          },
      // The audit log is append-only. UPDATE and DELETE are rejected, and
      // so is an INSERT that reuses an id: INSERT OR REPLACE would
      // otherwise delete the old row without firing the DELETE trigger
      // (SQLite fires delete triggers for REPLACE only with
      // recursive_triggers on).
      .sqlite_statements =
          {
              R"sql(CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only: events cannot be updated');
END)sql",
              R"sql(CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only: events cannot be deleted');
END)sql",
              R"sql(CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only: event ids cannot be reused');
END)sql",
          },
      // PostgreSQL fires row triggers for the UPDATE branch of an upsert
      // too, so one function covers UPDATE, DELETE and TRUNCATE. Its error
      // is class 23, which the backend reports as kInvalidArgument.
      .postgresql_statements =
          {
              R"sql(CREATE FUNCTION audit_events_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: events cannot be changed or deleted'
    USING ERRCODE = 'integrity_constraint_violation';
END
$$)sql",
              R"sql(CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change())sql",
              R"sql(CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change())sql",
          },
  };
}

}  // namespace pk::store
