#pragma once

// Routes the web console reads that other clients may use too:
//
//   GET /api/v1/dashboard   (read_reports) open findings of active hosts by
//       severity, the KEV advisories with open findings (earliest due date
//       first, at most 20) and the hosts needing a restart (count and the
//       first 20 by name):
//       {"findings_by_severity": {"high": 3, ...},
//        "kev": [{"advisory_id", "kev_due_date", "hosts"}],
//        "restart_required": {"count", "hosts": [{"id", "hostname"}]},
//        "generated_at"}
//   GET /api/v1/jobs?host=h-...&limit=20   (read_deployments) the host's
//       jobs, newest first, at most `limit` (1 to 500, default 20):
//       {"items": [job, ...]} with each job as GET /api/v1/jobs/{id} shows
//       it, without its events.

#include "server/context.h"
#include "server/http.h"

namespace pk::server {

// Adds both routes to `router`. `context` must outlive the router.
void addDashboardRoutes(Router& router, ServerContext& context);

}  // namespace pk::server
