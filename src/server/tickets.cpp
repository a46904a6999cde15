#include "server/tickets.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "store/audit_repository.h"
#include "store/finding_repository.h"
#include "store/host_repository.h"
#include "store/patch_repository.h"
#include "store/user_repository.h"
#include "store/webhook_repository.h"
#include "store/window_repository.h"

namespace pk::server {
namespace {

using json = nlohmann::json;

TicketRejection rejection(int status, std::string code, std::string message) {
  return TicketRejection{status, std::move(code), std::move(message)};
}

TicketRejection invalidField(std::string_view field, std::string_view problem) {
  return rejection(400, "invalid_field", fmt::format("Field \"{}\": {}", field, problem));
}

bool matchesId(const std::string& text, char prefix) {
  if (text.size() != 18 || text[0] != prefix || text[1] != '-') return false;
  return std::all_of(text.begin() + 2, text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Text a person typed: no NUL (PostgreSQL cannot store it) and within
// `limit` bytes.
std::optional<TicketRejection> checkText(std::string_view field, const std::string& text,
                                         std::size_t limit) {
  if (text.size() > limit) {
    return invalidField(field, fmt::format("at most {} bytes are allowed.", limit));
  }
  if (text.find('\0') != std::string::npos) {
    return invalidField(field, "a NUL character is not allowed.");
  }
  return std::nullopt;
}

std::variant<std::optional<std::string>, TicketRejection> readExternalReference(const json& body) {
  const auto found = body.find("external_reference");
  if (found == body.end() || found->is_null()) return std::optional<std::string>();
  if (!found->is_string() || found->get_ref<const std::string&>().empty()) {
    return invalidField("external_reference", "expected a non-empty string, or null.");
  }
  const std::string reference = found->get<std::string>();
  if (auto problem = checkText("external_reference", reference, kMaxExternalReferenceBytes)) {
    return *problem;
  }
  return std::optional<std::string>(reference);
}

std::string actorName(const TicketActor& actor) {
  return "user:" + actor.principal.username;
}

bool canSeeEveryTicket(const Principal& principal) {
  return principal.has(Permission::kDecideRequests) || principal.has(Permission::kLinkRequests);
}

nlohmann::json optionalTime(const std::optional<SystemTime>& time) {
  return time ? json(formatRfc3339(*time)) : json();
}

Result<void> audit(store::Session& session, const TicketActor* actor, SystemTime now,
                   std::string action, const std::string& object_type, const std::string& object_id,
                   const json& before, const json& after) {
  store::AuditEvent event;
  event.at = now;
  event.actor = actor ? actorName(*actor) : std::string("system");
  event.action = std::move(action);
  event.object_type = object_type;
  event.object_id = object_id;
  event.before_json = before.is_null() ? "" : before.dump();
  event.after_json = after.is_null() ? "" : after.dump();
  event.remote_address = actor ? actor->remote_address : std::string();
  auto appended = store::appendAuditEvent(session, event);
  if (!appended) return tl::unexpected(appended.error());
  return {};
}

Result<void> enqueueEvent(store::Session& session, std::string_view event, const std::string& actor,
                          const store::TicketRecord& ticket,
                          const std::optional<store::TicketComment>& comment, SystemTime now) {
  json payload = {
      {"event", event},
      {"occurred_at", formatRfc3339(now)},
      {"actor", actor},
      {"ticket", ticketToJson(ticket)},
  };
  if (comment) {
    payload["comment"] = {{"author", comment->author},
                          {"kind", comment->kind},
                          {"body", comment->body},
                          {"created_at", formatRfc3339(comment->created_at)}};
  }
  auto enqueued = store::enqueueWebhookEvent(
      session, event, payload.dump(-1, ' ', false, json::error_handler_t::replace), now);
  if (!enqueued) return tl::unexpected(enqueued.error());
  return {};
}

// Stores `comment` on `ticket` and returns it with its id and time.
Result<store::TicketComment> addComment(store::Session& session, const store::TicketRecord& ticket,
                                        const std::string& author, std::string kind,
                                        const std::string& body, SystemTime now) {
  store::TicketComment comment;
  comment.ticket_id = ticket.id;
  comment.author = author;
  comment.kind = std::move(kind);
  comment.body = body;
  comment.created_at = now;
  auto id = store::addTicketComment(session, comment);
  if (!id) return tl::unexpected(id.error());
  comment.id = *id;
  return comment;
}

TicketOutcome<NewTicket> parseMoveTicket(const json& body, NewTicket ticket) {
  const auto host = body.find("host");
  if (host == body.end() || !host->is_string() ||
      !matchesId(host->get_ref<const std::string&>(), 'h')) {
    return invalidField("host", "expected a host id such as \"h-0123456789abcdef\".");
  }
  const auto window = body.find("window");
  if (window == body.end() || !window->is_string() ||
      !matchesId(window->get_ref<const std::string&>(), 'w')) {
    return invalidField("window", "expected a window id such as \"w-0123456789abcdef\".");
  }
  ticket.subject_hosts = {host->get<std::string>()};
  ticket.requested_change = {{"window", window->get<std::string>()}};
  return ticket;
}

TicketOutcome<NewTicket> parseReportAccessTicket(const json& body, NewTicket ticket) {
  if (const auto role = body.find("role"); role != body.end() && *role != "viewer") {
    return invalidField("role", "only \"viewer\" can be requested.");
  }
  ticket.requested_change = {{"role", "viewer"}};
  return ticket;
}

TicketOutcome<NewTicket> parseAcceptRiskTicket(const json& body, NewTicket ticket) {
  const auto host = body.find("host");
  if (host == body.end() || !host->is_string() ||
      !matchesId(host->get_ref<const std::string&>(), 'h')) {
    return invalidField("host", "expected a host id such as \"h-0123456789abcdef\".");
  }
  const auto advisory = body.find("advisory");
  if (advisory == body.end() || !advisory->is_string() ||
      advisory->get_ref<const std::string&>().empty()) {
    return invalidField("advisory", "expected the advisory id of the host's finding.");
  }
  const std::string advisory_id = advisory->get<std::string>();
  if (auto problem = checkText("advisory", advisory_id, kMaxAdvisoryIdBytes)) return *problem;

  const auto expires = body.find("expires_at");
  std::optional<SystemTime> expires_at;
  if (expires != body.end() && expires->is_string()) {
    expires_at = parseRfc3339(expires->get_ref<const std::string&>());
  }
  if (!expires_at) {
    return invalidField("expires_at",
                        "expected an RFC 3339 time such as \"2027-06-30T00:00:00Z\".");
  }
  ticket.subject_hosts = {host->get<std::string>()};
  ticket.requested_change = {{"advisory", advisory_id}, {"expires_at", formatRfc3339(*expires_at)}};
  return ticket;
}

// The fields each type accepts, besides type, justification and
// external_reference.
std::vector<std::string_view> typeFields(std::string_view type) {
  if (type == kTicketTypeMoveServerWindow) return {"host", "window"};
  if (type == kTicketTypeAcceptRisk) return {"host", "advisory", "expires_at"};
  return {"role"};
}

// The expiry a parsed accept_risk change carries, or nullopt when the
// stored change is malformed.
std::optional<SystemTime> expiryOf(const json& change) {
  if (!change.is_object() || !change.contains("expires_at") || !change["expires_at"].is_string()) {
    return std::nullopt;
  }
  return parseRfc3339(change["expires_at"].get<std::string>());
}

Result<TicketOutcome<store::TicketRecord>> checkAcceptRiskTicket(store::Session& session,
                                                                 const TicketActor& actor,
                                                                 const NewTicket& ticket,
                                                                 SystemTime now) {
  const std::string& host_id = ticket.subject_hosts.at(0);
  auto host = store::getHost(session, host_id);
  if (!host) return tl::unexpected(host.error());
  if (!*host || (!actor.principal.seesAllHosts() && (*host)->owner != actor.principal.username)) {
    return rejection(404, "not_found",
                     fmt::format("No host has id {} among the hosts you own; a risk can be "
                                 "accepted only for your own hosts.",
                                 host_id));
  }
  if ((*host)->status != store::kHostStatusActive) {
    return rejection(409, "host_revoked", fmt::format("Host {} is revoked.", host_id));
  }

  const auto expires_at = expiryOf(ticket.requested_change);
  if (!expires_at || *expires_at <= now) {
    return invalidField("expires_at", "the expiry must lie in the future.");
  }
  if (*expires_at > now + kMaxRiskAcceptance) {
    return invalidField("expires_at",
                        fmt::format("a risk can be accepted for at most {} days; file a new "
                                    "ticket when this one expires.",
                                    kMaxRiskAcceptance.count()));
  }

  const std::string advisory_id = ticket.requested_change.at("advisory").get<std::string>();
  store::FindingQuery query;
  query.host_id = host_id;
  query.advisory = advisory_id;
  query.status = store::FindingStatus::kOpen;
  auto findings = store::listFindings(session, query);
  if (!findings) return tl::unexpected(findings.error());
  const bool has_finding = std::any_of(
      findings->begin(), findings->end(),
      [&](const store::StoredFinding& finding) { return finding.advisory_id == advisory_id; });
  if (!has_finding) {
    return rejection(409, "no_open_finding",
                     fmt::format("Host {} has no open finding with advisory id {}; use the "
                                 "advisory_id that GET /api/v1/hosts/{}/findings shows.",
                                 host_id, advisory_id, host_id));
  }
  return store::TicketRecord{};
}

Result<TicketOutcome<store::TicketRecord>> checkMoveTicket(store::Session& session,
                                                           const TicketActor& actor,
                                                           const NewTicket& ticket,
                                                           SystemTime now) {
  const std::string& host_id = ticket.subject_hosts.at(0);
  auto host = store::getHost(session, host_id);
  if (!host) return tl::unexpected(host.error());
  // Another owner's host gets the response of a host that does not exist, as the host
  // routes do, so that an owner cannot learn which host ids exist.
  if (!*host || (!actor.principal.seesAllHosts() && (*host)->owner != actor.principal.username)) {
    return rejection(404, "not_found",
                     fmt::format("No host has id {} among the hosts you own; a move ticket can "
                                 "be filed only for your own servers.",
                                 host_id));
  }
  if ((*host)->kind != store::kHostKindServer) {
    return rejection(409, "not_a_server",
                     fmt::format("Host {} is an endpoint; only servers are in maintenance "
                                 "windows.",
                                 host_id));
  }
  if ((*host)->status != store::kHostStatusActive) {
    return rejection(409, "host_revoked", fmt::format("Host {} is revoked.", host_id));
  }

  const std::string window_id = ticket.requested_change.at("window").get<std::string>();
  auto window = store::getWindow(session, window_id);
  if (!window) return tl::unexpected(window.error());
  if (!*window) {
    return rejection(409, "unknown_window",
                     fmt::format("No maintenance window has id {}; list them with GET "
                                 "/api/v1/windows.",
                                 window_id));
  }
  auto current = currentWindowOf(session, host_id, now);
  if (!current) return tl::unexpected(current.error());
  if (*current == window_id) {
    return rejection(409, "already_in_window",
                     fmt::format("Host {} is already in window {}.", host_id, window_id));
  }
  return store::TicketRecord{};
}

Result<TicketOutcome<store::TicketRecord>> checkReportAccessTicket(const TicketActor& actor) {
  if (actor.principal.has(Permission::kReadReports)) {
    return rejection(409, "already_granted",
                     "You can already read reports; there is nothing to request.");
  }
  const auto& roles = actor.principal.roles;
  if (std::find(roles.begin(), roles.end(), Role::kHelpdesk) != roles.end()) {
    return rejection(409, "not_for_integrations",
                     "A help-desk account cannot request report access for itself; the person "
                     "who needs it files the request.");
  }
  return store::TicketRecord{};
}

// Approval of a move: schedules it, and applies the ticket when the move
// took effect at once. Failures the rules foresee become 409 rejections.
Result<std::optional<TicketRejection>> approveMove(store::Session& session,
                                                   const TicketActor& actor,
                                                   store::TicketRecord& ticket, SystemTime now) {
  const json change = json::parse(ticket.requested_change_json, nullptr, false);
  if (!change.is_object() || !change.contains("window") || !change["window"].is_string() ||
      ticket.subject_hosts.size() != 1) {
    return fail(ErrorCode::kInternal,
                fmt::format("ticket {} has a malformed requested change", ticket.id));
  }
  auto move =
      scheduleWindowMove(session, ticket.subject_hosts[0], change["window"].get<std::string>(), now,
                         actorName(actor), actor.remote_address, std::to_string(ticket.id));
  if (!move) {
    if (move.error().code == ErrorCode::kNotFound ||
        move.error().code == ErrorCode::kInvalidArgument) {
      return std::optional<TicketRejection>(
          rejection(409, "cannot_apply",
                    fmt::format("The move cannot be carried out: {}. Refuse the ticket instead.",
                                move.error().message)));
    }
    return tl::unexpected(move.error());
  }
  if (auto settled = settleTicketsOfMove(session, *move, actorName(actor), now); !settled) {
    return tl::unexpected(settled.error());
  }
  ticket.effective_at = move->move.effective_at;
  if (move->move.applied_now) {
    ticket.status = std::string(store::kTicketStatusApplied);
    ticket.applied_at = now;
  }
  return std::optional<TicketRejection>();
}

// Approval of report access: grants the requester the viewer role.
Result<std::optional<TicketRejection>> approveReportAccess(store::Session& session,
                                                           const TicketActor& actor,
                                                           store::TicketRecord& ticket,
                                                           SystemTime now) {
  auto user = store::findUserByName(session, ticket.requester);
  if (!user) return tl::unexpected(user.error());
  if (!*user || (*user)->disabled) {
    return std::optional<TicketRejection>(
        rejection(409, "cannot_apply",
                  fmt::format("User {} no longer exists or is disabled; refuse the ticket instead.",
                              ticket.requester)));
  }
  store::UserRecord after = **user;
  if (std::find(after.roles.begin(), after.roles.end(), "viewer") == after.roles.end()) {
    after.roles.push_back("viewer");
    std::sort(after.roles.begin(), after.roles.end());
    after.updated_at = now;
    if (auto updated = store::updateUser(session, after); !updated) {
      return tl::unexpected(updated.error());
    }
    const json before_json = {{"username", (*user)->username}, {"roles", (*user)->roles}};
    const json after_json = {
        {"username", after.username}, {"roles", after.roles}, {"ticket", ticket.id}};
    if (auto audited = audit(session, &actor, now, "user.update", "user", std::to_string(after.id),
                             before_json, after_json);
        !audited) {
      return tl::unexpected(audited.error());
    }
  }
  ticket.effective_at = now;
  ticket.applied_at = now;
  ticket.status = std::string(store::kTicketStatusApplied);
  return std::optional<TicketRejection>();
}

// Approval of a risk acceptance: stores the exception, which takes effect
// at once and lapses at its expiry.
Result<std::optional<TicketRejection>> approveAcceptRisk(store::Session& session,
                                                         store::TicketRecord& ticket,
                                                         SystemTime now) {
  const json change = json::parse(ticket.requested_change_json, nullptr, false);
  const auto expires_at = expiryOf(change);
  if (!expires_at || !change.contains("advisory") || !change["advisory"].is_string() ||
      ticket.subject_hosts.size() != 1) {
    return fail(ErrorCode::kInternal,
                fmt::format("ticket {} has a malformed requested change", ticket.id));
  }
  if (*expires_at <= now) {
    return std::optional<TicketRejection>(rejection(
        409, "cannot_apply",
        fmt::format("The risk acceptance expired at {} before it was approved; refuse the ticket "
                    "and file a new one.",
                    formatRfc3339(*expires_at))));
  }
  store::RiskExceptionRecord exception;
  exception.ticket_id = ticket.id;
  exception.host_id = ticket.subject_hosts[0];
  exception.advisory_id = change["advisory"].get<std::string>();
  exception.expires_at = *expires_at;
  exception.approved_at = now;
  if (auto stored = store::insertRiskException(session, exception); !stored) {
    return tl::unexpected(stored.error());
  }
  ticket.effective_at = now;
  ticket.applied_at = now;
  ticket.status = std::string(store::kTicketStatusApplied);
  return std::optional<TicketRejection>();
}

}  // namespace

const std::vector<std::string>& ticketEventNames() {
  static const std::vector<std::string> names = {
      std::string(kTicketEventCreated),  std::string(kTicketEventCommented),
      std::string(kTicketEventApproved), std::string(kTicketEventRefused),
      std::string(kTicketEventApplied),  std::string(kTicketEventSuperseded)};
  return names;
}

TicketOutcome<NewTicket> parseNewTicket(const json& body) {
  if (!body.is_object()) return rejection(400, "not_an_object", "Expected a JSON object.");

  const auto type = body.find("type");
  if (type == body.end() || !type->is_string() ||
      (*type != kTicketTypeMoveServerWindow && *type != kTicketTypeReportAccess &&
       *type != kTicketTypeAcceptRisk)) {
    return invalidField("type",
                        "expected \"move_server_window\", \"report_access\" or \"accept_risk\".");
  }
  NewTicket ticket;
  ticket.type = type->get<std::string>();

  const auto fields = typeFields(ticket.type);
  for (const auto& [key, value] : body.items()) {
    if (key == "type" || key == "justification" || key == "external_reference") continue;
    if (std::find(fields.begin(), fields.end(), key) == fields.end()) {
      return rejection(
          400, "unknown_field",
          fmt::format("Field \"{}\" is not part of a {} ticket.", key.substr(0, 80), ticket.type));
    }
  }

  const auto justification = body.find("justification");
  if (justification == body.end() || !justification->is_string() ||
      justification->get_ref<const std::string&>().empty()) {
    return invalidField("justification", "expected a non-empty string saying why.");
  }
  ticket.justification = justification->get<std::string>();
  if (auto problem = checkText("justification", ticket.justification, kMaxJustificationBytes)) {
    return *problem;
  }

  auto reference = readExternalReference(body);
  if (auto* problem = std::get_if<TicketRejection>(&reference)) return *problem;
  ticket.external_reference = std::get<std::optional<std::string>>(std::move(reference));

  if (ticket.type == kTicketTypeMoveServerWindow) return parseMoveTicket(body, std::move(ticket));
  if (ticket.type == kTicketTypeAcceptRisk) return parseAcceptRiskTicket(body, std::move(ticket));
  return parseReportAccessTicket(body, std::move(ticket));
}

TicketOutcome<CommentBody> parseCommentBody(const json& body, bool required,
                                            bool allow_external_reference) {
  if (!body.is_object()) return rejection(400, "not_an_object", "Expected a JSON object.");
  for (const auto& [key, value] : body.items()) {
    if (key == "comment" || (allow_external_reference && key == "external_reference")) continue;
    return rejection(400, "unknown_field",
                     fmt::format("Field \"{}\" is not allowed here.", key.substr(0, 80)));
  }
  CommentBody parsed;
  const auto comment = body.find("comment");
  if (comment != body.end() && !comment->is_null()) {
    if (!comment->is_string()) return invalidField("comment", "expected a string.");
    parsed.comment = comment->get<std::string>();
  }
  if (required && parsed.comment.empty()) {
    return invalidField("comment", "a comment is required here; say why.");
  }
  if (auto problem = checkText("comment", parsed.comment, kMaxCommentBytes)) return *problem;
  if (allow_external_reference) {
    auto reference = readExternalReference(body);
    if (auto* problem = std::get_if<TicketRejection>(&reference)) return *problem;
    parsed.external_reference = std::get<std::optional<std::string>>(std::move(reference));
  }
  return parsed;
}

Result<TicketOutcome<store::TicketRecord>> fileTicket(store::Session& session,
                                                      const TicketActor& actor,
                                                      const NewTicket& ticket, SystemTime now) {
  if (ticket.external_reference && !actor.principal.has(Permission::kLinkRequests)) {
    return rejection(403, "forbidden",
                     "Setting external_reference needs the link_requests permission (admin or "
                     "helpdesk).");
  }
  auto checked =
      ticket.type == kTicketTypeMoveServerWindow ? checkMoveTicket(session, actor, ticket, now)
      : ticket.type == kTicketTypeAcceptRisk ? checkAcceptRiskTicket(session, actor, ticket, now)
                                             : checkReportAccessTicket(actor);
  if (!checked) return tl::unexpected(checked.error());
  if (std::holds_alternative<TicketRejection>(*checked)) return *checked;

  store::TicketRecord record;
  record.type = ticket.type;
  record.requester = actor.principal.username;
  record.subject_hosts = ticket.subject_hosts;
  record.requested_change_json = ticket.requested_change.dump();
  record.justification = ticket.justification;
  record.external_reference = ticket.external_reference;
  record.created_at = now;
  record.updated_at = now;
  auto id = store::insertTicket(session, record);
  if (!id) return tl::unexpected(id.error());
  record.id = *id;

  if (auto audited = audit(session, &actor, now, "ticket.create", "ticket", std::to_string(*id),
                           json(), ticketToJson(record));
      !audited) {
    return tl::unexpected(audited.error());
  }
  if (auto sent =
          enqueueEvent(session, kTicketEventCreated, actorName(actor), record, std::nullopt, now);
      !sent) {
    return tl::unexpected(sent.error());
  }
  return record;
}

Result<TicketOutcome<store::TicketRecord>> findVisibleTicket(store::Session& session,
                                                             const Principal& principal,
                                                             std::int64_t id) {
  auto ticket = store::getTicket(session, id);
  if (!ticket) return tl::unexpected(ticket.error());
  if (!*ticket || (!canSeeEveryTicket(principal) && (*ticket)->requester != principal.username)) {
    return rejection(404, "not_found", fmt::format("No ticket has id {}.", id));
  }
  return **ticket;
}

Result<TicketOutcome<store::TicketRecord>> commentOnTicket(store::Session& session,
                                                           const TicketActor& actor,
                                                           std::int64_t id, const CommentBody& body,
                                                           SystemTime now) {
  auto found = findVisibleTicket(session, actor.principal, id);
  if (!found || std::holds_alternative<TicketRejection>(*found)) return found;
  store::TicketRecord ticket = std::get<store::TicketRecord>(std::move(*found));

  if (body.external_reference) {
    if (!actor.principal.has(Permission::kLinkRequests)) {
      return rejection(403, "forbidden",
                       "Setting external_reference needs the link_requests permission (admin or "
                       "helpdesk).");
    }
    auto linked = linkTicket(session, actor, id, *body.external_reference, now);
    if (!linked || std::holds_alternative<TicketRejection>(*linked)) return linked;
    ticket = std::get<store::TicketRecord>(std::move(*linked));
  }
  if (body.comment.empty()) return ticket;

  const json before = ticketToJson(ticket);
  auto comment =
      addComment(session, ticket, actor.principal.username, "comment", body.comment, now);
  if (!comment) return tl::unexpected(comment.error());
  ticket.updated_at = now;
  if (auto updated = store::updateTicket(session, ticket); !updated) {
    return tl::unexpected(updated.error());
  }
  json after = ticketToJson(ticket);
  after["comment"] = body.comment;
  if (auto audited = audit(session, &actor, now, "ticket.comment", "ticket", std::to_string(id),
                           before, after);
      !audited) {
    return tl::unexpected(audited.error());
  }
  if (auto sent =
          enqueueEvent(session, kTicketEventCommented, actorName(actor), ticket, *comment, now);
      !sent) {
    return tl::unexpected(sent.error());
  }
  return ticket;
}

Result<TicketOutcome<store::TicketRecord>> linkTicket(store::Session& session,
                                                      const TicketActor& actor, std::int64_t id,
                                                      const std::string& external_reference,
                                                      SystemTime now) {
  if (!actor.principal.has(Permission::kLinkRequests)) {
    return rejection(403, "forbidden",
                     "Setting a ticket's external reference needs the "
                     "link_requests permission (admin or helpdesk).");
  }
  auto found = findVisibleTicket(session, actor.principal, id);
  if (!found || std::holds_alternative<TicketRejection>(*found)) return found;
  store::TicketRecord ticket = std::get<store::TicketRecord>(std::move(*found));
  if (ticket.external_reference == external_reference) return ticket;

  const json before = ticketToJson(ticket);
  ticket.external_reference = external_reference;
  ticket.updated_at = now;
  if (auto updated = store::updateTicket(session, ticket); !updated) {
    return tl::unexpected(updated.error());
  }
  if (auto audited = audit(session, &actor, now, "ticket.link", "ticket", std::to_string(id),
                           before, ticketToJson(ticket));
      !audited) {
    return tl::unexpected(audited.error());
  }
  return ticket;
}

Result<TicketOutcome<store::TicketRecord>> decideTicket(store::Session& session,
                                                        const TicketActor& actor, std::int64_t id,
                                                        bool approve, const std::string& comment,
                                                        SystemTime now) {
  if (!actor.principal.has(Permission::kDecideRequests)) {
    return rejection(403, "forbidden",
                     "Only the security team (role admin) approves or refuses tickets.");
  }
  auto found = findVisibleTicket(session, actor.principal, id);
  if (!found || std::holds_alternative<TicketRejection>(*found)) return found;
  store::TicketRecord ticket = std::get<store::TicketRecord>(std::move(*found));

  if (ticket.requester == actor.principal.username) {
    return rejection(403, "own_ticket",
                     "You filed this ticket, so you cannot approve or refuse it; another admin "
                     "must decide.");
  }
  if (ticket.status != store::kTicketStatusOpen) {
    return rejection(409, "not_open",
                     fmt::format("Ticket {} is {}; only an open ticket can be approved or "
                                 "refused.",
                                 id, ticket.status));
  }
  if (!approve && comment.empty()) {
    return invalidField("comment", "a refusal needs a comment saying why.");
  }

  const json before = ticketToJson(ticket);
  ticket.status = std::string(approve ? store::kTicketStatusApproved : store::kTicketStatusRefused);
  ticket.decided_by = actor.principal.username;
  ticket.decided_at = now;
  ticket.updated_at = now;
  if (approve) {
    auto carried =
        ticket.type == kTicketTypeMoveServerWindow ? approveMove(session, actor, ticket, now)
        : ticket.type == kTicketTypeAcceptRisk     ? approveAcceptRisk(session, ticket, now)
                                               : approveReportAccess(session, actor, ticket, now);
    if (!carried) return tl::unexpected(carried.error());
    if (*carried) return **carried;
  }

  auto stored_comment = addComment(session, ticket, actor.principal.username,
                                   approve ? "approval" : "refusal", comment, now);
  if (!stored_comment) return tl::unexpected(stored_comment.error());
  if (auto updated = store::updateTicket(session, ticket); !updated) {
    return tl::unexpected(updated.error());
  }

  json after = ticketToJson(ticket);
  after["comment"] = comment;
  if (auto audited = audit(session, &actor, now, approve ? "ticket.approve" : "ticket.refuse",
                           "ticket", std::to_string(id), before, after);
      !audited) {
    return tl::unexpected(audited.error());
  }
  // The event of the decision carries the ticket as it was decided; an
  // approval that took effect at once is followed by its own "applied".
  store::TicketRecord decided = ticket;
  if (approve) decided.status = std::string(store::kTicketStatusApproved);
  if (auto sent = enqueueEvent(session, approve ? kTicketEventApproved : kTicketEventRefused,
                               actorName(actor), decided, *stored_comment, now);
      !sent) {
    return tl::unexpected(sent.error());
  }
  if (ticket.status == store::kTicketStatusApplied) {
    if (auto audited = audit(session, &actor, now, "ticket.apply", "ticket", std::to_string(id),
                             ticketToJson(decided), ticketToJson(ticket));
        !audited) {
      return tl::unexpected(audited.error());
    }
    if (auto sent =
            enqueueEvent(session, kTicketEventApplied, actorName(actor), ticket, std::nullopt, now);
        !sent) {
      return tl::unexpected(sent.error());
    }
  }
  return ticket;
}

namespace {

// The ticket id stored with a window move, or nullopt for text that is not
// one (the windows API stores any text).
std::optional<std::int64_t> ticketIdOf(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::int64_t id = 0;
  const char* end = text->data() + text->size();
  const auto [parsed_end, error] = std::from_chars(text->data(), end, id);
  if (error != std::errc() || parsed_end != end) return std::nullopt;
  return id;
}

// Appends an audit event on ticket `id` by `actor` ("user:alice").
Result<void> auditAs(store::Session& session, const std::string& actor, SystemTime now,
                     const std::string& action, std::int64_t id, const json& before,
                     const json& after) {
  store::AuditEvent event;
  event.at = now;
  event.actor = actor;
  event.action = action;
  event.object_type = "ticket";
  event.object_id = std::to_string(id);
  event.before_json = before.dump();
  event.after_json = after.dump();
  auto appended = store::appendAuditEvent(session, event);
  if (!appended) return tl::unexpected(appended.error());
  return {};
}

}  // namespace

Result<std::vector<std::int64_t>> applyTicketsOfMoves(store::Session& session,
                                                      const std::vector<WindowMove>& moves,
                                                      SystemTime now) {
  std::vector<std::int64_t> applied;
  for (const WindowMove& move : moves) {
    const auto found_id = ticketIdOf(move.ticket_id);
    if (!found_id) continue;
    const std::int64_t id = *found_id;
    auto ticket = store::getTicket(session, id);
    if (!ticket) return tl::unexpected(ticket.error());
    if (!*ticket || (*ticket)->status != store::kTicketStatusApproved) continue;

    const json before = ticketToJson(**ticket);
    store::TicketRecord after = **ticket;
    after.status = std::string(store::kTicketStatusApplied);
    after.applied_at = now;
    after.effective_at = move.effective_at;
    after.updated_at = now;
    if (auto updated = store::updateTicket(session, after); !updated) {
      return tl::unexpected(updated.error());
    }
    if (auto audited = audit(session, nullptr, now, "ticket.apply", "ticket", std::to_string(id),
                             before, ticketToJson(after));
        !audited) {
      return tl::unexpected(audited.error());
    }
    if (auto sent = enqueueEvent(session, kTicketEventApplied, "system", after, std::nullopt, now);
        !sent) {
      return tl::unexpected(sent.error());
    }
    applied.push_back(id);
  }
  return applied;
}

Result<void> settleTicketsOfMove(store::Session& session, const WindowMoveResult& result,
                                 const std::string& actor, SystemTime now) {
  if (result.applied_first) {
    auto applied = applyTicketsOfMoves(session, {*result.applied_first}, now);
    if (!applied) return tl::unexpected(applied.error());
  }
  const auto found_id = ticketIdOf(result.superseded_ticket_id);
  if (!found_id) return {};
  const std::int64_t id = *found_id;
  auto ticket = store::getTicket(session, id);
  if (!ticket) return tl::unexpected(ticket.error());
  if (!*ticket || (*ticket)->status != store::kTicketStatusApproved) return {};

  const json before = ticketToJson(**ticket);
  store::TicketRecord after = **ticket;
  after.status = std::string(store::kTicketStatusSuperseded);
  after.effective_at.reset();
  after.updated_at = now;
  if (auto updated = store::updateTicket(session, after); !updated) {
    return tl::unexpected(updated.error());
  }
  if (auto audited =
          auditAs(session, actor, now, "ticket.supersede", id, before, ticketToJson(after));
      !audited) {
    return audited;
  }
  return enqueueEvent(session, kTicketEventSuperseded, actor, after, std::nullopt, now);
}

Result<void> rescheduleTicketsOfMoves(store::Session& session, const std::vector<WindowMove>& moves,
                                      const std::string& actor, SystemTime now) {
  for (const WindowMove& move : moves) {
    auto id = ticketIdOf(move.ticket_id);
    if (!id) continue;
    auto ticket = store::getTicket(session, *id);
    if (!ticket) return tl::unexpected(ticket.error());
    if (!*ticket || (*ticket)->status != store::kTicketStatusApproved) continue;

    store::TicketRecord after = **ticket;
    after.effective_at = move.effective_at;
    after.updated_at = now;
    if (auto updated = store::updateTicket(session, after); !updated) {
      return tl::unexpected(updated.error());
    }
    if (auto audited = auditAs(session, actor, now, "ticket.reschedule", *id,
                               ticketToJson(**ticket), ticketToJson(after));
        !audited) {
      return audited;
    }
  }
  return {};
}

json ticketToJson(const store::TicketRecord& ticket) {
  json change = json::parse(ticket.requested_change_json, nullptr, false);
  if (change.is_discarded()) change = json::object();
  return {
      {"id", ticket.id},
      {"type", ticket.type},
      {"status", ticket.status},
      {"requester", ticket.requester},
      {"subject_hosts", ticket.subject_hosts},
      {"requested_change", change},
      {"justification", ticket.justification},
      {"assignee_group", ticket.assignee_group},
      {"external_reference", ticket.external_reference ? json(*ticket.external_reference) : json()},
      {"decided_by", ticket.decided_by ? json(*ticket.decided_by) : json()},
      {"decided_at", optionalTime(ticket.decided_at)},
      {"effective_at", optionalTime(ticket.effective_at)},
      {"applied_at", optionalTime(ticket.applied_at)},
      {"created_at", formatRfc3339(ticket.created_at)},
      {"updated_at", formatRfc3339(ticket.updated_at)},
  };
}

json ticketToJson(const store::TicketRecord& ticket,
                  const std::vector<store::TicketComment>& comments) {
  json view = ticketToJson(ticket);
  json list = json::array();
  for (const auto& comment : comments) {
    list.push_back({{"id", comment.id},
                    {"author", comment.author},
                    {"kind", comment.kind},
                    {"body", comment.body},
                    {"created_at", formatRfc3339(comment.created_at)}});
  }
  view["comments"] = std::move(list);
  return view;
}

}  // namespace pk::server
