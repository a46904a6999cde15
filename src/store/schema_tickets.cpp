#include "store/schema_parts.h"

namespace pk::store {

// Tickets, their comments, and the outbox of outgoing webhooks. Times are
// INTEGER microseconds since the Unix epoch, UTC. JSON columns hold JSON
// text that the repositories write and parse.
Migration ticketsMigration() {
  return Migration{
      .version = 6,
      .name = "tickets",
      .statements =
          {
              // subject_hosts is a JSON array of host ids; requested_change
              // a JSON object whose fields depend on the type. The decision
              // columns are set together when an admin approves or refuses.
              R"sql(CREATE TABLE tickets (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'approved', 'refused', 'applied', 'superseded')),
  requester TEXT NOT NULL,
  subject_hosts TEXT NOT NULL,
  requested_change TEXT NOT NULL,
  justification TEXT NOT NULL,
  assignee_group TEXT NOT NULL,
  external_reference TEXT,
  decided_by TEXT,
  decided_at INTEGER,
  effective_at INTEGER,
  applied_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
))sql",
              "CREATE INDEX tickets_status ON tickets (status, id)",
              "CREATE INDEX tickets_requester ON tickets (requester, id)",
              R"sql(CREATE TABLE ticket_comments (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  author TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('comment', 'approval', 'refusal')),
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
))sql",
              "CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id, id)",
              // The secret is kept in clear text because the server signs
              // every delivery with it; it is shown to the admin only once.
              R"sql(CREATE TABLE webhook_subscriptions (
  id INTEGER PRIMARY KEY,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  description TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
))sql",
              // The outbox: one row per event and subscription, written in
              // the transaction of the change, sent later by the leader.
              R"sql(CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  delivery_id TEXT NOT NULL UNIQUE,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  last_status_code INTEGER,
  created_at INTEGER NOT NULL,
  finished_at INTEGER
))sql",
              "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at)",
              "CREATE INDEX webhook_deliveries_subscription ON webhook_deliveries "
              "(subscription_id, id)",
              // The help-desk integration role. user_roles was created with
              // a CHECK listing the roles of its time, and neither backend
              // can change a CHECK in place, so the table is rebuilt with
              // the same rows. Nothing references user_roles.
              R"sql(CREATE TABLE user_roles_with_helpdesk (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'owner', 'viewer', 'auditor',
                                     'helpdesk')),
  PRIMARY KEY (user_id, role)
))sql",
              "INSERT INTO user_roles_with_helpdesk (user_id, role) SELECT user_id, role FROM "
              "user_roles",
              "DROP TABLE user_roles",
              "ALTER TABLE user_roles_with_helpdesk RENAME TO user_roles",
          },
  };
}

}  // namespace pk::store
