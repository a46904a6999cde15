#include "server/ticket_routes.h"

#include <charconv>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/deployments.h"
#include "server/tickets.h"
#include "store/audit_repository.h"
#include "store/ticket_repository.h"
#include "store/webhook_repository.h"

namespace pk::server {
namespace {

using json = nlohmann::json;

constexpr std::string_view kTicketPath = "/api/v1/tickets/([0-9]{1,18})";
constexpr std::string_view kWebhookPath = "/api/v1/webhooks/([0-9]{1,18})";
constexpr std::size_t kMaxDescriptionBytes = 1000;

Response internalError() {
  return errorResponse(500, "internal_error",
                       "The server failed to handle the request. The error has been logged; try "
                       "again, and tell the administrator if it persists.");
}

Response toResponse(const TicketRejection& rejection) {
  return errorResponse(rejection.status, rejection.code, rejection.message);
}

// The path's id. The route's pattern allows only up to 18 digits, which
// always fit.
std::int64_t pathId(const Request& request) {
  std::int64_t id = 0;
  const std::string& text = request.path_params.at(0);
  std::from_chars(text.data(), text.data() + text.size(), id);
  return id;
}

TicketActor actorOf(const Request& request) {
  return TicketActor{*request.principal, request.remote_address};
}

// The ticket with its comments, as every ticket route returns it.
Result<json> ticketView(store::Session& session, const store::TicketRecord& ticket) {
  auto comments = store::listTicketComments(session, ticket.id);
  if (!comments) return tl::unexpected(comments.error());
  return ticketToJson(ticket, *comments);
}

using TicketWrite =
    std::function<Result<TicketOutcome<store::TicketRecord>>(store::Session&, SystemTime)>;

// Runs `change` in a write transaction and responds with the ticket, or the
// rejection. A rejection writes nothing: it returns before any write.
Response writeTicket(ServerContext& context, const char* what, int success_status,
                     const TicketWrite& change) {
  const SystemTime now = context.clock.now();
  std::optional<Response> response;
  std::optional<std::int64_t> changed_id;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    response.reset();
    changed_id.reset();
    auto outcome = change(session, now);
    if (!outcome) return tl::unexpected(outcome.error());
    if (auto* rejection = std::get_if<TicketRejection>(&*outcome)) {
      response = toResponse(*rejection);
      return {};
    }
    const auto& ticket = std::get<store::TicketRecord>(*outcome);
    auto view = ticketView(session, ticket);
    if (!view) return tl::unexpected(view.error());
    response = jsonResponse(success_status, *view);
    changed_id = ticket.id;
    return {};
  });
  if (!written) {
    spdlog::error("{} failed: {}", what, written.error().message);
    return internalError();
  }
  if (changed_id) spdlog::info("ticket={} {}", *changed_id, what);
  return std::move(*response);
}

Response fileTicketRoute(ServerContext& context, const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  auto ticket = parseNewTicket(std::get<json>(parsed));
  if (auto* rejection = std::get_if<TicketRejection>(&ticket)) return toResponse(*rejection);
  const NewTicket& new_ticket = std::get<NewTicket>(ticket);
  const TicketActor actor = actorOf(request);
  return writeTicket(context, "filing a ticket", 201, [&](store::Session& session, SystemTime now) {
    return fileTicket(session, actor, new_ticket, now);
  });
}

Response listTicketsRoute(ServerContext& context, const Request& request) {
  const Principal& principal = *request.principal;
  store::TicketFilter filter;
  filter.status = request.queryValue("status");
  filter.type = request.queryValue("type");
  if (filter.status && *filter.status != store::kTicketStatusOpen &&
      *filter.status != store::kTicketStatusApproved &&
      *filter.status != store::kTicketStatusRefused &&
      *filter.status != store::kTicketStatusApplied &&
      *filter.status != store::kTicketStatusSuperseded) {
    return errorResponse(400, "invalid_query",
                         "Query parameter \"status\": use open, approved, refused, applied or "
                         "superseded.");
  }
  if (filter.type && *filter.type != kTicketTypeMoveServerWindow &&
      *filter.type != kTicketTypeReportAccess && *filter.type != kTicketTypeAcceptRisk) {
    return errorResponse(
        400, "invalid_query",
        "Query parameter \"type\": use move_server_window, report_access or accept_risk.");
  }
  const auto mine = request.queryValue("mine");
  if (mine && *mine != "true" && *mine != "false") {
    return errorResponse(400, "invalid_query", "Query parameter \"mine\": use true or false.");
  }
  const bool sees_all =
      principal.has(Permission::kDecideRequests) || principal.has(Permission::kLinkRequests);
  if ((mine && *mine == "true") || !sees_all) filter.requester = principal.username;

  json items = json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = json::array();
    auto tickets = store::listTickets(session, filter);
    if (!tickets) return tl::unexpected(tickets.error());
    for (const auto& ticket : *tickets) items.push_back(ticketToJson(ticket));
    return {};
  });
  if (!read) {
    spdlog::error("listing tickets failed: {}", read.error().message);
    return internalError();
  }
  return jsonResponse(200, {{"items", std::move(items)}});
}

