#include "store/feed_repository.h"

#include <fmt/format.h>

namespace pk::store {
namespace {

std::int64_t toMicros(SystemTime time) {
  return time.time_since_epoch().count();
}

std::optional<SystemTime> optionalTimeAt(const Row& row, std::size_t column) {
  auto micros = row.optionalInteger(column);
  if (!micros) return std::nullopt;
  return SystemTime(std::chrono::microseconds(*micros));
}

constexpr std::string_view kSelectFeed =
    "SELECT name, kind, source, status, last_attempt_at, last_success_at, last_error, "
    "record_count, staged_at, staged_added, staged_changed, staged_removed, staged_record_count "
    "FROM feeds";

FeedState rowToFeed(const Row& row) {
  FeedState feed;
  feed.name = row.text(0);
  feed.kind = row.text(1);
  feed.source = row.text(2);
  // The CHECK constraint keeps the column to the four names.
  feed.status = parseFeedStatus(row.text(3)).value_or(FeedStatus::kNeverSynced);
  feed.last_attempt_at = optionalTimeAt(row, 4);
  feed.last_success_at = optionalTimeAt(row, 5);
  feed.last_error = row.text(6);
  feed.record_count = row.integer(7);
  feed.staged_at = optionalTimeAt(row, 8);
  feed.staged_added = row.integer(9);
  feed.staged_changed = row.integer(10);
  feed.staged_removed = row.integer(11);
  feed.staged_record_count = row.integer(12);
  return feed;
}

Result<void> requireChanged(Session& session, const std::string& name) {
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("feed \"{}\" is not configured", name));
  }
  return {};
}

std::optional<RecordKind> parseRecordKind(std::string_view name) {
  for (auto kind : {RecordKind::kAdvisory, RecordKind::kKev, RecordKind::kEpss}) {
    if (recordKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::optional<RecordChange> parseRecordChange(std::string_view name) {
  for (auto change : {RecordChange::kAdded, RecordChange::kChanged, RecordChange::kRemoved}) {
    if (recordChangeName(change) == name) return change;
  }
  return std::nullopt;
}

}  // namespace

std::string_view feedStatusName(FeedStatus status) {
  switch (status) {
    case FeedStatus::kNeverSynced:
      return "never_synced";
    case FeedStatus::kOk:
      return "ok";
    case FeedStatus::kFailed:
      return "failed";
    case FeedStatus::kAwaitingConfirmation:
      return "awaiting_confirmation";
  }
  return "never_synced";
}

std::optional<FeedStatus> parseFeedStatus(std::string_view name) {
  for (auto status : {FeedStatus::kNeverSynced, FeedStatus::kOk, FeedStatus::kFailed,
                      FeedStatus::kAwaitingConfirmation}) {
    if (feedStatusName(status) == name) return status;
  }
  return std::nullopt;
}

std::string_view recordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kAdvisory:
      return "advisory";
    case RecordKind::kKev:
      return "kev";
    case RecordKind::kEpss:
      return "epss";
  }
  return "advisory";
}

std::string_view recordChangeName(RecordChange change) {
  switch (change) {
    case RecordChange::kAdded:
      return "added";
    case RecordChange::kChanged:
      return "changed";
    case RecordChange::kRemoved:
      return "removed";
  }
  return "added";
}

Result<void> upsertFeed(Session& session, const std::string& name, const std::string& kind,
                        const std::string& source) {
  return session.execute(
      "INSERT INTO feeds (name, kind, source, status) VALUES (?, ?, ?, 'never_synced') "
      "ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, source = excluded.source",
      {name, kind, source});
}

Result<std::optional<FeedState>> getFeed(Session& session, const std::string& name) {
  auto row = session.queryOne(std::string(kSelectFeed) + " WHERE name = ?", {name});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<FeedState>();
  return std::optional<FeedState>(rowToFeed(**row));
}

