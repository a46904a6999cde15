#pragma once

// The endpoint restart routes:
//
//   POST /api/v1/hosts/{id}/restart-state    agent (its own host only)
//        a RestartReport (protocol/restart_report.h) -> 200 {"applied", "duplicates"};
//        400 invalid_restart_report, 403 wrong_host.
//   GET  /api/v1/hosts/{id}/restart-events   read_hosts; owners see their own hosts
//        ?since=RFC3339&limit=1..1000 (default 200) -> 200 {"events": [...]}
//
// The report replaces the host's restart state, and each of its events is
// stored once per event id, so a resent report changes nothing. A pending
// report also marks the host as waiting for a restart, which keeps it not
// compliant until an inventory from after the boot clears the flag.

#include <nlohmann/json.hpp>

#include "server/context.h"
#include "server/http.h"
#include "store/database.h"

namespace pk::server {

// Returns the restart part of the host detail view: "pending",
// "required_since", "deadline", "restart_at", "countdown_start",
// "in_countdown", "restarted_at", "reported_at" and "choices" (each with
// "at", "choice", "user", "snooze_seconds", "restart_at"), or an empty
// object when the host never sent a restart report.
Result<nlohmann::json> restartView(store::Session& session, const std::string& host_id);

// Registers the routes above. `context` must outlive `router`.
void addRestartRoutes(Router& router, ServerContext& context);

}  // namespace pk::server
