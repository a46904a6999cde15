#include "store/window_repository.h"

#include <fmt/format.h>

#include "store/host_repository.h"

namespace pk::store {
namespace {

Value optionalTime(const std::optional<SystemTime>& time) {
  if (!time) return std::monostate{};
  return timeToColumn(*time);
}

Value optionalText(const std::optional<std::string>& text) {
  if (!text) return std::monostate{};
  return *text;
}

std::optional<SystemTime> optionalTimeAt(const Row& row, std::size_t column) {
  const auto micros = row.optionalInteger(column);
  if (!micros) return std::nullopt;
  return timeFromColumn(*micros);
}

// Exclusion dates and local date-times hold only digits, '-', ':' and 'T',
// so a comma separates list items and a slash the two ends of a blackout.
std::string joinComma(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) joined += ',';
    joined += item;
  }
  return joined;
}

std::vector<std::string> splitComma(const std::string& text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) items.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

std::string joinBlackouts(const std::vector<std::pair<std::string, std::string>>& blackouts) {
  std::vector<std::string> items;
  items.reserve(blackouts.size());
  for (const auto& [start, end] : blackouts) items.push_back(start + "/" + end);
  return joinComma(items);
}

std::vector<std::pair<std::string, std::string>> splitBlackouts(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> blackouts;
  for (const auto& item : splitComma(text)) {
    const auto slash = item.find('/');
    if (slash == std::string::npos) {
      blackouts.emplace_back(item, "");
    } else {
      blackouts.emplace_back(item.substr(0, slash), item.substr(slash + 1));
    }
  }
  return blackouts;
}

constexpr std::string_view kSelectWindow =
    "SELECT id, name, description, rrule, start_local, zone, length_seconds, offset_days, "
    "exclusions, blackouts, created_at, updated_at FROM maintenance_windows";

WindowRecord rowToWindow(const Row& row) {
  WindowRecord window;
  window.id = row.text(0);
  window.name = row.text(1);
  window.description = row.text(2);
  window.rrule = row.text(3);
  window.start_local = row.text(4);
  window.zone = row.text(5);
  window.length_seconds = row.integer(6);
  window.offset_days = row.integer(7);
  window.exclusions = splitComma(row.text(8));
  window.blackouts = splitBlackouts(row.text(9));
  window.created_at = timeFromColumn(row.integer(10));
  window.updated_at = timeFromColumn(row.integer(11));
  return window;
}

constexpr std::string_view kSelectHostWindow =
    "SELECT host_id, window_id, assigned_at, pending_effective_at, pending_window_id, "
    "pending_ticket_id, pending_actor, pending_remote_address FROM host_windows";

HostWindowRecord rowToHostWindow(const Row& row) {
  HostWindowRecord record;
  record.host_id = row.text(0);
  record.window_id = row.optionalText(1);
  record.assigned_at = timeFromColumn(row.integer(2));
  record.pending_effective_at = optionalTimeAt(row, 3);
  record.pending_window_id = row.optionalText(4);
  record.pending_ticket_id = row.optionalText(5);
  record.pending_actor = row.text(6);
  record.pending_remote_address = row.text(7);
  return record;
}

Result<std::vector<HostWindowRecord>> queryHostWindows(Session& session, std::string_view sql,
                                                       const std::vector<Value>& params) {
  auto rows = session.query(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<HostWindowRecord> records;
  records.reserve(rows->size());
  for (const auto& row : *rows) records.push_back(rowToHostWindow(row));
  return records;
}

}  // namespace

std::string newWindowId() {
  // Same random source and shape as host ids, with the window prefix.
  return "w-" + newHostId().substr(2);
}

