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
//   GET /api/v1/hosts/{id}/packages?q=&limit=100&offset=0   (read_hosts;
//       owners: their own hosts, 404 otherwise) the host's installed
//       packages from its latest inventory, in the inventory's order,
//       filtered by `q` (part of the binary or source name), one page of
//       `limit` (1 to 1000): {"items": [{"name", "version", "architecture",
//       "source_name", "source_version"}], "total", "offset", "limit"}.

#include "server/context.h"
#include "server/http.h"

namespace pk::server {

// Adds the three routes to `router`. `context` must outlive the router.
void addDashboardRoutes(Router& router, ServerContext& context);

}  // namespace pk::server
