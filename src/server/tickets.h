#pragma once

// The rules of tickets: change requests assigned to the security team.
//
// A ticket has a type, which fixes its subject hosts and requested change:
//   - "move_server_window": one subject host, a server, and
//     {"window": "<window id>"}. Filed by the server's owner, an operator,
//     an admin or the help-desk role. An owner files only for hosts it
//     owns, and another's host is "not found", as in host routes. Approval
//     calls scheduleWindowMove() in the same transaction; the ticket is
//     "applied" when the move takes effect, at once or when
//     applyDueWindowMoves() folds it after the server's open window closes.
//   - "report_access": no subject host, {"role": "viewer"}. Filed by a user
//     without read_reports; approval grants that user the viewer role at
//     once, so the ticket goes straight to "applied".
//   - "accept_risk": one subject host and {"advisory": "<advisory id>",
//     "expires_at": "<RFC 3339 UTC>"}: a risk acceptance for the host's open
//     findings of that advisory id. Filed like a move, for any host kind;
//     the host needs an open finding with exactly that advisory id, and the
//     expiry must be in the future and at most 365 days away. Approval
//     stores a risk exception (store/patch_repository.h) and the ticket goes
//     straight to "applied"; until the expiry, those findings do not count
//     against the host's compliance.
// A new type adds a TicketType entry in tickets.cpp with its parser and its
// approval action.
//
// Status: open -> approved -> applied, or open -> refused. An approved move
// whose pending move is replaced or cancelled before it takes effect (a
// later ticket or an administrator moved the server again, or the server
// became an endpoint) goes from approved to "superseded". Only a holder of
// decide_requests (admin) approves or refuses, never on a ticket they filed,
// and a refusal needs a comment. Every step appends an audit event
// ("ticket.create", "ticket.comment", "ticket.approve", "ticket.refuse",
// "ticket.apply", "ticket.supersede", "ticket.link") and enqueues the
// matching webhook event ("ticket.created", "ticket.commented",
// "ticket.approved", "ticket.refused", "ticket.applied",
// "ticket.superseded") in the caller's transaction.
//
// Who sees a ticket: its requester, and holders of decide_requests or
// link_requests. Anyone else gets 404, as for a ticket that does not exist.
//
// Every function taking a Session runs inside the caller's write
// transaction, sends nothing outside the database, and is safe to run
// again in a fresh transaction.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "server/principal.h"
#include "server/window_assignment.h"
#include "store/database.h"
#include "store/ticket_repository.h"

