#pragma once

// Tickets: change requests that the security team approves or refuses
// (moving a server to another maintenance window, granting report access),
// and their comments. The rules of who may file, decide and see a ticket
// live in the server (server/tickets.h); this layer stores what it is given.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

inline constexpr std::string_view kTicketStatusOpen = "open";
inline constexpr std::string_view kTicketStatusApproved = "approved";
inline constexpr std::string_view kTicketStatusRefused = "refused";
inline constexpr std::string_view kTicketStatusApplied = "applied";
// An approved move replaced or cancelled by a later decision before it took
// effect.
inline constexpr std::string_view kTicketStatusSuperseded = "superseded";

struct TicketRecord {
  std::int64_t id = 0;  // assigned by insertTicket()
  std::string type;     // "move_server_window", "report_access", ...
  std::string status = std::string(kTicketStatusOpen);
  std::string requester;                   // the username that filed it
  std::vector<std::string> subject_hosts;  // host ids, possibly none
  std::string requested_change_json;       // a JSON object, by type
  std::string justification;
  std::string assignee_group = "security";
  std::optional<std::string> external_reference;  // a help-desk system's own id
  std::optional<std::string> decided_by;          // the admin who approved or refused
  std::optional<SystemTime> decided_at;
  // When an approved change takes or took effect, and when it did.
  std::optional<SystemTime> effective_at;
  std::optional<SystemTime> applied_at;
  SystemTime created_at{};
  SystemTime updated_at{};
};

struct TicketComment {
  std::int64_t id = 0;  // assigned by addTicketComment()
  std::int64_t ticket_id = 0;
  std::string author;            // a username
  std::string kind = "comment";  // "comment", "approval" or "refusal"
  std::string body;
  SystemTime created_at{};
};

struct TicketFilter {
  std::optional<std::string> status;
  std::optional<std::string> type;
  std::optional<std::string> requester;
  std::size_t limit = 500;
};

// Inserts `ticket` (its id is ignored) and returns the new id. Fails with
// kInvalidArgument for an unknown status.
Result<std::int64_t> insertTicket(Session& session, const TicketRecord& ticket);

// Returns ticket `id`, or nullopt.
Result<std::optional<TicketRecord>> getTicket(Session& session, std::int64_t id);

// Returns the tickets matching every field set in `filter`, newest first,
// at most `filter.limit` of them.
Result<std::vector<TicketRecord>> listTickets(Session& session, const TicketFilter& filter);

// Writes every field of `ticket` except id, type, requester and created_at
// over the stored ticket. Fails with kNotFound for an unknown id.
Result<void> updateTicket(Session& session, const TicketRecord& ticket);

// Appends `comment` (its id is ignored) and returns the new id. Fails with
// kInvalidArgument when the ticket does not exist.
Result<std::int64_t> addTicketComment(Session& session, const TicketComment& comment);

// Returns the comments of ticket `ticket_id`, oldest first.
Result<std::vector<TicketComment>> listTicketComments(Session& session, std::int64_t ticket_id);

}  // namespace pk::store
