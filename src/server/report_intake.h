#pragma once

// Check-in reports: POST /api/v1/hosts/{host_id}/reports with a host's own
// token. addHostRoutes() (host_routes.h) registers the handler; it is
// declared here for tests and the fuzzer.

#include "server/context.h"
#include "server/host_routes.h"
#include "server/http.h"

namespace pk::server {

// The check-in interval sent instead of the configured one when the server
// lacks the inventory for the reported hash, so the agent sends it soon.
inline constexpr std::chrono::seconds kInventoryNeededCheckin{60};

// How long a report id is remembered. An agent resends a report only until
// it gets a response, so a repeat after this long is not expected. Each
// accepted report prunes its host's older receipts.
inline constexpr std::chrono::days kReportReceiptRetention{30};

// Describes patchkeeper_checkins_total{result} on `metrics`. Results:
// "accepted", "duplicate", "rejected" (4xx) and "failed" (5xx).
void describeCheckinMetrics(Metrics& metrics);

// Handles one report. `request.path_params[0]` is the host id of the path
// and `request.principal` the caller, as the Router sets them. Responds with:
//   200 ReportResponse  applied, or a repeat of an accepted report id
//                       (duplicate = true, nothing applied again);
//   400 invalid_report  the body is not a valid protocol::Report, or lists
//                       one pending update twice;
//   401 revoked_credential  the host is revoked;
//   403 wrong_host      the caller is not the host of the path;
//   404 not_found       no host has the path's id;
//   500 internal_error  the database or options.evaluate_host failed;
//                       nothing is applied and the agent should resend.
// An accepted report is applied in one write transaction: the receipt, the
// host facts (last seen = context.clock.now()), the inventory when sent
// and different from the stored one, the pending updates, and then
// options.evaluate_host when the inventory or pending updates changed.
// inventory_needed is true when the report has no inventory and its hash
// differs from the stored one; next_checkin_seconds is then
// kInventoryNeededCheckin, otherwise options.checkin_interval.
// Thread-safe.
Response handleReport(ServerContext& context, const HostRouteOptions& options, Request& request);

}  // namespace pk::server
