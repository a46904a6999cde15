#pragma once

// The routes every deployment needs regardless of domain: liveness and
// readiness for load balancers and systemd, Prometheus metrics, and the
// OpenAPI document. All are public (no credential).
//
//   GET /healthz               200 {"status":"ok"} while the process serves
//   GET /readyz                200 {"status":"ready"}, or 503 not_ready when a
//                              database query fails or the schema is not the
//                              version this build needs
//   GET /metrics               the exposition text of ServerContext::metrics
//   GET /api/v1/openapi.json   the OpenAPI document given in the options

#include <string>

#include "server/context.h"
#include "server/http.h"

namespace pk::server {

struct SystemRouteOptions {
  // The OpenAPI document's JSON text, served as it is.
  std::string openapi_json;
};

// Adds the four routes to `router`. `context` must outlive the router.
void addSystemRoutes(Router& router, ServerContext& context, const SystemRouteOptions& options);

}  // namespace pk::server
