#include "store/schema_parts.h"

namespace pk::store {

// Times are INTEGER microseconds since the Unix epoch, UTC (database.h).
//
// A feed's records live in one of three tables by kind: advisories (with
// their affected package names in advisory_packages, so that a changed
// advisory finds the hosts to re-evaluate through inventory_packages), KEV
// entries and EPSS scores. Each record keeps a content hash so that a sync
// distinguishes added, changed and removed records without decoding bodies.
// A sync that waits for confirmation keeps its changes in feed_staged_changes
// until an admin confirms; the live tables are untouched until then.
//
// Findings are never deleted; finding_events records each open, fix and
// reopen for trend reports. finding_aliases repeats each finding's aliases
// one per row so that a filter by CVE id uses an index.
Migration vulnerabilitiesMigration() {
  return Migration{
      .version = 4,
      .name = "vulnerabilities",
      .statements =
          {
              R"sql(CREATE TABLE feeds (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('never_synced', 'ok', 'failed', 'awaiting_confirmation')),
  last_attempt_at INTEGER,
  last_success_at INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  record_count INTEGER NOT NULL DEFAULT 0,
  awaiting_confirmation INTEGER NOT NULL DEFAULT 0,
  staged_at INTEGER,
  staged_added INTEGER NOT NULL DEFAULT 0,
  staged_changed INTEGER NOT NULL DEFAULT 0,
  staged_removed INTEGER NOT NULL DEFAULT 0,
  staged_record_count INTEGER NOT NULL DEFAULT 0
))sql",
              R"sql(CREATE TABLE advisories (
  feed TEXT NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
  advisory_id TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (feed, advisory_id)
))sql",
              R"sql(CREATE TABLE advisory_packages (
  feed TEXT NOT NULL,
  advisory_id TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  package TEXT NOT NULL,
  PRIMARY KEY (feed, advisory_id, ecosystem, package),
  FOREIGN KEY (feed, advisory_id) REFERENCES advisories (feed, advisory_id) ON DELETE CASCADE
))sql",
              "CREATE INDEX advisory_packages_package ON advisory_packages (package, ecosystem)",
              R"sql(CREATE TABLE kev_entries (
  feed TEXT NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
  cve_id TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  vendor TEXT NOT NULL,
  product TEXT NOT NULL,
  name TEXT NOT NULL,
  date_added TEXT NOT NULL,
  due_date TEXT NOT NULL,
  known_ransomware_use INTEGER NOT NULL,
  PRIMARY KEY (feed, cve_id)
))sql",
              R"sql(CREATE TABLE epss_scores (
  feed TEXT NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
  cve_id TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  probability REAL NOT NULL,
  percentile REAL NOT NULL,
  PRIMARY KEY (feed, cve_id)
))sql",
              R"sql(CREATE TABLE feed_staged_changes (
  feed TEXT NOT NULL REFERENCES feeds (name) ON DELETE CASCADE,
  record_kind TEXT NOT NULL CHECK (record_kind IN ('advisory', 'kev', 'epss')),
  record_id TEXT NOT NULL,
  change TEXT NOT NULL CHECK (change IN ('added', 'changed', 'removed')),
  content_hash TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (feed, record_kind, record_id)
))sql",
              R"sql(CREATE TABLE findings (
  id INTEGER PRIMARY KEY,
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  source TEXT NOT NULL CHECK (source IN ('advisory', 'host-repository')),
  advisory_id TEXT NOT NULL,
  package TEXT NOT NULL,
  source_package TEXT NOT NULL,
  installed_version TEXT NOT NULL,
  compared_version TEXT NOT NULL,
  fixed_version TEXT NOT NULL,
  ecosystem TEXT NOT NULL,
  severity TEXT NOT NULL,
  cvss REAL,
  known_exploited INTEGER NOT NULL DEFAULT 0,
  kev_due_date TEXT NOT NULL DEFAULT '',
  epss REAL,
  aliases TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL CHECK (status IN ('open', 'fixed')),
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  fixed_at INTEGER,
  UNIQUE (host_id, source, advisory_id, package)
))sql",
              "CREATE INDEX findings_status_severity ON findings (status, severity)",
              "CREATE INDEX findings_advisory ON findings (advisory_id)",
              "CREATE INDEX findings_known_exploited ON findings (known_exploited, status)",
              R"sql(CREATE TABLE finding_aliases (
  finding_id INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
  alias TEXT NOT NULL,
  PRIMARY KEY (finding_id, alias)
))sql",
              "CREATE INDEX finding_aliases_alias ON finding_aliases (alias)",
              R"sql(CREATE TABLE finding_events (
  id INTEGER PRIMARY KEY,
  finding_id INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  event TEXT NOT NULL CHECK (event IN ('opened', 'fixed', 'reopened')),
  installed_version TEXT NOT NULL
))sql",
              "CREATE INDEX finding_events_finding ON finding_events (finding_id)",
              "CREATE INDEX finding_events_at ON finding_events (at)",
          },
  };
}

}  // namespace pk::store
