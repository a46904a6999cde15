#pragma once

// The restart service's part of each check-in. While a restart is pending,
// its report goes to POST /api/v1/hosts/{id}/restart-state and the events
// the server stored are dropped. After the boot that completed it, the
// final report goes first, then a fresh inventory report and a verifying
// event for each attached job, and the pending restart is forgotten.

#include "common/clock.h"
#include "common/error.h"
#include "winagent/agent_files.h"
#include "winagent/job_round.h"
#include "winagent/restart_service.h"
#include "winagent/transport.h"
#include "winagent/update_job.h"

namespace pk::winagent {

// Runs the restart part of one check-in. Fails with kIoError naming the
// request that failed. What was not sent is sent again at the next
// check-in, and the server stores each restart event once by its id.
// NOTE: a verifying event posted before a later failure is posted again,
// with a new id, at the next check-in.
Result<void> carryRestart(RestartService& service, Transport& transport,
                          const HostIdentity& identity, const Clock& clock,
                          const EventIdSource& new_event_id, const FreshReport& fresh_report);

}  // namespace pk::winagent
