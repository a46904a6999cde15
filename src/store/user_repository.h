#pragma once

// People who log in: username, Argon2id password hash, roles, and whether
// the account is disabled. Roles are stored by name ("admin", "operator",
// "owner", "viewer", "auditor"); the server's roles table
// (server/principal.h) gives them meaning.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct UserRecord {
  std::int64_t id = 0;  // assigned by insertUser()
  std::string username;
  std::string password_hash;       // libsodium's Argon2id string; never sent to clients
  bool disabled = false;           // a disabled user's credentials are rejected
  std::vector<std::string> roles;  // role names, sorted, each once
  SystemTime created_at{};
  SystemTime updated_at{};
};

// The maximum username length, in bytes.
inline constexpr std::size_t kMaxUsernameLength = 64;

// Checks that `username` is 1 to 64 characters of lower-case ASCII letters,
// digits and ".", "_", "-", "@", starting with a letter or digit. Usernames
// name host owners and appear in audit actors ("user:alice"). Allowing
// lower case only keeps "Alice" and "alice" from being two people, and the
// character set needs no quoting. Fails with kInvalidArgument saying which
// rule is broken.
Result<void> validateUsername(std::string_view username);

// Inserts `user` with its roles and returns the new id. Fails with
// kInvalidArgument for an invalid username, an empty password hash, or a
// username that is taken (the message names it), and kIoError when the
// database fails.
Result<std::int64_t> insertUser(Session& session, const UserRecord& user);

// Returns the user named `username` with roles, or nullopt.
Result<std::optional<UserRecord>> findUserByName(Session& session, std::string_view username);

// Returns the user with id `id` with roles, or nullopt.
Result<std::optional<UserRecord>> findUserById(Session& session, std::int64_t id);

// Returns every user with roles, sorted by username.
Result<std::vector<UserRecord>> listUsers(Session& session);

// Returns how many users exist, disabled ones included.
Result<std::int64_t> countUsers(Session& session);

// Returns how many users hold `role` and are not disabled.
Result<std::int64_t> countEnabledUsersWithRole(Session& session, std::string_view role);

// Writes password_hash, disabled, roles and updated_at of `user` over the
// stored user with the same id; username and created_at are not changed.
// Fails with kNotFound when no user has that id, kInvalidArgument for an
// empty password hash or an unknown role name.
Result<void> updateUser(Session& session, const UserRecord& user);

}  // namespace pk::store
