#include "store/schema_parts.h"

namespace pk::store {

// Deployments, their patches and rings, one job per host, the jobs' and
// deployments' append-only event logs, and the rules that create
// deployments on a schedule.
Migration deploymentsMigration() {
  return Migration{
      .version = 11,
      .name = "deployments",
      .statements =
          {
              R"sql(CREATE TABLE deployment_rules (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  rrule TEXT NOT NULL,
  start_local TEXT NOT NULL,
  zone TEXT NOT NULL,
  offset_days INTEGER NOT NULL DEFAULT 0,
  ring_sequence TEXT NOT NULL,
  deadline_seconds INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_created_for INTEGER
))sql",
              R"sql(CREATE TABLE deployments (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN
    ('awaiting_approval', 'active', 'halted', 'completed', 'cancelled')),
  emergency INTEGER NOT NULL DEFAULT 0,
  ring_sequence TEXT NOT NULL,
  available_at INTEGER NOT NULL,
  deadline INTEGER NOT NULL,
  restart_deadline_seconds INTEGER,
  current_ring INTEGER NOT NULL DEFAULT 0,
  status_reason TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  approved_by TEXT,
  approved_at INTEGER,
  rule_id TEXT REFERENCES deployment_rules (id) ON DELETE SET NULL,
  updated_at INTEGER NOT NULL
))sql",
              "CREATE INDEX deployments_status ON deployments (status)",
              "CREATE UNIQUE INDEX deployments_rule_available ON deployments (rule_id, "
              "available_at)",
              R"sql(CREATE TABLE deployment_patches (
  deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  patch_id TEXT NOT NULL,
  PRIMARY KEY (deployment_id, patch_id)
))sql",
              R"sql(CREATE TABLE deployment_rings (
  deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  collection TEXT NOT NULL,
  min_soak_seconds INTEGER NOT NULL,
  min_success_ratio REAL NOT NULL,
  max_failures INTEGER NOT NULL,
  entered_at INTEGER,
  left_at INTEGER,
  PRIMARY KEY (deployment_id, position)
))sql",
              R"sql(CREATE TABLE deployment_events (
  id INTEGER PRIMARY KEY,
  deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  actor TEXT NOT NULL,
  message TEXT NOT NULL
))sql",
              "CREATE INDEX deployment_events_deployment ON deployment_events (deployment_id, id)",
              R"sql(CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
  host_id TEXT NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  ring_position INTEGER NOT NULL,
  state TEXT NOT NULL,
  manager TEXT NOT NULL,
  packages TEXT NOT NULL,
  kbs TEXT NOT NULL,
  pre_hook TEXT,
  post_hook TEXT,
  estimate_seconds INTEGER NOT NULL,
  duration_seconds INTEGER,
  message TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  UNIQUE (deployment_id, host_id)
))sql",
              "CREATE INDEX jobs_host_state ON jobs (host_id, state)",
              "CREATE INDEX jobs_deployment_ring ON jobs (deployment_id, ring_position, state)",
              R"sql(CREATE TABLE job_events (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('agent', 'server')),
  state TEXT NOT NULL,
  message TEXT NOT NULL,
  output TEXT NOT NULL,
  packages TEXT NOT NULL,
  report_id TEXT,
  UNIQUE (job_id, event_id)
))sql",
              "CREATE INDEX job_events_job ON job_events (job_id, id)",
          },
  };
}

}  // namespace pk::store