Response getTicketRoute(ServerContext& context, const Request& request) {
  const std::int64_t id = pathId(request);
  std::optional<Response> response;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto found = findVisibleTicket(session, *request.principal, id);
    if (!found) return tl::unexpected(found.error());
    if (auto* rejection = std::get_if<TicketRejection>(&*found)) {
      response = toResponse(*rejection);
      return {};
    }
    auto view = ticketView(session, std::get<store::TicketRecord>(*found));
    if (!view) return tl::unexpected(view.error());
    response = jsonResponse(200, *view);
    return {};
  });
  if (!read) {
    spdlog::error("reading ticket={} failed: {}", id, read.error().message);
    return internalError();
  }
  return std::move(*response);
}

Response commentRoute(ServerContext& context, const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  auto body = parseCommentBody(std::get<json>(parsed), false, true);
  if (auto* rejection = std::get_if<TicketRejection>(&body)) return toResponse(*rejection);
  const CommentBody& comment = std::get<CommentBody>(body);
  if (comment.comment.empty() && !comment.external_reference) {
    return errorResponse(400, "invalid_field", "Field \"comment\": expected a non-empty comment.");
  }
  const TicketActor actor = actorOf(request);
  const std::int64_t id = pathId(request);
  return writeTicket(context, "commenting", 200, [&](store::Session& session, SystemTime now) {
    return commentOnTicket(session, actor, id, comment, now);
  });
}

Response linkRoute(ServerContext& context, const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const json& body = std::get<json>(parsed);
  for (const auto& [key, value] : body.items()) {
    if (key != "external_reference") {
      return errorResponse(400, "unknown_field",
                           fmt::format("Field \"{}\" is not allowed here; send "
                                       "external_reference.",
                                       key.substr(0, 80)));
    }
  }
  const auto reference = body.find("external_reference");
  if (reference == body.end() || !reference->is_string() ||
      reference->get_ref<const std::string&>().empty() ||
      reference->get_ref<const std::string&>().size() > kMaxExternalReferenceBytes ||
      reference->get_ref<const std::string&>().find('\0') != std::string::npos) {
    return errorResponse(400, "invalid_field",
                         fmt::format("Field \"external_reference\": expected a non-empty string "
                                     "of at most {} bytes.",
                                     kMaxExternalReferenceBytes));
  }
  const std::string text = reference->get<std::string>();
  const TicketActor actor = actorOf(request);
  const std::int64_t id = pathId(request);
  return writeTicket(context, "linking", 200, [&](store::Session& session, SystemTime now) {
    return linkTicket(session, actor, id, text, now);
  });
}

Response decideRoute(ServerContext& context, const Request& request, bool approve) {
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  auto body = parseCommentBody(std::get<json>(parsed), !approve, false);
  if (auto* rejection = std::get_if<TicketRejection>(&body)) return toResponse(*rejection);
  const std::string comment = std::get<CommentBody>(body).comment;
  const TicketActor actor = actorOf(request);
  const std::int64_t id = pathId(request);
  return writeTicket(context, approve ? "approving" : "refusing", 200,
                     [&](store::Session& session, SystemTime now) {
                       return decideTicket(session, actor, id, approve, comment, now);
                     });
}

json subscriptionToJson(const store::WebhookSubscription& subscription) {
  return {{"id", subscription.id},
          {"url", subscription.url},
          {"events", subscription.events},
          {"description", subscription.description},
          {"created_by", subscription.created_by},
          {"created_at", formatRfc3339(subscription.created_at)}};
}

