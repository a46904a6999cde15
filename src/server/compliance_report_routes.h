#pragma once

// Compliance reports per group and their daily history, each as JSON, CSV
// or a printable HTML page (?format=json|csv|html, JSON by default):
//
//   GET /api/v1/reports/compliance-summary?by=collection|window|ring|owner|fleet
//       [&ring_sequence=ID]                                       read_reports
//   GET /api/v1/reports/compliance-history?by=...&days=90          read_reports
//   GET /api/v1/reports/overdue                                    read_reports
//
// The summary counts the active hosts per group at the request's time
// (server/compliance_summary.h). The history returns the stored daily
// snapshots of the last `days` UTC days (1 to 3660, 90 by default),
// including today's. The overdue report lists the hosts that
// server/overdue_hosts.h finds, most overdue first. docs/REPORTS.md shows each report's fields.

#include <chrono>

#include "server/context.h"
#include "server/http.h"

namespace pk::server {

// Registers the routes above. `stale_after` is the compliance staleness
// limit (HostRouteOptions::stale_after). `context` must outlive `router`.
void addComplianceReportRoutes(Router& router, ServerContext& context,
                               std::chrono::days stale_after);

}  // namespace pk::server
