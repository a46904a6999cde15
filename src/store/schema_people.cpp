#include "store/schema_parts.h"

namespace pk::store {

// Users, their roles, and every bearer credential: sessions, API tokens and
// per-host agent tokens. Times are INTEGER microseconds since the Unix
// epoch, UTC (database.h). A token is stored only as its BLAKE2b-256 hash.
// credentials.host_id has no foreign key because the hosts table comes in a
// later migration; revoking a host revokes its credentials instead.
Migration peopleMigration() {
  return Migration{
      .version = 2,
      .name = "people",
      .statements =
          {
              R"sql(CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
))sql",
              R"sql(CREATE TABLE user_roles (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'owner', 'viewer', 'auditor')),
  PRIMARY KEY (user_id, role)
))sql",
              // A user credential names a user and no host; a host
              // credential names a host and no user.
              R"sql(CREATE TABLE credentials (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('session', 'api_token', 'host')),
  token_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER REFERENCES users (id) ON DELETE CASCADE,
  host_id TEXT,
  name TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  last_used_at INTEGER,
  CHECK ((kind = 'host' AND host_id IS NOT NULL AND user_id IS NULL)
      OR (kind <> 'host' AND user_id IS NOT NULL AND host_id IS NULL))
))sql",
              "CREATE INDEX credentials_user_id ON credentials (user_id)",
              "CREATE INDEX credentials_host_id ON credentials (host_id)",
              "CREATE INDEX credentials_expires_at ON credentials (expires_at)",
          },
  };
}

}  // namespace pk::store
