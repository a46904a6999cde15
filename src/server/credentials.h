#pragma once

// Bearer credentials: user sessions, user API tokens and per-host agent
// tokens. A token is 32 random bytes written as 64 lower-case hex digits.
// The database keeps only its BLAKE2b-256 hash (64 hex digits), so a leaked
// database yields no usable token, and checking a token costs one fast hash
// and one indexed lookup instead of a password-hashing round.
//
// The issue and revoke functions run inside the caller's write transaction
// and write no audit event themselves: the caller records the change it is
// making (enrolment, login, token creation) in the same transaction.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "server/context.h"
#include "server/http.h"
#include "store/database.h"

namespace pk::server {

// A credential just created. `token` is the secret, shown to its holder once
// and never stored.
struct IssuedCredential {
  std::int64_t id = 0;
  std::string token;
  std::optional<SystemTime> expires_at;  // nullopt: never expires
};

// Returns a fresh token: 32 bytes from libsodium's randombytes_buf as 64
// lower-case hex digits. Thread-safe.
std::string generateToken();

// Returns the BLAKE2b-256 hash of `token` as 64 lower-case hex digits, the
// form stored in credentials.token_hash. Thread-safe.
std::string hashToken(std::string_view token);

// Creates a login session for user `user_id` valid from `now` for `ttl`.
// Fails with kInvalidArgument when the user does not exist, kIoError when
// the database fails.
Result<IssuedCredential> issueSession(store::Session& session, std::int64_t user_id, SystemTime now,
                                      std::chrono::seconds ttl);

// Creates an API token named `name` for user `user_id`, expiring at
// `expires_at` (nullopt: never). Fails as issueSession does.
Result<IssuedCredential> issueApiToken(store::Session& session, std::int64_t user_id,
                                       const std::string& name, SystemTime now,
                                       std::optional<SystemTime> expires_at);

// Creates the per-host token for `host_id` and returns the token (64 hex
// digits). A host has one live token: any earlier token of the host is
// revoked at `now` in the same transaction, so an approved re-enrolment
// replaces the old identity's token. Host tokens do not expire. Does not
// check that the host exists; the caller creates or updates the host row in
// the same transaction. Fails with kInvalidArgument for an empty host id,
// kIoError when the database fails.
Result<std::string> issueHostToken(store::Session& session, const std::string& host_id,
                                   SystemTime now);

// Revokes every live credential of `host_id` at `now`, so the server
// rejects the host's next request with 401 revoked_credential. Revoking a host that has no
// live credential succeeds and changes nothing. Fails with kIoError when the
// database fails.
Result<void> revokeHostCredentials(store::Session& session, const std::string& host_id,
                                   SystemTime now);

// Revokes every live session (not API tokens) of user `user_id` at `now`,
// as after a password change. Returns how many were revoked.
Result<std::int64_t> revokeUserSessions(store::Session& session, std::int64_t user_id,
                                        SystemTime now);

// Returns the Router's authenticator. For each request it reads
// "Authorization: Bearer <token>", hashes the token, and looks up the
// credential in ctx.database. It returns a 401 response with one of these
// codes:
//   missing_credential   no Authorization header, or not a Bearer token
//   unknown_credential   no credential has this token
//   expired_credential   expires_at <= ctx.clock.now()
//   revoked_credential   the credential was revoked, or its user is disabled
// and 500 internal_error when the database fails. On success it returns a
// kUser principal (with the user's roles) or a kHost principal (with the
// host id), each with the credential id. It records last_used_at at most once a
// minute per credential, so steady traffic does not write on every request.
// Thread-safe; `ctx` must outlive the returned function.
Authenticate makeAuthenticator(ServerContext& ctx);

}  // namespace pk::server
