#include "store/calendar_feed_repository.h"

#include <fmt/format.h>

namespace pk::store {
namespace {

constexpr std::string_view kSelectToken =
    "SELECT id, user_id, token_hash, name, created_at, revoked_at FROM calendar_feed_tokens";

CalendarFeedTokenRecord rowToToken(const Row& row) {
  CalendarFeedTokenRecord token;
  token.id = row.integer(0);
  token.user_id = row.integer(1);
  token.token_hash = row.text(2);
  token.name = row.text(3);
  token.created_at = timeFromColumn(row.integer(4));
  if (const auto revoked = row.optionalInteger(5)) token.revoked_at = timeFromColumn(*revoked);
  return token;
}

}  // namespace

Result<std::int64_t> insertCalendarFeedToken(Session& session,
                                             const CalendarFeedTokenRecord& token) {
  return session.insertReturningId(
      "INSERT INTO calendar_feed_tokens (user_id, token_hash, name, created_at) "
      "VALUES (?, ?, ?, ?)",
      {token.user_id, token.token_hash, token.name, timeToColumn(token.created_at)});
}

Result<std::optional<CalendarFeedTokenRecord>> findCalendarFeedTokenByHash(
    Session& session, std::string_view token_hash) {
  auto row = session.queryOne(fmt::format("{} WHERE token_hash = ?", kSelectToken),
                              {std::string(token_hash)});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<CalendarFeedTokenRecord>();
  return std::optional<CalendarFeedTokenRecord>(rowToToken(**row));
}

Result<std::vector<CalendarFeedTokenRecord>> listCalendarFeedTokens(Session& session,
                                                                    std::int64_t user_id) {
  auto rows = session.query(
      fmt::format("{} WHERE user_id = ? ORDER BY created_at DESC, id DESC", kSelectToken),
      {user_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<CalendarFeedTokenRecord> tokens;
  tokens.reserve(rows->size());
  for (const auto& row : *rows) tokens.push_back(rowToToken(row));
  return tokens;
}

Result<bool> revokeCalendarFeedToken(Session& session, std::int64_t user_id, std::int64_t id,
                                     SystemTime now) {
  auto revoked = session.execute(
      "UPDATE calendar_feed_tokens SET revoked_at = ? "
      "WHERE id = ? AND user_id = ? AND revoked_at IS NULL",
      {timeToColumn(now), id, user_id});
  if (!revoked) return tl::unexpected(revoked.error());
  return session.changedRows() > 0;
}

}  // namespace pk::store
