#pragma once

// Enrolment secrets: an admin creates one with an expiry, and any number of
// hosts exchange it for their own token until it expires or is revoked. The
// secret itself is never stored, only its BLAKE2b-256 hash
// (server/enrolment.h computes it), so a copy of the database does not
// enrol anything.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct EnrolmentSecretRecord {
  std::int64_t id = 0;      // assigned on insert
  std::string secret_hash;  // 64 lower-case hex digits
  std::string name;         // for people and the audit log
  std::string kind;         // kind given to hosts enrolled with it: "server" / "endpoint"
  std::string owner;        // owner given to those hosts; "" for none
  std::vector<std::string> collections;  // initial collections, sorted, each once
  std::string created_by;                // the creating user's name
  SystemTime created_at{};
  SystemTime expires_at{};
  std::optional<SystemTime> revoked_at;
  std::int64_t use_count = 0;  // hosts enrolled with it
};

// Inserts `secret` (id and use_count ignored) and returns its id. Fails with
// kInvalidArgument when the hash is already stored.
Result<std::int64_t> insertEnrolmentSecret(Session& session, const EnrolmentSecretRecord& secret);

// Returns the secret with id `id`, or nullopt.
Result<std::optional<EnrolmentSecretRecord>> getEnrolmentSecret(Session& session, std::int64_t id);

// Returns the secret whose hash is `secret_hash`, revoked or expired alike,
// or nullopt.
Result<std::optional<EnrolmentSecretRecord>> findEnrolmentSecretByHash(
    Session& session, const std::string& secret_hash);

// Returns every secret, revoked ones included, sorted by id.
Result<std::vector<EnrolmentSecretRecord>> listEnrolmentSecrets(Session& session);

// Marks secret `id` revoked at `now`. Returns false when it was already
// revoked (the first revocation time is kept). Fails with kNotFound for an
// unknown id.
Result<bool> revokeEnrolmentSecret(Session& session, std::int64_t id, SystemTime now);

// Records that host `host_id` enrolled with secret `id` at `now`, which
// adds one to the secret's use_count. Fails with kNotFound for an unknown
// id. Concurrent uses of one secret write separate rows, so they do not
// conflict on PostgreSQL.
Result<void> recordEnrolmentSecretUse(Session& session, std::int64_t id, const std::string& host_id,
                                      SystemTime now);

}  // namespace pk::store
