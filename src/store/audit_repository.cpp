#include "store/audit_repository.h"

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace pk::store {
namespace {

constexpr std::string_view kAuditColumns =
    "id, at, actor, action, object_type, object_id, before_json, after_json, remote_address";

AuditEvent eventFromRow(const Row& row) {
  AuditEvent event;
  event.id = row.integer(0);
  event.at = timeFromColumn(row.integer(1));
  event.actor = row.text(2);
  event.action = row.text(3);
  event.object_type = row.text(4);
  event.object_id = row.text(5);
  event.before_json = row.text(6);
  event.after_json = row.text(7);
  event.remote_address = row.text(8);
  return event;
}

}  // namespace

Result<std::int64_t> appendAuditEvent(Session& session, const AuditEvent& event) {
  if (event.actor.empty() || event.action.empty() || event.object_type.empty()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("an audit event needs an actor, an action and an object type "
                            "(actor \"{}\", action \"{}\", object type \"{}\")",
                            event.actor, event.action, event.object_type));
  }
  return session.insertReturningId(
      "INSERT INTO audit_events (at, actor, action, object_type, object_id, before_json, "
      "after_json, remote_address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {timeToColumn(event.at), event.actor, event.action, event.object_type, event.object_id,
       event.before_json, event.after_json, event.remote_address});
}

Result<std::vector<AuditEvent>> listAuditEvents(Session& session, const AuditQuery& query) {
  // Each filter adds one condition; the distinct SQL texts stay few (one
  // per combination of filters), so the statement cache still works.
  std::string sql = fmt::format("SELECT {} FROM audit_events WHERE 1 = 1", kAuditColumns);
  std::vector<Value> params;
  if (query.since) {
    sql += " AND at >= ?";
    params.emplace_back(timeToColumn(*query.since));
  }
  if (query.after_id) {
    sql += " AND id > ?";
    params.emplace_back(*query.after_id);
  }
  if (query.before_id) {
    sql += " AND id < ?";
    params.emplace_back(*query.before_id);
  }
  if (query.actor) {
    sql += " AND actor = ?";
    params.emplace_back(*query.actor);
  }
  if (query.object_type) {
    sql += " AND object_type = ?";
    params.emplace_back(*query.object_type);
  }
  if (query.object_id) {
    sql += " AND object_id = ?";
    params.emplace_back(*query.object_id);
  }
  sql += query.newest_first ? " ORDER BY id DESC LIMIT ?" : " ORDER BY id LIMIT ?";
  const auto max_limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  params.emplace_back(static_cast<std::int64_t>(std::min(query.limit, max_limit)));

  auto rows = session.query(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<AuditEvent> events;
  events.reserve(rows->size());
  for (const Row& row : *rows) events.push_back(eventFromRow(row));
  return events;
}

}  // namespace pk::store
