#include "store/user_repository.h"

#include <algorithm>

#include <fmt/format.h>

namespace pk::store {
namespace {

std::int64_t toMicros(SystemTime time) {
  return time.time_since_epoch().count();
}

SystemTime fromMicros(std::int64_t micros) {
  return SystemTime(std::chrono::microseconds(micros));
}

constexpr std::string_view kSelectUser =
    "SELECT id, username, password_hash, disabled, created_at, updated_at FROM users";

UserRecord rowToUser(const Row& row) {
  UserRecord user;
  user.id = row.integer(0);
  user.username = row.text(1);
  user.password_hash = row.text(2);
  user.disabled = row.boolean(3);
  user.created_at = fromMicros(row.integer(4));
  user.updated_at = fromMicros(row.integer(5));
  return user;
}

Result<std::vector<std::string>> rolesOf(Session& session, std::int64_t user_id) {
  auto rows = session.query("SELECT role FROM user_roles WHERE user_id = ? ORDER BY role",
                            {Value(user_id)});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::string> roles;
  for (const Row& row : *rows) roles.push_back(row.text(0));
  return roles;
}

std::vector<std::string> sortedUnique(std::vector<std::string> roles) {
  std::sort(roles.begin(), roles.end());
  roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
  return roles;
}

// The schema's CHECK rejects unknown role names too; checking here first
// gives a message that names the role instead of the constraint.
Result<void> insertRoles(Session& session, std::int64_t user_id,
                         const std::vector<std::string>& roles) {
  for (const std::string& role : sortedUnique(roles)) {
    if (role != "admin" && role != "operator" && role != "owner" && role != "viewer" &&
        role != "auditor" && role != "helpdesk") {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("unknown role \"{}\"; use admin, operator, owner, viewer, auditor "
                              "or helpdesk",
                              role));
    }
    auto inserted = session.execute("INSERT INTO user_roles (user_id, role) VALUES (?, ?)",
                                    {Value(user_id), Value(role)});
    if (!inserted) return inserted;
  }
  return {};
}

Result<std::optional<UserRecord>> findOne(Session& session, std::string_view where,
                                          const Value& key) {
  auto row = session.queryOne(fmt::format("{} WHERE {} = ?", kSelectUser, where), {key});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<UserRecord>();
  UserRecord user = rowToUser(**row);
  auto roles = rolesOf(session, user.id);
  if (!roles) return tl::unexpected(roles.error());
  user.roles = std::move(*roles);
  return std::optional<UserRecord>(std::move(user));
}

}  // namespace

Result<void> validateUsername(std::string_view username) {
  if (username.empty()) return fail(ErrorCode::kInvalidArgument, "the username is empty");
  if (username.size() > kMaxUsernameLength) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the username is longer than {} characters", kMaxUsernameLength));
  }
  const auto is_lower_or_digit = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  };
  if (!is_lower_or_digit(username.front())) {
    return fail(ErrorCode::kInvalidArgument,
                "the username must start with a lower-case letter or a digit");
  }
  for (char c : username) {
    if (!is_lower_or_digit(c) && c != '.' && c != '_' && c != '-' && c != '@') {
      return fail(ErrorCode::kInvalidArgument,
                  "the username may contain only lower-case letters, digits and . _ - @");
    }
  }
  return {};
}

Result<std::int64_t> insertUser(Session& session, const UserRecord& user) {
  if (auto valid = validateUsername(user.username); !valid) return tl::unexpected(valid.error());
  if (user.password_hash.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("user {} has an empty password hash", user.username));
  }

  // Checked before the insert so that the message names the username; the
  // UNIQUE constraint still guards against a concurrent insert.
  auto existing = session.queryOne("SELECT id FROM users WHERE username = ?", {user.username});
  if (!existing) return tl::unexpected(existing.error());
  if (*existing) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("a user named {} already exists", user.username));
  }

  auto id = session.insertReturningId(
      "INSERT INTO users (username, password_hash, disabled, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {user.username, user.password_hash, Value(std::int64_t{user.disabled ? 1 : 0}),
       Value(toMicros(user.created_at)), Value(toMicros(user.updated_at))});
  if (!id) return tl::unexpected(id.error());

  if (auto roles = insertRoles(session, *id, user.roles); !roles) {
    return tl::unexpected(roles.error());
  }
  return *id;
}

Result<std::optional<UserRecord>> findUserByName(Session& session, std::string_view username) {
  return findOne(session, "username", Value(std::string(username)));
}

Result<std::optional<UserRecord>> findUserById(Session& session, std::int64_t id) {
  return findOne(session, "id", Value(id));
}

Result<std::vector<UserRecord>> listUsers(Session& session) {
  auto rows = session.query(fmt::format("{} ORDER BY username", kSelectUser));
  if (!rows) return tl::unexpected(rows.error());
  std::vector<UserRecord> users;
  for (const Row& row : *rows) users.push_back(rowToUser(row));

  // One query for every role instead of one per user.
  auto role_rows = session.query("SELECT user_id, role FROM user_roles ORDER BY user_id, role");
  if (!role_rows) return tl::unexpected(role_rows.error());
  for (const Row& row : *role_rows) {
    const std::int64_t user_id = row.integer(0);
    auto user = std::find_if(users.begin(), users.end(),
                             [user_id](const UserRecord& u) { return u.id == user_id; });
    if (user != users.end()) user->roles.push_back(row.text(1));
  }
  return users;
}

Result<std::int64_t> countUsers(Session& session) {
  auto row = session.queryOne("SELECT COUNT(*) FROM users");
  if (!row) return tl::unexpected(row.error());
  return *row ? (*row)->integer(0) : 0;
}

Result<std::int64_t> countEnabledUsersWithRole(Session& session, std::string_view role) {
  auto row = session.queryOne(
      "SELECT COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id "
      "WHERE r.role = ? AND u.disabled = 0",
      {Value(std::string(role))});
  if (!row) return tl::unexpected(row.error());
  return *row ? (*row)->integer(0) : 0;
}

Result<void> updateUser(Session& session, const UserRecord& user) {
  if (user.password_hash.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("user {} has an empty password hash", user.username));
  }

  auto updated = session.execute(
      "UPDATE users SET password_hash = ?, disabled = ?, updated_at = ? WHERE id = ?",
      {user.password_hash, Value(std::int64_t{user.disabled ? 1 : 0}),
       Value(toMicros(user.updated_at)), Value(user.id)});
  if (!updated) return updated;
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("no user has id {}", user.id));
  }

  auto cleared = session.execute("DELETE FROM user_roles WHERE user_id = ?", {Value(user.id)});
  if (!cleared) return cleared;
  return insertRoles(session, user.id, user.roles);
}

}  // namespace pk::store
