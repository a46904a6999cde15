#pragma once

// `patchkeeper users ...`, `patchkeeper tokens ...` and
// `patchkeeper audit ...`: people, their roles, one's own API tokens, and
// the audit log. Each run function makes the API calls listed beside it,
// prints the result in ctx.output's format and returns kExitOk, or
// kExitError after printing the server's error.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/admin_api.h"
#include "common/clock.h"

namespace pk::cli {

class AdminRunner;

struct UserCreateOptions {
  std::string username;
  std::vector<std::string> roles;  // checked role names
  std::string password;            // read by the caller (admin_password.h)
};

struct TokenCreateOptions {
  std::string name;
  int expires_in_days = 0;
};

struct AuditListOptions {
  std::string since;  // RFC 3339, already converted by parseSince
  std::string actor;
  std::string object_type;
  std::size_t limit = 100;  // 0: every page
};

// GET /api/v1/users
int runUsersList(AdminContext& ctx);
// POST /api/v1/users {username, password, roles}
int runUsersCreate(const UserCreateOptions& options, AdminContext& ctx);
// PATCH /api/v1/users/{username} {roles}
int runUsersSetRoles(const std::string& username, const std::vector<std::string>& roles,
                     AdminContext& ctx);
// PATCH /api/v1/users/{username} {disabled}
int runUsersSetDisabled(const std::string& username, bool disabled, AdminContext& ctx);

// GET /api/v1/tokens
int runTokensList(AdminContext& ctx);
// POST /api/v1/tokens {name, expires_in_days}; prints the token, which the
// server shows only this once, and a reminder on ctx.err to store it.
int runTokensCreate(const TokenCreateOptions& options, AdminContext& ctx);
// DELETE /api/v1/tokens/{id}
int runTokensRevoke(std::int64_t id, AdminContext& ctx);

// GET /api/v1/audit?since=&actor=&object_type=&limit=, following
// "next_after_id" until `limit` events or the last page.
int runAuditList(const AuditListOptions& options, AdminContext& ctx);
// GET /api/v1/audit?format=jsonl&since=&after_id=, page after page until
// one is empty, writing the JSON lines to ctx.out as they arrive. Each
// next page starts after the "id" of the previous page's last line; a
// line without an integer "id" fails with code "invalid_response".
int runAuditExport(const std::string& since, AdminContext& ctx);

// Adds the `users`, `tokens` and `audit` commands to `app`. `clock`
// resolves ages such as --since 7d and must outlive the parse.
void addPeopleCommands(CLI::App& app, AdminRunner& runner, const Clock& clock);

}  // namespace pk::cli
