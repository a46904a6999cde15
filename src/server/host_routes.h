#pragma once

// The hosts domain of the API: enrolment, check-in reports, host
// administration and enrolment secrets.
//
//   POST   /api/v1/enrol                              public
//   POST   /api/v1/hosts/{id}/reports                 agent (its own id only)
//   GET    /api/v1/hosts                              read_hosts
//   GET    /api/v1/hosts/{id}                         read_hosts
//   PATCH  /api/v1/hosts/{id}                         manage_hosts
//   POST   /api/v1/hosts/{id}/revoke                  manage_hosts
//   POST   /api/v1/hosts/{id}/approve-reenrolment     manage_hosts
//   GET    /api/v1/enrolment-secrets                  manage_enrolment
//   POST   /api/v1/enrolment-secrets                  manage_enrolment
//   DELETE /api/v1/enrolment-secrets/{id}             manage_enrolment
//
// A principal without access to all hosts (an owner) can read only hosts
// whose owner is its username. Any other host returns 404, as if it did not
// exist.

#include <chrono>
#include <functional>
#include <string>

#include "common/clock.h"
#include "common/error.h"
#include "inventory/inventory.h"
#include "server/context.h"
#include "server/http.h"
#include "store/database.h"
#include "store/host_repository.h"

namespace pk::server {

struct HostRouteOptions {
  // Re-evaluates the findings of one host, inside the transaction that
  // applied its report. Called only when the report changed the stored
  // inventory or the pending updates. A failure rolls the whole report back
  // and returns 500, so the agent sends it again. Unset: nothing is
  // evaluated. `saved` is the inventory the report just stored, so that it
  // need not be read back, or nullptr when the report left it unchanged.
  std::function<Result<void>(store::Session&, const std::string& host_id,
                             const inventory::HostInventory* saved, SystemTime now)>
      evaluate_host;
  // The check-in interval sent to agents in each report response.
  std::chrono::minutes checkin_interval{60};
  // A host not seen, or whose package lists were not refreshed, for this
  // long has stale data: its compliance is "unknown".
  std::chrono::days stale_after{7};
};

// Returns the stored fields of `host` as the API and the audit log show
// them: times as RFC 3339 strings or null, os and restart as objects.
nlohmann::json hostToJson(const store::HostRecord& host);

// Registers every route above on `router`. `context` and `options` are
// copied or referenced as their lifetimes allow: `context` must outlive the
// router. Also describes the metrics patchkeeper_checkins_total{result} and
// patchkeeper_hosts{status,kind}, and registers the collector of the latter.
void addHostRoutes(Router& router, ServerContext& context, const HostRouteOptions& options);

}  // namespace pk::server
