#include "store/schema_parts.h"

namespace pk::store {

// One row per enrolment made with a secret. Before this table, each
// enrolment added one to enrolment_secrets.use_count, and on PostgreSQL
// concurrent enrolments with one secret then conflicted on that row and
// were retried. Inserts do not conflict, so the count is now that column
// (the uses before this version) plus this table's rows for the secret.
Migration enrolmentUsesMigration() {
  return Migration{
      .version = 7,
      .name = "enrolment secret uses",
      .statements =
          {
              R"sql(CREATE TABLE enrolment_secret_uses (
  secret_id INTEGER NOT NULL REFERENCES enrolment_secrets (id),
  host_id TEXT NOT NULL,
  used_at INTEGER NOT NULL
))sql",
              "CREATE INDEX enrolment_secret_uses_secret ON enrolment_secret_uses (secret_id)",
          },
  };
}

}  // namespace pk::store
