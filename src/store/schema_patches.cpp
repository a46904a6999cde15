#include "store/schema_parts.h"

namespace pk::store {

// The patch catalog. Times are INTEGER microseconds since the Unix epoch,
// UTC (database.h).
//
// patches lists every update that resolved a finding at some point; its
// decision columns repeat the latest row of patch_decisions, which keeps
// every decision ever made. patch_findings links each finding to the patch
// that fixes it, so that severity, KEV, EPSS and host counts are read live
// from the findings. risk_exceptions has one row per approved accept_risk
// ticket: findings of that host and advisory do not count against
// compliance until expires_at.
Migration patchesMigration() {
  return Migration{
      .version = 9,
      .name = "patches",
      .statements =
          {
              R"sql(CREATE TABLE patches (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('source-package', 'advisory', 'kb')),
  ecosystem TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  first_seen_at INTEGER NOT NULL,
  decision TEXT NOT NULL DEFAULT 'pending'
    CHECK (decision IN ('pending', 'approved', 'declined')),
  decided_by TEXT NOT NULL DEFAULT '',
  decided_at INTEGER,
  decision_reason TEXT NOT NULL DEFAULT ''
))sql",
              "CREATE INDEX patches_decision ON patches (decision, id)",
              R"sql(CREATE TABLE patch_findings (
  finding_id INTEGER PRIMARY KEY REFERENCES findings (id) ON DELETE CASCADE,
  patch_id TEXT NOT NULL REFERENCES patches (id) ON DELETE CASCADE
))sql",
              "CREATE INDEX patch_findings_patch ON patch_findings (patch_id)",
              R"sql(CREATE TABLE patch_decisions (
  id INTEGER PRIMARY KEY,
  patch_id TEXT NOT NULL REFERENCES patches (id) ON DELETE CASCADE,
  decision TEXT NOT NULL CHECK (decision IN ('approved', 'declined')),
  decided_by TEXT NOT NULL,
  decided_at INTEGER NOT NULL,
  reason TEXT NOT NULL
))sql",
              "CREATE INDEX patch_decisions_patch ON patch_decisions (patch_id, id)",
              R"sql(CREATE TABLE approval_rules (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  minimum_severity TEXT NOT NULL,
  known_exploited_only INTEGER NOT NULL,
  include_host_repository INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
))sql",
              R"sql(CREATE TABLE risk_exceptions (
  ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
  host_id TEXT NOT NULL,
  advisory_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  approved_at INTEGER NOT NULL
))sql",
              "CREATE INDEX risk_exceptions_host ON risk_exceptions (host_id, advisory_id)",
          },
  };
}

}  // namespace pk::store