Result<std::optional<WindowRecord>> getWindow(Session& session, const std::string& id) {
  auto row = session.queryOne(fmt::format("{} WHERE id = ?", kSelectWindow), {id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<WindowRecord>();
  return std::optional<WindowRecord>(rowToWindow(**row));
}

Result<std::vector<WindowRecord>> listWindows(Session& session) {
  auto rows = session.query(fmt::format("{} ORDER BY name, id", kSelectWindow));
  if (!rows) return tl::unexpected(rows.error());
  std::vector<WindowRecord> windows;
  windows.reserve(rows->size());
  for (const auto& row : *rows) windows.push_back(rowToWindow(row));
  return windows;
}

Result<void> insertWindow(Session& session, const WindowRecord& window) {
  return session.execute(
      "INSERT INTO maintenance_windows (id, name, description, rrule, start_local, zone, "
      "length_seconds, offset_days, exclusions, blackouts, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {window.id, window.name, window.description, window.rrule, window.start_local, window.zone,
       window.length_seconds, window.offset_days, joinComma(window.exclusions),
       joinBlackouts(window.blackouts), timeToColumn(window.created_at),
       timeToColumn(window.updated_at)});
}

Result<void> updateWindow(Session& session, const WindowRecord& window) {
  auto updated = session.execute(
      "UPDATE maintenance_windows SET name = ?, description = ?, rrule = ?, start_local = ?, "
      "zone = ?, length_seconds = ?, offset_days = ?, exclusions = ?, blackouts = ?, "
      "updated_at = ? WHERE id = ?",
      {window.name, window.description, window.rrule, window.start_local, window.zone,
       window.length_seconds, window.offset_days, joinComma(window.exclusions),
       joinBlackouts(window.blackouts), timeToColumn(window.updated_at), window.id});
  if (!updated) return updated;
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("no maintenance window has id {}", window.id));
  }
  return {};
}

Result<bool> deleteWindow(Session& session, const std::string& id) {
  auto deleted = session.execute("DELETE FROM maintenance_windows WHERE id = ?", {id});
  if (!deleted) return tl::unexpected(deleted.error());
  return session.changedRows() > 0;
}

Result<std::int64_t> countHostsOfWindow(Session& session, const std::string& id) {
  auto row = session.queryOne(
      "SELECT COUNT(*) FROM host_windows WHERE window_id = ? OR pending_window_id = ?", {id, id});
  if (!row) return tl::unexpected(row.error());
  return *row ? (*row)->integer(0) : 0;
}

Result<std::optional<HostWindowRecord>> getHostWindow(Session& session,
                                                      const std::string& host_id) {
  auto row = session.queryOne(fmt::format("{} WHERE host_id = ?", kSelectHostWindow), {host_id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<HostWindowRecord>();
  return std::optional<HostWindowRecord>(rowToHostWindow(**row));
}

Result<std::vector<HostWindowRecord>> listHostWindows(Session& session) {
  return queryHostWindows(session, fmt::format("{} ORDER BY host_id", kSelectHostWindow), {});
}

Result<std::vector<HostWindowRecord>> listDueWindowMoves(Session& session, SystemTime now) {
  return queryHostWindows(
      session,
      fmt::format("{} WHERE pending_effective_at IS NOT NULL AND pending_effective_at <= ? "
                  "ORDER BY host_id",
                  kSelectHostWindow),
      {timeToColumn(now)});
}

Result<void> putHostWindow(Session& session, const HostWindowRecord& record) {
  return session.execute(
      "INSERT INTO host_windows (host_id, window_id, assigned_at, pending_effective_at, "
      "pending_window_id, pending_ticket_id, pending_actor, pending_remote_address) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (host_id) DO UPDATE SET window_id = excluded.window_id, "
      "assigned_at = excluded.assigned_at, pending_effective_at = excluded.pending_effective_at, "
      "pending_window_id = excluded.pending_window_id, "
      "pending_ticket_id = excluded.pending_ticket_id, pending_actor = excluded.pending_actor, "
      "pending_remote_address = excluded.pending_remote_address",
      {record.host_id, optionalText(record.window_id), timeToColumn(record.assigned_at),
       optionalTime(record.pending_effective_at), optionalText(record.pending_window_id),
       optionalText(record.pending_ticket_id), record.pending_actor,
       record.pending_remote_address});
}

}  // namespace pk::store