json deliveryToJson(const store::WebhookDelivery& delivery) {
  return {
      {"id", delivery.id},
      {"delivery_id", delivery.delivery_id},
      {"event", delivery.event},
      {"status", delivery.status},
      {"attempts", delivery.attempts},
      {"next_attempt_at", formatRfc3339(delivery.next_attempt_at)},
      {"last_error", delivery.last_error},
      {"last_status_code", delivery.last_status_code ? json(*delivery.last_status_code) : json()},
      {"created_at", formatRfc3339(delivery.created_at)},
      {"finished_at", delivery.finished_at ? json(formatRfc3339(*delivery.finished_at)) : json()}};
}

Result<void> auditWebhook(store::Session& session, const Request& request, SystemTime now,
                          std::string action, std::int64_t id, const json& before,
                          const json& after) {
  store::AuditEvent event;
  event.at = now;
  event.actor = "user:" + request.principal->username;
  event.action = std::move(action);
  event.object_type = "webhook";
  event.object_id = std::to_string(id);
  event.before_json = before.is_null() ? "" : before.dump();
  event.after_json = after.is_null() ? "" : after.dump();
  event.remote_address = request.remote_address;
  auto appended = store::appendAuditEvent(session, event);
  if (!appended) return tl::unexpected(appended.error());
  return {};
}

Response createWebhookRoute(ServerContext& context, const TicketRouteOptions& options,
                            const Request& request) {
  auto parsed = parseJsonBody(request);
  if (auto* rejection = std::get_if<Response>(&parsed)) return std::move(*rejection);
  const json& body = std::get<json>(parsed);
  for (const auto& [key, value] : body.items()) {
    if (key != "url" && key != "events" && key != "description") {
      return errorResponse(400, "unknown_field",
                           fmt::format("Field \"{}\" is not allowed; send url, events and "
                                       "optionally description.",
                                       key.substr(0, 80)));
    }
  }
  const auto url = body.find("url");
  if (url == body.end() || !url->is_string()) {
    return errorResponse(400, "invalid_field", "Field \"url\": expected a string.");
  }
  if (auto checked = parseWebhookUrl(url->get<std::string>(), options.webhooks.allow_http_loopback);
      !checked) {
    return errorResponse(400, "invalid_field", "Field \"url\": " + checked.error().message + ".");
  }

  store::WebhookSubscription subscription;
  subscription.url = url->get<std::string>();
  const auto events = body.find("events");
  std::vector<std::string> known = ticketEventNames();
  known.insert(known.end(), deploymentEventNames().begin(), deploymentEventNames().end());
  if (events == body.end() || !events->is_array() || events->empty()) {
    return errorResponse(400, "invalid_field",
                         fmt::format("Field \"events\": expected a non-empty array of event "
                                     "names: {}.",
                                     fmt::join(known, ", ")));
  }
  for (const auto& event : *events) {
    if (!event.is_string() ||
        std::find(known.begin(), known.end(), event.get<std::string>()) == known.end()) {
      return errorResponse(
          400, "invalid_field",
          fmt::format("Field \"events\": each item must be one of {}.", fmt::join(known, ", ")));
    }
    subscription.events.push_back(event.get<std::string>());
  }
  std::sort(subscription.events.begin(), subscription.events.end());
  subscription.events.erase(std::unique(subscription.events.begin(), subscription.events.end()),
                            subscription.events.end());
  if (const auto description = body.find("description"); description != body.end()) {
    if (!description->is_string() ||
        description->get_ref<const std::string&>().size() > kMaxDescriptionBytes ||
        description->get_ref<const std::string&>().find('\0') != std::string::npos) {
      return errorResponse(400, "invalid_field",
                           fmt::format("Field \"description\": expected a string of at most {} "
                                       "bytes.",
                                       kMaxDescriptionBytes));
    }
    subscription.description = description->get<std::string>();
  }
  subscription.secret = newWebhookSecret();
  subscription.created_by = request.principal->username;

  const SystemTime now = context.clock.now();
  subscription.created_at = now;
  json view;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    auto id = store::insertWebhookSubscription(session, subscription);
    if (!id) return tl::unexpected(id.error());
    store::WebhookSubscription stored = subscription;
    stored.id = *id;
    view = subscriptionToJson(stored);
    // The audit event leaves the secret out.
    return auditWebhook(session, request, now, "webhook.create", *id, json(), view);
  });
  if (!written) {
    spdlog::error("creating a webhook failed: {}", written.error().message);
    return internalError();
  }
  spdlog::info("webhook={} created by user:{}", view["id"].get<std::int64_t>(),
               request.principal->username);
  view["secret"] = subscription.secret;
  return jsonResponse(201, view);
}