namespace pk::server {

inline constexpr std::string_view kTicketTypeMoveServerWindow = "move_server_window";
inline constexpr std::string_view kTicketTypeReportAccess = "report_access";
inline constexpr std::string_view kTicketTypeAcceptRisk = "accept_risk";

// The longest a risk acceptance may last, from the time it is filed.
inline constexpr std::chrono::days kMaxRiskAcceptance{365};

// Webhook event names, as subscriptions list them.
inline constexpr std::string_view kTicketEventCreated = "ticket.created";
inline constexpr std::string_view kTicketEventCommented = "ticket.commented";
inline constexpr std::string_view kTicketEventApproved = "ticket.approved";
inline constexpr std::string_view kTicketEventRefused = "ticket.refused";
inline constexpr std::string_view kTicketEventApplied = "ticket.applied";
inline constexpr std::string_view kTicketEventSuperseded = "ticket.superseded";
const std::vector<std::string>& ticketEventNames();

// Limits on text a client sends.
inline constexpr std::size_t kMaxJustificationBytes = 8192;
inline constexpr std::size_t kMaxCommentBytes = 8192;
inline constexpr std::size_t kMaxExternalReferenceBytes = 200;
inline constexpr std::size_t kMaxAdvisoryIdBytes = 200;

// A request the rules turn down: the HTTP status, a stable code and a
// message for people, as errorResponse() sends them.
struct TicketRejection {
  int status = 400;
  std::string code;
  std::string message;
};

template <typename T>
using TicketOutcome = std::variant<T, TicketRejection>;

// A ticket as a client files it, checked for shape but not yet against
// the store.
struct NewTicket {
  std::string type;
  std::vector<std::string> subject_hosts;
  nlohmann::json requested_change = nlohmann::json::object();
  std::string justification;
  std::optional<std::string> external_reference;
};

// The acting principal and its remote address, for audit events.
struct TicketActor {
  const Principal& principal;
  std::string remote_address;
};

// Parses the body of POST /api/v1/tickets:
//   {"type": "move_server_window", "host": "h-...", "window": "w-...",
//    "justification": "...", "external_reference": "..."?}
//   {"type": "report_access", "justification": "..."}
//   {"type": "accept_risk", "host": "h-...", "advisory": "DSA-5678-1",
//    "expires_at": "2027-06-30T00:00:00Z", "justification": "..."}
// Rejects (400) unknown fields, wrong types, an unknown type, a missing or
// empty justification, and text over the limits above. Pure; fuzzed.
TicketOutcome<NewTicket> parseNewTicket(const nlohmann::json& body);

// Parses the body of a comment, approval or refusal: {"comment": "..."}
// plus, when `allow_external_reference`, an optional "external_reference".
// `required` makes an empty or missing comment a 400. Returns the comment
// ("" when absent) and the reference. Pure; fuzzed.
struct CommentBody {
  std::string comment;
  std::optional<std::string> external_reference;
};
TicketOutcome<CommentBody> parseCommentBody(const nlohmann::json& body, bool required,
                                            bool allow_external_reference);

// Files `ticket` for `actor`: checks the subject host (exists, visible to
// the actor, a server, not revoked) and the window (exists) for a move,
// or that the actor lacks read_reports for report access. Returns the
// stored ticket, or a rejection: 404 for a host the actor cannot see, 409
// for an endpoint or revoked host, a missing window or a user who already
// reads reports, 403 when a reference is set without link_requests. A risk
// acceptance gets 409 when the host has no open finding of the advisory
// and 400 when the expiry is past or more than kMaxRiskAcceptance away.
Result<TicketOutcome<store::TicketRecord>> fileTicket(store::Session& session,
                                                      const TicketActor& actor,
                                                      const NewTicket& ticket, SystemTime now);

// Returns ticket `id` if `principal` may see it; a 404 rejection otherwise.
Result<TicketOutcome<store::TicketRecord>> findVisibleTicket(store::Session& session,
                                                             const Principal& principal,
                                                             std::int64_t id);

// Adds a comment (and, for holders of link_requests, sets the external
// reference) on a ticket the actor can see. Returns the updated ticket.
Result<TicketOutcome<store::TicketRecord>> commentOnTicket(store::Session& session,
                                                           const TicketActor& actor,
                                                           std::int64_t id, const CommentBody& body,
                                                           SystemTime now);

// Sets the external reference of a ticket (link_requests). Audited as
// "ticket.link"; no webhook event, because the help-desk sets it itself.
Result<TicketOutcome<store::TicketRecord>> linkTicket(store::Session& session,
                                                      const TicketActor& actor, std::int64_t id,
                                                      const std::string& external_reference,
                                                      SystemTime now);

// Approves (`approve`) or refuses an open ticket. Rejects with 403 when the
// actor lacks decide_requests or filed the ticket, and with 400 for a
// refusal without a comment. Rejects with 409 when the ticket is not open,
// or when the approval can no longer be carried out because the window or
// the host went away or the host became an endpoint. On approval, runs the
// type's action in this transaction.
Result<TicketOutcome<store::TicketRecord>> decideTicket(store::Session& session,
                                                        const TicketActor& actor, std::int64_t id,
                                                        bool approve, const std::string& comment,
                                                        SystemTime now);

// Marks "applied" each approved ticket named by a move that took effect,
// auditing it with actor "system" and enqueuing "ticket.applied". Moves
// without a ticket id, or naming a ticket that is not approved, are
// skipped. Returns the ids of the tickets it applied.
Result<std::vector<std::int64_t>> applyTicketsOfMoves(store::Session& session,
                                                      const std::vector<WindowMove>& moves,
                                                      SystemTime now);

// Settles the tickets that a window move touched besides its own: applies
// the ticket of a due move applied first and marks "superseded" the
// ticket of a pending move that was replaced or cancelled, auditing the
// latter with `actor` ("user:alice"). Call it in the transaction that ran
// scheduleWindowMove or releaseWindowOfHost.
Result<void> settleTicketsOfMove(store::Session& session, const WindowMoveResult& result,
                                 const std::string& actor, SystemTime now);

// Sets the effective time of each approved ticket named by a pending move
// whose effective time changed (see reschedulePendingMovesOutOf), and
// audits it as "ticket.reschedule" with `actor`.
Result<void> rescheduleTicketsOfMoves(store::Session& session, const std::vector<WindowMove>& moves,
                                      const std::string& actor, SystemTime now);

// The ticket as the API, the audit log and webhooks show it. Comments are
// included when given.
nlohmann::json ticketToJson(const store::TicketRecord& ticket);
nlohmann::json ticketToJson(const store::TicketRecord& ticket,
                            const std::vector<store::TicketComment>& comments);

}  // namespace pk::server
