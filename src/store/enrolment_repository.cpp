#include "store/enrolment_repository.h"

#include <fmt/format.h>

namespace pk::store {
namespace {

std::int64_t toMicros(SystemTime time) {
  return time.time_since_epoch().count();
}

SystemTime fromMicros(std::int64_t micros) {
  return SystemTime(std::chrono::microseconds(micros));
}

// Collections are stored one per line: the routes accept only names
// without control characters, so a line break never occurs inside one.
std::string joinLines(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) joined += '\n';
    joined += item;
  }
  return joined;
}

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) items.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

constexpr std::string_view kSelectSecret =
    "SELECT id, secret_hash, name, kind, owner, collections, created_by, created_at, expires_at, "
    "revoked_at, use_count + (SELECT COUNT(*) FROM enrolment_secret_uses WHERE secret_id = "
    "enrolment_secrets.id) FROM enrolment_secrets";

EnrolmentSecretRecord rowToSecret(const Row& row) {
  EnrolmentSecretRecord secret;
  secret.id = row.integer(0);
  secret.secret_hash = row.text(1);
  secret.name = row.text(2);
  secret.kind = row.text(3);
  secret.owner = row.text(4);
  secret.collections = splitLines(row.text(5));
  secret.created_by = row.text(6);
  secret.created_at = fromMicros(row.integer(7));
  secret.expires_at = fromMicros(row.integer(8));
  if (const auto revoked_at = row.optionalInteger(9)) secret.revoked_at = fromMicros(*revoked_at);
  secret.use_count = row.integer(10);
  return secret;
}

Result<std::optional<EnrolmentSecretRecord>> queryOneSecret(Session& session,
                                                            std::string_view condition,
                                                            const Value& param) {
  auto row = session.queryOne(fmt::format("{} WHERE {}", kSelectSecret, condition), {param});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<EnrolmentSecretRecord>();
  return std::optional<EnrolmentSecretRecord>(rowToSecret(**row));
}

}  // namespace

Result<std::int64_t> insertEnrolmentSecret(Session& session, const EnrolmentSecretRecord& secret) {
  Value revoked_at = std::monostate{};
  if (secret.revoked_at) revoked_at = toMicros(*secret.revoked_at);
  return session.insertReturningId(
      "INSERT INTO enrolment_secrets (secret_hash, name, kind, owner, collections, created_by, "
      "created_at, expires_at, revoked_at, use_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
      {secret.secret_hash, secret.name, secret.kind, secret.owner, joinLines(secret.collections),
       secret.created_by, toMicros(secret.created_at), toMicros(secret.expires_at), revoked_at});
}

Result<std::optional<EnrolmentSecretRecord>> getEnrolmentSecret(Session& session, std::int64_t id) {
  return queryOneSecret(session, "id = ?", id);
}

Result<std::optional<EnrolmentSecretRecord>> findEnrolmentSecretByHash(
    Session& session, const std::string& secret_hash) {
  return queryOneSecret(session, "secret_hash = ?", secret_hash);
}

Result<std::vector<EnrolmentSecretRecord>> listEnrolmentSecrets(Session& session) {
  auto rows = session.query(fmt::format("{} ORDER BY id", kSelectSecret));
  if (!rows) return tl::unexpected(rows.error());
  std::vector<EnrolmentSecretRecord> secrets;
  secrets.reserve(rows->size());
  for (const auto& row : *rows) secrets.push_back(rowToSecret(row));
  return secrets;
}

Result<bool> revokeEnrolmentSecret(Session& session, std::int64_t id, SystemTime now) {
  auto updated = session.execute(
      "UPDATE enrolment_secrets SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
      {toMicros(now), id});
  if (!updated) return tl::unexpected(updated.error());
  if (session.changedRows() > 0) return true;

  // Nothing changed: either already revoked, or no such secret.
  auto existing = session.queryOne("SELECT 1 FROM enrolment_secrets WHERE id = ?", {id});
  if (!existing) return tl::unexpected(existing.error());
  if (!*existing)
    return fail(ErrorCode::kNotFound, fmt::format("enrolment secret {} not found", id));
  return false;
}

Result<void> recordEnrolmentSecretUse(Session& session, std::int64_t id, const std::string& host_id,
                                      SystemTime now) {
  auto existing = session.queryOne("SELECT 1 FROM enrolment_secrets WHERE id = ?", {id});
  if (!existing) return tl::unexpected(existing.error());
  if (!*existing) {
    return fail(ErrorCode::kNotFound, fmt::format("enrolment secret {} not found", id));
  }
  return session.execute(
      "INSERT INTO enrolment_secret_uses (secret_id, host_id, used_at) VALUES (?, ?, ?)",
      {id, host_id, toMicros(now)});
}

}  // namespace pk::store