Response listWebhooksRoute(ServerContext& context) {
  json items = json::array();
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    items = json::array();
    auto subscriptions = store::listWebhookSubscriptions(session);
    if (!subscriptions) return tl::unexpected(subscriptions.error());
    for (const auto& subscription : *subscriptions) {
      items.push_back(subscriptionToJson(subscription));
    }
    return {};
  });
  if (!read) {
    spdlog::error("listing webhooks failed: {}", read.error().message);
    return internalError();
  }
  return jsonResponse(200, {{"items", std::move(items)}});
}

Response deleteWebhookRoute(ServerContext& context, const Request& request) {
  const std::int64_t id = pathId(request);
  const SystemTime now = context.clock.now();
  bool existed = false;
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    existed = false;
    auto stored = store::getWebhookSubscription(session, id);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) return {};
    auto deleted = store::deleteWebhookSubscription(session, id);
    if (!deleted) return tl::unexpected(deleted.error());
    existed = true;
    return auditWebhook(session, request, now, "webhook.delete", id, subscriptionToJson(**stored),
                        json());
  });
  if (!written) {
    spdlog::error("deleting webhook={} failed: {}", id, written.error().message);
    return internalError();
  }
  if (!existed) return errorResponse(404, "not_found", fmt::format("No webhook has id {}.", id));
  return Response{.status = 204, .content_type = "", .body = "", .headers = {}};
}

Response listDeliveriesRoute(ServerContext& context, const Request& request) {
  const std::int64_t id = pathId(request);
  std::optional<Response> response;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto stored = store::getWebhookSubscription(session, id);
    if (!stored) return tl::unexpected(stored.error());
    if (!*stored) {
      response = errorResponse(404, "not_found", fmt::format("No webhook has id {}.", id));
      return {};
    }
    auto deliveries = store::listDeliveries(session, id, 200);
    if (!deliveries) return tl::unexpected(deliveries.error());
    json items = json::array();
    for (const auto& delivery : *deliveries) items.push_back(deliveryToJson(delivery));
    response = jsonResponse(200, {{"items", std::move(items)}});
    return {};
  });
  if (!read) {
    spdlog::error("listing deliveries of webhook={} failed: {}", id, read.error().message);
    return internalError();
  }
  return std::move(*response);
}

}  // namespace

void addTicketRoutes(Router& router, ServerContext& context, const TicketRouteOptions& options) {
  const std::string ticket_path(kTicketPath);
  const std::string webhook_path(kWebhookPath);
  router.add("POST", "/api/v1/tickets", Permission::kFileRequests,
             [&context](Request& request) { return fileTicketRoute(context, request); });
  router.add("GET", "/api/v1/tickets", Permission::kFileRequests,
             [&context](Request& request) { return listTicketsRoute(context, request); });
  router.add("GET", ticket_path, Permission::kFileRequests,
             [&context](Request& request) { return getTicketRoute(context, request); });
  router.add("POST", ticket_path + "/comments", Permission::kFileRequests,
             [&context](Request& request) { return commentRoute(context, request); });
  router.add("PUT", ticket_path + "/external-reference", Permission::kLinkRequests,
             [&context](Request& request) { return linkRoute(context, request); });
  router.add("POST", ticket_path + "/approve", Permission::kDecideRequests,
             [&context](Request& request) { return decideRoute(context, request, true); });
  router.add("POST", ticket_path + "/refuse", Permission::kDecideRequests,
             [&context](Request& request) { return decideRoute(context, request, false); });

  router.add("GET", "/api/v1/webhooks", Permission::kManageWebhooks,
             [&context](Request&) { return listWebhooksRoute(context); });
  router.add("POST", "/api/v1/webhooks", Permission::kManageWebhooks,
             [&context, options](Request& request) {
               return createWebhookRoute(context, options, request);
             });
  router.add("DELETE", webhook_path, Permission::kManageWebhooks,
             [&context](Request& request) { return deleteWebhookRoute(context, request); });
  router.add("GET", webhook_path + "/deliveries", Permission::kManageWebhooks,
             [&context](Request& request) { return listDeliveriesRoute(context, request); });
}

}  // namespace pk::server
