#include "store/credential_repository.h"

#include <fmt/format.h>

namespace pk::store {
namespace {

std::int64_t toMicros(SystemTime time) {
  return time.time_since_epoch().count();
}

SystemTime fromMicros(std::int64_t micros) {
  return SystemTime(std::chrono::microseconds(micros));
}

Value optionalTime(const std::optional<SystemTime>& time) {
  if (!time) return std::monostate{};
  return toMicros(*time);
}

std::optional<SystemTime> optionalTimeAt(const Row& row, std::size_t column) {
  const auto micros = row.optionalInteger(column);
  if (!micros) return std::nullopt;
  return fromMicros(*micros);
}

constexpr std::string_view kSelectCredential =
    "SELECT id, kind, token_hash, user_id, host_id, name, created_at, expires_at, revoked_at, "
    "last_used_at FROM credentials";

CredentialRecord rowToCredential(const Row& row) {
  CredentialRecord credential;
  credential.id = row.integer(0);
  credential.kind = row.text(1);
  credential.token_hash = row.text(2);
  credential.user_id = row.optionalInteger(3);
  credential.host_id = row.optionalText(4);
  credential.name = row.text(5);
  credential.created_at = fromMicros(row.integer(6));
  credential.expires_at = optionalTimeAt(row, 7);
  credential.revoked_at = optionalTimeAt(row, 8);
  credential.last_used_at = optionalTimeAt(row, 9);
  return credential;
}

Result<void> checkOwnerFitsKind(const CredentialRecord& credential) {
  const bool is_host = credential.kind == kCredentialHost;
  const bool is_user =
      credential.kind == kCredentialSession || credential.kind == kCredentialApiToken;
  if (!is_host && !is_user) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("unknown credential kind \"{}\"; use session, api_token or host",
                            credential.kind));
  }
  if (is_host && (!credential.host_id || credential.host_id->empty() || credential.user_id)) {
    return fail(ErrorCode::kInvalidArgument, "a host credential needs a host id and no user");
  }
  if (is_user && (!credential.user_id || credential.host_id)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("a {} credential needs a user and no host", credential.kind));
  }
  return {};
}

Value optionalInteger(const std::optional<std::int64_t>& value) {
  if (!value) return std::monostate{};
  return *value;
}

Value optionalString(const std::optional<std::string>& value) {
  if (!value) return std::monostate{};
  return *value;
}

}  // namespace

Result<std::int64_t> insertCredential(Session& session, const CredentialRecord& credential) {
  if (auto fits = checkOwnerFitsKind(credential); !fits) return tl::unexpected(fits.error());
  return session.insertReturningId(
      "INSERT INTO credentials (kind, token_hash, user_id, host_id, name, created_at, "
      "expires_at, revoked_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {credential.kind, credential.token_hash, optionalInteger(credential.user_id),
       optionalString(credential.host_id), credential.name, Value(toMicros(credential.created_at)),
       optionalTime(credential.expires_at), optionalTime(credential.revoked_at),
       optionalTime(credential.last_used_at)});
}

Result<std::optional<CredentialRecord>> findCredentialByHash(Session& session,
                                                             std::string_view token_hash) {
  auto row = session.queryOne(fmt::format("{} WHERE token_hash = ?", kSelectCredential),
                              {Value(std::string(token_hash))});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<CredentialRecord>();
  return std::optional<CredentialRecord>(rowToCredential(**row));
}

Result<std::optional<CredentialRecord>> findCredentialById(Session& session, std::int64_t id) {
  auto row = session.queryOne(fmt::format("{} WHERE id = ?", kSelectCredential), {Value(id)});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<CredentialRecord>();
  return std::optional<CredentialRecord>(rowToCredential(**row));
}

Result<std::vector<CredentialRecord>> listUserCredentials(Session& session, std::int64_t user_id,
                                                          std::string_view kind) {
  auto rows = session.query(
      fmt::format("{} WHERE user_id = ? AND kind = ? ORDER BY id DESC", kSelectCredential),
      {Value(user_id), Value(std::string(kind))});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<CredentialRecord> credentials;
  for (const Row& row : *rows) credentials.push_back(rowToCredential(row));
  return credentials;
}

Result<bool> revokeCredential(Session& session, std::int64_t id, SystemTime now) {
  auto updated =
      session.execute("UPDATE credentials SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                      {Value(toMicros(now)), Value(id)});
  if (!updated) return tl::unexpected(updated.error());
  return session.changedRows() > 0;
}

Result<std::int64_t> revokeCredentialsOfHost(Session& session, std::string_view host_id,
                                             SystemTime now) {
  auto updated = session.execute(
      "UPDATE credentials SET revoked_at = ? WHERE host_id = ? AND revoked_at IS NULL",
      {Value(toMicros(now)), Value(std::string(host_id))});
  if (!updated) return tl::unexpected(updated.error());
  return session.changedRows();
}

Result<std::int64_t> revokeCredentialsOfUser(Session& session, std::int64_t user_id,
                                             std::string_view kind, SystemTime now) {
  auto updated = session.execute(
      "UPDATE credentials SET revoked_at = ? "
      "WHERE user_id = ? AND kind = ? AND revoked_at IS NULL",
      {Value(toMicros(now)), Value(user_id), Value(std::string(kind))});
  if (!updated) return tl::unexpected(updated.error());
  return session.changedRows();
}

Result<void> setCredentialLastUsed(Session& session, std::int64_t id, SystemTime now) {
  return session.execute("UPDATE credentials SET last_used_at = ? WHERE id = ?",
                         {Value(toMicros(now)), Value(id)});
}

Result<std::int64_t> deleteStaleCredentials(Session& session, SystemTime cutoff) {
  auto deleted = session.execute(
      "DELETE FROM credentials WHERE kind <> 'host' "
      "AND ((expires_at IS NOT NULL AND expires_at < ?) OR (revoked_at IS NOT NULL AND "
      "revoked_at < ?))",
      {Value(toMicros(cutoff)), Value(toMicros(cutoff))});
  if (!deleted) return tl::unexpected(deleted.error());
  return session.changedRows();
}

}  // namespace pk::store
