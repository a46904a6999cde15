// Feeds arbitrary bytes, as a request body, to the parsers of new tickets
// and of comments, approvals and refusals, as the ticket routes and a
// help-desk system's inbound calls use them. Checks what they accept: a
// known type, a non-empty justification within its limit, one subject host
// for a move or a risk acceptance and none for report access, and comments
// within their limit.
// A violated property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/tickets.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

void checkTicket(const nlohmann::json& body) {
  auto parsed = pk::server::parseNewTicket(body);
  if (const auto* rejection = std::get_if<pk::server::TicketRejection>(&parsed)) {
    require(rejection->status >= 400 && rejection->status < 500);
    require(!rejection->message.empty());
    return;
  }
  const auto& ticket = std::get<pk::server::NewTicket>(parsed);
  require(!ticket.justification.empty());
  require(ticket.justification.size() <= pk::server::kMaxJustificationBytes);
  if (ticket.type == pk::server::kTicketTypeMoveServerWindow) {
    require(ticket.subject_hosts.size() == 1);
    require(ticket.requested_change["window"].is_string());
  } else if (ticket.type == pk::server::kTicketTypeAcceptRisk) {
    require(ticket.subject_hosts.size() == 1);
    require(ticket.requested_change["advisory"].is_string());
    require(ticket.requested_change["expires_at"].is_string());
  } else {
    require(ticket.type == pk::server::kTicketTypeReportAccess);
    require(ticket.subject_hosts.empty());
  }
  if (ticket.external_reference) {
    require(!ticket.external_reference->empty());
    require(ticket.external_reference->size() <= pk::server::kMaxExternalReferenceBytes);
  }
}

void checkComment(const nlohmann::json& body, bool required, bool allow_reference) {
  auto parsed = pk::server::parseCommentBody(body, required, allow_reference);
  if (std::holds_alternative<pk::server::TicketRejection>(parsed)) return;
  const auto& comment = std::get<pk::server::CommentBody>(parsed);
  require(comment.comment.size() <= pk::server::kMaxCommentBytes);
  if (required) require(!comment.comment.empty());
  if (!allow_reference) require(!comment.external_reference.has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  checkTicket(body);
  checkComment(body, true, false);
  checkComment(body, false, true);
  return 0;
}
