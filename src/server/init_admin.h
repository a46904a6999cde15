#pragma once

// `patchkeeper-server init`: creating the first admin of a new installation,
// who then creates every other user through the API.

#include <filesystem>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::server {

// Creates user `username` with the admin role and `password`, at `now`,
// and audits it as action "user.create" by actor "system". `database` must
// already be migrated. Fails with kInvalidArgument, changing nothing, when
// any user exists (the message says how many, and to use the API instead),
// when the username is invalid (see store::validateUsername), or when the
// password breaks the policy (see checkPasswordPolicy). Fails with kIoError
// when the database fails. Costs one Argon2id hash (about 0.1 s).
Result<void> initFirstAdmin(store::Database& database, const std::string& username,
                            const std::string& password, SystemTime now);

// Reads a password from the file at `path`, as `init --password-file`
// does: the whole file, without one trailing "\n" or "\r\n", so that a
// file written by `echo` works. Fails with kNotFound when the file does not
// exist, kIoError when it cannot be read, and kInvalidArgument when it is
// empty or larger than any accepted password.
Result<std::string> readPasswordFile(const std::filesystem::path& path);

}  // namespace pk::server
