#pragma once

// The people domain of the API: logins, users, API tokens and the audit log.
//
//   POST   /api/v1/sessions            public             {username, password} -> 201 {token,
//   expires_at} DELETE /api/v1/sessions/current    manage_own_tokens  ends the session used -> 204
//   GET    /api/v1/me                  manage_own_tokens  the caller, roles and permissions
//   GET    /api/v1/users               read_users
//   POST   /api/v1/users               manage_users       {username, password, roles[]} -> 201
//   GET    /api/v1/users/{username}    read_users
//   PATCH  /api/v1/users/{username}    manage_users       {roles?, disabled?, password?}
//   GET    /api/v1/tokens              manage_own_tokens  the caller's API tokens
//   POST   /api/v1/tokens              manage_own_tokens  {name, expires_in_days} -> 201 with
//   "token" DELETE /api/v1/tokens/{id}         manage_own_tokens  -> 204 GET    /api/v1/audit
//   read_audit         ?since=&after_id=&actor=&object_type=
//                                                         &object_id=&limit=&format=json|jsonl
//
// Every change appends an audit event in the same write transaction. Audit
// events never contain a password, a password hash or a token. Failed
// logins are audited too, with action "session.login_failed" and the
// attempted username as actor ("user:<name>").
//
// Logins are throttled per username and per remote address (see
// login_throttle.h): past the limit, POST /api/v1/sessions returns 429
// too_many_attempts with a Retry-After header, even for a correct password.

#include <chrono>

#include <nlohmann/json.hpp>

#include "server/context.h"
#include "server/http.h"
#include "store/user_repository.h"

namespace pk::server {

struct PeopleOptions {
  // How long a login session lasts.
  std::chrono::hours session_ttl{12};
  // Failed logins allowed per username, and per remote address, within
  // throttle_window before further attempts get 429.
  int max_failed_logins = 5;
  std::chrono::minutes throttle_window{15};
};

// The maximum lifetime of an API token, in days (ten years).
inline constexpr int kMaxApiTokenDays = 3650;
// How many live (unexpired, unrevoked) API tokens one user may have.
inline constexpr int kMaxLiveApiTokensPerUser = 100;
// Revoked and expired sessions and API tokens are deleted this long after
// they stopped working, so the credentials table does not grow without
// bound. The audit log keeps their history.
inline constexpr std::chrono::days kStaleCredentialRetention{30};

// Returns `user` as the API and the audit log show it: username, roles,
// disabled, created_at and updated_at. Never the password hash.
nlohmann::json userToJson(const store::UserRecord& user);

// Registers every route above on `router`. `context` must outlive the
// router; `options` is copied. Describes the counter
// patchkeeper_logins_total{result="success|failure|throttled"}.
void addPeopleRoutes(Router& router, ServerContext& context, const PeopleOptions& options);

}  // namespace pk::server
