#include "store/restart_repository.h"

namespace pk::store {
namespace {

Value timeValue(const std::optional<SystemTime>& time) {
  if (!time) return std::monostate{};
  return time->time_since_epoch().count();
}

Value integerValue(const std::optional<std::int64_t>& number) {
  if (!number) return std::monostate{};
  return *number;
}

std::optional<SystemTime> timeAt(const Row& row, std::size_t column) {
  auto micros = row.optionalInteger(column);
  if (!micros) return std::nullopt;
  return SystemTime(Elapsed(*micros));
}

std::string joinList(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
  return text;
}

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

}  // namespace

Result<void> saveRestartState(Session& session, const RestartStateRecord& record) {
  return session.execute(
      "INSERT INTO host_restart_states (host_id, pending, required_since, deadline, restart_at, "
      "countdown_start, next_reminder, in_countdown, restarted_at, job_ids, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host_id) DO UPDATE SET "
      "pending = excluded.pending, required_since = excluded.required_since, "
      "deadline = excluded.deadline, restart_at = excluded.restart_at, "
      "countdown_start = excluded.countdown_start, next_reminder = excluded.next_reminder, "
      "in_countdown = excluded.in_countdown, restarted_at = excluded.restarted_at, "
      "job_ids = excluded.job_ids, updated_at = excluded.updated_at",
      {record.host_id, std::int64_t{record.pending ? 1 : 0}, timeValue(record.required_since),
       timeValue(record.deadline), timeValue(record.restart_at), timeValue(record.countdown_start),
       timeValue(record.next_reminder), std::int64_t{record.in_countdown ? 1 : 0},
       timeValue(record.restarted_at), joinList(record.job_ids),
       record.updated_at.time_since_epoch().count()});
}

Result<std::optional<RestartStateRecord>> loadRestartState(Session& session,
                                                           const std::string& host_id) {
  auto row = session.queryOne(
      "SELECT pending, required_since, deadline, restart_at, countdown_start, next_reminder, "
      "in_countdown, restarted_at, job_ids, updated_at FROM host_restart_states WHERE host_id = ?",
      {host_id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<RestartStateRecord>{};

  const Row& found = **row;
  RestartStateRecord record;
  record.host_id = host_id;
  record.pending = found.boolean(0);
  record.required_since = timeAt(found, 1);
  record.deadline = timeAt(found, 2);
  record.restart_at = timeAt(found, 3);
  record.countdown_start = timeAt(found, 4);
  record.next_reminder = timeAt(found, 5);
  record.in_countdown = found.boolean(6);
  record.restarted_at = timeAt(found, 7);
  record.job_ids = splitList(found.text(8));
  record.updated_at = SystemTime(Elapsed(found.integer(9)));
  return std::optional<RestartStateRecord>{std::move(record)};
}

Result<bool> insertRestartEvent(Session& session, const RestartEventRecord& event) {
  auto inserted = session.execute(
      "INSERT INTO host_restart_events (host_id, event_id, at, type, notice, offered, restart_at, "
      "choice, user_name, snooze_seconds, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (host_id, event_id) DO NOTHING",
      {event.host_id, event.event_id, event.at.time_since_epoch().count(), event.type, event.notice,
       joinList(event.offered), timeValue(event.restart_at), event.choice, event.user,
       integerValue(event.snooze_seconds), event.received_at.time_since_epoch().count()});
  if (!inserted) return tl::unexpected(inserted.error());
  return session.changedRows() > 0;
}

Result<void> markRestartRequired(Session& session, const std::string& host_id,
                                 const std::string& reason) {
  return session.execute(
      "UPDATE hosts SET restart_required = 1, restart_reason = ? "
      "WHERE id = ? AND restart_required = 0",
      {reason, host_id});
}

Result<std::vector<RestartEventRecord>> listRestartEvents(Session& session,
                                                          const std::string& host_id,
                                                          std::optional<SystemTime> since,
                                                          std::int64_t limit) {
  const std::int64_t from = since ? since->time_since_epoch().count() : INT64_MIN;
  auto rows = session.query(
      "SELECT event_id, at, type, notice, offered, restart_at, choice, user_name, snooze_seconds, "
      "received_at FROM host_restart_events WHERE host_id = ? AND at >= ? "
      // Within one series the ids differ only in their sequence number, so
      // the shorter id comes first: "-9" before "-10".
      "ORDER BY at, LENGTH(event_id), event_id LIMIT ?",
      {host_id, from, limit});
  if (!rows) return tl::unexpected(rows.error());

  std::vector<RestartEventRecord> events;
  for (const Row& row : *rows) {
    events.push_back({.host_id = host_id,
                      .event_id = row.text(0),
                      .at = SystemTime(Elapsed(row.integer(1))),
                      .type = row.text(2),
                      .notice = row.text(3),
                      .offered = splitList(row.text(4)),
                      .restart_at = timeAt(row, 5),
                      .choice = row.text(6),
                      .user = row.text(7),
                      .snooze_seconds = row.optionalInteger(8),
                      .received_at = SystemTime(Elapsed(row.integer(9)))});
  }
  return events;
}

}  // namespace pk::store
