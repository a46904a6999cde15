#include "store/schema_parts.h"

namespace pk::store {

// Times are INTEGER microseconds since the Unix epoch, UTC (database.h).
// Lists inside one column (collections of a secret, restart packages, CVE
// ids) are joined with a line break or a comma. Host collections get their
// own table, so that hosts can be filtered by collection.
Migration hostsMigration() {
  return Migration{
      .version = 3,
      .name = "hosts",
      .statements =
          {
              R"sql(CREATE TABLE hosts (
  id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  machine_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('server', 'endpoint')),
  owner TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
  reenrolment_approved_until INTEGER,
  enrolled_at INTEGER NOT NULL,
  last_seen_at INTEGER,
  os_id TEXT NOT NULL DEFAULT '',
  os_version_id TEXT NOT NULL DEFAULT '',
  os_codename TEXT NOT NULL DEFAULT '',
  os_pretty_name TEXT NOT NULL DEFAULT '',
  os_ecosystem TEXT NOT NULL DEFAULT '',
  kernel TEXT NOT NULL DEFAULT '',
  last_boot INTEGER,
  restart_required INTEGER NOT NULL DEFAULT 0,
  restart_reason TEXT NOT NULL DEFAULT '',
  restart_packages TEXT NOT NULL DEFAULT '',
  package_lists_updated_at INTEGER
))sql",
              // One active host per machine: a second enrolment of the same
              // machine must go through an approved re-enrolment.
              "CREATE UNIQUE INDEX hosts_active_machine_id ON hosts (machine_id) "
              "WHERE status = 'active'",
              "CREATE INDEX hosts_owner ON hosts (owner)",
              R"sql(CREATE TABLE host_collections (
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  collection TEXT NOT NULL,
  PRIMARY KEY (host_id, collection)
))sql",
              "CREATE INDEX host_collections_collection ON host_collections (collection)",
              R"sql(CREATE TABLE enrolment_secrets (
  id INTEGER PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('server', 'endpoint')),
  owner TEXT NOT NULL DEFAULT '',
  collections TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  use_count INTEGER NOT NULL DEFAULT 0
))sql",
              R"sql(CREATE TABLE host_inventories (
  host_id TEXT PRIMARY KEY REFERENCES hosts (id) ON DELETE CASCADE,
  scheme TEXT NOT NULL,
  hash TEXT NOT NULL,
  received_at INTEGER NOT NULL
))sql",
              // No unique key: an rpm host may have several versions of one
              // package name and architecture installed (kernels).
              R"sql(CREATE TABLE inventory_packages (
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  architecture TEXT NOT NULL,
  source_name TEXT NOT NULL,
  source_version TEXT NOT NULL,
  state TEXT NOT NULL
))sql",
              "CREATE INDEX inventory_packages_host ON inventory_packages (host_id)",
              "CREATE INDEX inventory_packages_name ON inventory_packages (name)",
              "CREATE INDEX inventory_packages_source_name ON inventory_packages (source_name)",
              R"sql(CREATE TABLE pending_updates (
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  package TEXT NOT NULL,
  architecture TEXT NOT NULL,
  source_package TEXT NOT NULL,
  installed_version TEXT NOT NULL,
  candidate_version TEXT NOT NULL,
  archive TEXT NOT NULL,
  cve_ids TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (host_id, package, architecture)
))sql",
              R"sql(CREATE TABLE report_receipts (
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  report_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (host_id, report_id)
))sql",
              "CREATE INDEX report_receipts_received_at ON report_receipts (received_at)",
          },
  };
}

}  // namespace pk::store
