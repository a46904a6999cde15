#pragma once

// Bearer credentials: user sessions, user API tokens and per-host agent
// tokens, each stored as the hash of its token (server/credentials.h makes
// and hashes tokens). A credential is live while it is neither revoked nor
// past its expiry; rows are kept after that for the audit trail until
// deleteStaleCredentials() removes them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

inline constexpr std::string_view kCredentialSession = "session";
inline constexpr std::string_view kCredentialApiToken = "api_token";
inline constexpr std::string_view kCredentialHost = "host";

struct CredentialRecord {
  std::int64_t id = 0;                  // assigned by insertCredential()
  std::string kind;                     // "session", "api_token" or "host"
  std::string token_hash;               // 64 lower-case hex digits
  std::optional<std::int64_t> user_id;  // set for sessions and API tokens
  std::optional<std::string> host_id;   // set for host tokens
  std::string name;                     // what the holder called an API token; "" otherwise
  SystemTime created_at{};
  std::optional<SystemTime> expires_at;  // nullopt: never expires
  std::optional<SystemTime> revoked_at;
  std::optional<SystemTime> last_used_at;

  // Whether the credential opens anything at `now`: not revoked, and
  // `now` is before its expiry.
  bool isLive(SystemTime now) const { return !revoked_at && (!expires_at || now < *expires_at); }
};

// Inserts `credential` and returns its id. Fails with kInvalidArgument
// when the token hash is already stored, the kind is unknown, or the owner
// fields do not fit the kind (a user for sessions and API tokens, a host
// for host tokens).
Result<std::int64_t> insertCredential(Session& session, const CredentialRecord& credential);

// Returns the credential whose token hash is `token_hash`, or nullopt.
Result<std::optional<CredentialRecord>> findCredentialByHash(Session& session,
                                                             std::string_view token_hash);

// Returns the credential with id `id`, or nullopt.
Result<std::optional<CredentialRecord>> findCredentialById(Session& session, std::int64_t id);

// Returns the credentials of kind `kind` that belong to user `user_id`,
// revoked and expired ones included, newest first.
Result<std::vector<CredentialRecord>> listUserCredentials(Session& session, std::int64_t user_id,
                                                          std::string_view kind);

// Revokes credential `id` at `now`. Returns false, changing nothing, when
// it was already revoked or does not exist.
Result<bool> revokeCredential(Session& session, std::int64_t id, SystemTime now);

// Revokes every unrevoked credential of host `host_id` at `now` and returns
// how many were revoked.
Result<std::int64_t> revokeCredentialsOfHost(Session& session, std::string_view host_id,
                                             SystemTime now);

// Revokes every unrevoked credential of kind `kind` of user `user_id` at
// `now` and returns how many were revoked.
Result<std::int64_t> revokeCredentialsOfUser(Session& session, std::int64_t user_id,
                                             std::string_view kind, SystemTime now);

// Records that credential `id` was used at `now`.
Result<void> setCredentialLastUsed(Session& session, std::int64_t id, SystemTime now);

// Deletes user credentials (sessions and API tokens) that expired or were
// revoked before `cutoff`, and returns how many were deleted. Host
// credentials are kept, so a host's token history stays with the host.
Result<std::int64_t> deleteStaleCredentials(Session& session, SystemTime cutoff);

}  // namespace pk::store
