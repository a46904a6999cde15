#pragma once

// The tickets and webhooks domain of the API. The rules are in tickets.h.
//
//   POST   /api/v1/tickets                               file_requests
//   GET    /api/v1/tickets?status=&type=&mine=true       file_requests
//   GET    /api/v1/tickets/{id}                          file_requests
//   POST   /api/v1/tickets/{id}/comments                 file_requests
//   PUT    /api/v1/tickets/{id}/external-reference       link_requests
//   POST   /api/v1/tickets/{id}/approve                  decide_requests
//   POST   /api/v1/tickets/{id}/refuse                   decide_requests
//   GET    /api/v1/webhooks                              manage_webhooks
//   POST   /api/v1/webhooks                              manage_webhooks
//   DELETE /api/v1/webhooks/{id}                         manage_webhooks
//   GET    /api/v1/webhooks/{id}/deliveries              manage_webhooks
//
// Lists show only the tickets the caller may see (tickets.h): a requester's
// own, or all of them for holders of decide_requests or link_requests.

#include "server/context.h"
#include "server/http.h"
#include "server/webhooks.h"

namespace pk::server {

struct TicketRouteOptions {
  // The webhook options. The routes use only allow_http_loopback, to check
  // URLs; the WebhookSender uses the rest.
  WebhookOptions webhooks;
};

// Registers every route above on `router`. `context` must outlive the
// router.
void addTicketRoutes(Router& router, ServerContext& context, const TicketRouteOptions& options);

}  // namespace pk::server
