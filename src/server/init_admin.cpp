#include "server/init_admin.h"

#include <fstream>
#include <iterator>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/passwords.h"
#include "server/people_routes.h"
#include "store/audit_repository.h"
#include "store/user_repository.h"

namespace pk::server {

Result<void> initFirstAdmin(store::Database& database, const std::string& username,
                            const std::string& password, SystemTime now) {
  if (auto valid = store::validateUsername(username); !valid) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("cannot create the first admin: {}", valid.error().message));
  }
  // Hashing takes a tenth of a second, so it runs before the write
  // transaction rather than holding the database's write lock.
  auto hash = hashPassword(password, username);
  if (!hash) {
    return fail(hash.error().code,
                fmt::format("cannot create the first admin: {}", hash.error().message));
  }

  store::UserRecord admin;
  admin.username = username;
  admin.password_hash = std::move(*hash);
  admin.roles = {"admin"};
  admin.created_at = now;
  admin.updated_at = now;

  // The count and the insert share one write transaction, so two init
  // commands run at once cannot both create an admin.
  auto written = database.write([&](store::Session& session) -> Result<void> {
    auto users = store::countUsers(session);
    if (!users) return tl::unexpected(users.error());
    if (*users > 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("patchkeeper already has {} user{}; init creates only the first "
                              "admin. Log in as an admin and create users with POST "
                              "/api/v1/users instead",
                              *users, *users == 1 ? "" : "s"));
    }
    auto id = store::insertUser(session, admin);
    if (!id) return tl::unexpected(id.error());
    admin.id = *id;

    store::AuditEvent event;
    event.at = now;
    event.actor = "system";
    event.action = "user.create";
    event.object_type = "user";
    event.object_id = username;
    event.after_json = userToJson(admin).dump();
    auto appended = store::appendAuditEvent(session, event);
    if (!appended) return tl::unexpected(appended.error());
    return {};
  });
  if (!written) return written;
  spdlog::info("first admin created: user={}", username);
  return {};
}

Result<std::string> readPasswordFile(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return fail(ErrorCode::kNotFound,
                fmt::format("the password file {} does not exist", path.string()));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return fail(
        ErrorCode::kIoError,
        fmt::format("cannot read the password file {}; check its permissions", path.string()));
  }
  // The limit, a "\r\n" and one more byte are enough to tell whether the
  // file is too large.
  std::string password;
  password.resize(kMaxPasswordBytes + 3);
  file.read(password.data(), static_cast<std::streamsize>(password.size()));
  if (file.bad()) {
    return fail(ErrorCode::kIoError,
                fmt::format("reading the password file {} failed", path.string()));
  }
  password.resize(static_cast<std::size_t>(file.gcount()));

  if (password.ends_with("\r\n")) {
    password.resize(password.size() - 2);
  } else if (password.ends_with('\n')) {
    password.pop_back();
  }
  if (password.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the password file {} is empty", path.string()));
  }
  if (password.size() > kMaxPasswordBytes) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the password file {} contains more than {} bytes, the maximum "
                            "password length",
                            path.string(), kMaxPasswordBytes));
  }
  return password;
}

}  // namespace pk::server