Result<std::vector<FeedState>> listFeeds(Session& session) {
  auto rows = session.query(std::string(kSelectFeed) + " ORDER BY name");
  if (!rows) return tl::unexpected(rows.error());
  std::vector<FeedState> feeds;
  feeds.reserve(rows->size());
  for (const auto& row : *rows) feeds.push_back(rowToFeed(row));
  return feeds;
}

Result<void> recordFeedFailure(Session& session, const std::string& name, SystemTime at,
                               const std::string& error) {
  auto updated = session.execute(
      "UPDATE feeds SET last_attempt_at = ?, last_error = ?, "
      "status = CASE WHEN awaiting_confirmation = 1 THEN 'awaiting_confirmation' "
      "ELSE 'failed' END WHERE name = ?",
      {toMicros(at), error, name});
  if (!updated) return updated;
  return requireChanged(session, name);
}

Result<void> recordFeedSuccess(Session& session, const std::string& name, SystemTime at,
                               std::int64_t record_count) {
  auto updated = session.execute(
      "UPDATE feeds SET status = 'ok', last_attempt_at = ?, last_success_at = ?, last_error = '', "
      "record_count = ?, awaiting_confirmation = 0, staged_at = NULL, staged_added = 0, "
      "staged_changed = 0, staged_removed = 0, staged_record_count = 0 WHERE name = ?",
      {toMicros(at), toMicros(at), record_count, name});
  if (!updated) return updated;
  if (auto found = requireChanged(session, name); !found) return found;
  return session.execute("DELETE FROM feed_staged_changes WHERE feed = ?", {name});
}

Result<void> stageFeedChanges(Session& session, const std::string& name, SystemTime at,
                              const std::vector<StagedChange>& changes,
                              std::int64_t record_count_after) {
  std::int64_t added = 0;
  std::int64_t changed = 0;
  std::int64_t removed = 0;
  for (const auto& change : changes) {
    if (change.change == RecordChange::kAdded) ++added;
    if (change.change == RecordChange::kChanged) ++changed;
    if (change.change == RecordChange::kRemoved) ++removed;
  }

  auto updated = session.execute(
      "UPDATE feeds SET status = 'awaiting_confirmation', awaiting_confirmation = 1, "
      "last_attempt_at = ?, last_error = '', staged_at = ?, staged_added = ?, "
      "staged_changed = ?, staged_removed = ?, staged_record_count = ? WHERE name = ?",
      {toMicros(at), toMicros(at), added, changed, removed, record_count_after, name});
  if (!updated) return updated;
  if (auto found = requireChanged(session, name); !found) return found;

  if (auto cleared = session.execute("DELETE FROM feed_staged_changes WHERE feed = ?", {name});
      !cleared) {
    return cleared;
  }
  for (const auto& change : changes) {
    auto inserted = session.execute(
        "INSERT INTO feed_staged_changes (feed, record_kind, record_id, change, content_hash, "
        "body) VALUES (?, ?, ?, ?, ?, ?)",
        {name, std::string(recordKindName(change.kind)), change.record_id,
         std::string(recordChangeName(change.change)), change.content_hash, change.body});
    if (!inserted) return inserted;
  }
  return {};
}

Result<std::vector<StagedChange>> loadStagedChanges(Session& session, const std::string& name) {
  auto rows = session.query(
      "SELECT record_kind, record_id, change, content_hash, body FROM feed_staged_changes "
      "WHERE feed = ? ORDER BY record_kind, record_id",
      {name});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<StagedChange> changes;
  changes.reserve(rows->size());
  for (const auto& row : *rows) {
    StagedChange change;
    auto kind = parseRecordKind(row.text(0));
    auto what = parseRecordChange(row.text(2));
    if (!kind || !what) {
      return fail(ErrorCode::kInternal,
                  fmt::format("staged change {} of feed \"{}\" has kind \"{}\" and change \"{}\"",
                              row.text(1), name, row.text(0), row.text(2)));
    }
    change.kind = *kind;
    change.record_id = row.text(1);
    change.change = *what;
    change.content_hash = row.text(3);
    change.body = row.text(4);
    changes.push_back(std::move(change));
  }
  return changes;
}

}  // namespace pk::store
