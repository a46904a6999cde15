#include "store/ticket_repository.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pk::store {
namespace {

constexpr std::string_view kTicketColumns =
    "id, type, status, requester, subject_hosts, requested_change, justification, "
    "assignee_group, external_reference, decided_by, decided_at, effective_at, applied_at, "
    "created_at, updated_at";

Value optionalTextValue(const std::optional<std::string>& text) {
  return text ? Value(*text) : Value();
}

Value optionalTimeValue(const std::optional<SystemTime>& time) {
  return time ? Value(timeToColumn(*time)) : Value();
}

std::optional<SystemTime> optionalTime(const Row& row, std::size_t column) {
  const auto value = row.optionalInteger(column);
  if (!value) return std::nullopt;
  return timeFromColumn(*value);
}

std::string hostsToJson(const std::vector<std::string>& hosts) {
  return nlohmann::json(hosts).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The stored array was written by hostsToJson(); anything else (a row
// edited by hand) reads as no hosts rather than failing every listing.
std::vector<std::string> hostsFromJson(const std::string& text) {
  std::vector<std::string> hosts;
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (!json.is_array()) return hosts;
  for (const auto& item : json) {
    if (item.is_string()) hosts.push_back(item.get<std::string>());
  }
  return hosts;
}

bool isKnownStatus(std::string_view status) {
  return status == kTicketStatusOpen || status == kTicketStatusApproved ||
         status == kTicketStatusRefused || status == kTicketStatusApplied ||
         status == kTicketStatusSuperseded;
}

Result<void> checkStatus(const TicketRecord& ticket) {
  if (isKnownStatus(ticket.status)) return {};
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("unknown ticket status \"{}\"; use open, approved, refused or applied",
                          ticket.status));
}

TicketRecord ticketFromRow(const Row& row) {
  TicketRecord ticket;
  ticket.id = row.integer(0);
  ticket.type = row.text(1);
  ticket.status = row.text(2);
  ticket.requester = row.text(3);
  ticket.subject_hosts = hostsFromJson(row.text(4));
  ticket.requested_change_json = row.text(5);
  ticket.justification = row.text(6);
  ticket.assignee_group = row.text(7);
  ticket.external_reference = row.optionalText(8);
  ticket.decided_by = row.optionalText(9);
  ticket.decided_at = optionalTime(row, 10);
  ticket.effective_at = optionalTime(row, 11);
  ticket.applied_at = optionalTime(row, 12);
  ticket.created_at = timeFromColumn(row.integer(13));
  ticket.updated_at = timeFromColumn(row.integer(14));
  return ticket;
}

}  // namespace

Result<std::int64_t> insertTicket(Session& session, const TicketRecord& ticket) {
  if (auto checked = checkStatus(ticket); !checked) return tl::unexpected(checked.error());
  return session.insertReturningId(
      "INSERT INTO tickets (type, status, requester, subject_hosts, requested_change, "
      "justification, assignee_group, external_reference, decided_by, decided_at, effective_at, "
      "applied_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {ticket.type, ticket.status, ticket.requester, hostsToJson(ticket.subject_hosts),
       ticket.requested_change_json, ticket.justification, ticket.assignee_group,
       optionalTextValue(ticket.external_reference), optionalTextValue(ticket.decided_by),
       optionalTimeValue(ticket.decided_at), optionalTimeValue(ticket.effective_at),
       optionalTimeValue(ticket.applied_at), timeToColumn(ticket.created_at),
       timeToColumn(ticket.updated_at)});
}

Result<std::optional<TicketRecord>> getTicket(Session& session, std::int64_t id) {
  auto row =
      session.queryOne(fmt::format("SELECT {} FROM tickets WHERE id = ?", kTicketColumns), {id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<TicketRecord>();
  return std::optional<TicketRecord>(ticketFromRow(**row));
}

Result<std::vector<TicketRecord>> listTickets(Session& session, const TicketFilter& filter) {
  std::string sql = fmt::format("SELECT {} FROM tickets WHERE 1 = 1", kTicketColumns);
  std::vector<Value> params;
  if (filter.status) {
    sql += " AND status = ?";
    params.emplace_back(*filter.status);
  }
  if (filter.type) {
    sql += " AND type = ?";
    params.emplace_back(*filter.type);
  }
  if (filter.requester) {
    sql += " AND requester = ?";
    params.emplace_back(*filter.requester);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  const auto max_limit = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  params.emplace_back(static_cast<std::int64_t>(std::min(filter.limit, max_limit)));

  auto rows = session.query(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<TicketRecord> tickets;
  tickets.reserve(rows->size());
  for (const Row& row : *rows) tickets.push_back(ticketFromRow(row));
  return tickets;
}

Result<void> updateTicket(Session& session, const TicketRecord& ticket) {
  if (auto checked = checkStatus(ticket); !checked) return checked;
  auto updated = session.execute(
      "UPDATE tickets SET status = ?, subject_hosts = ?, requested_change = ?, justification = ?, "
      "assignee_group = ?, external_reference = ?, decided_by = ?, decided_at = ?, "
      "effective_at = ?, applied_at = ?, updated_at = ? WHERE id = ?",
      {ticket.status, hostsToJson(ticket.subject_hosts), ticket.requested_change_json,
       ticket.justification, ticket.assignee_group, optionalTextValue(ticket.external_reference),
       optionalTextValue(ticket.decided_by), optionalTimeValue(ticket.decided_at),
       optionalTimeValue(ticket.effective_at), optionalTimeValue(ticket.applied_at),
       timeToColumn(ticket.updated_at), ticket.id});
  if (!updated) return updated;
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("no ticket has id {}", ticket.id));
  }
  return {};
}

Result<std::int64_t> addTicketComment(Session& session, const TicketComment& comment) {
  return session.insertReturningId(
      "INSERT INTO ticket_comments (ticket_id, author, kind, body, created_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {comment.ticket_id, comment.author, comment.kind, comment.body,
       timeToColumn(comment.created_at)});
}

Result<std::vector<TicketComment>> listTicketComments(Session& session, std::int64_t ticket_id) {
  auto rows = session.query(
      "SELECT id, ticket_id, author, kind, body, created_at FROM ticket_comments "
      "WHERE ticket_id = ? ORDER BY id",
      {ticket_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<TicketComment> comments;
  comments.reserve(rows->size());
  for (const Row& row : *rows) {
    TicketComment comment;
    comment.id = row.integer(0);
    comment.ticket_id = row.integer(1);
    comment.author = row.text(2);
    comment.kind = row.text(3);
    comment.body = row.text(4);
    comment.created_at = timeFromColumn(row.integer(5));
    comments.push_back(std::move(comment));
  }
  return comments;
}

}  // namespace pk::store
