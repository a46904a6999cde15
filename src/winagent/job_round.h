#pragma once

// The Windows agent's part of deployment jobs after a check-in: fetch the
// host's jobs, run each windows-update job the server has in pending or
// waiting_for_window (runUpdateJob), and post its events as they happen.
// After a successful install that needs no restart, a fresh report is
// delivered and verifying is posted with its id, so the server checks the
// new inventory.
//
// An endpoint job whose install needs a restart is handed to the restart
// service (`attach_restart`) after a fresh report, and then posts
// restart_pending. The service verifies the job after the boot.
//
// NOTE: unlike the Linux agent there is no job journal yet: an event that
// cannot be posted is lost, and a job interrupted by a crash is not
// resumed. A server job whose install needs a restart stays at installed,
// because restarting inside the window is not built yet.

#include <functional>
#include <string>
#include <vector>

#include <wuapi.h>

#include "common/clock.h"
#include "common/error.h"
#include "winagent/agent_files.h"
#include "winagent/transport.h"
#include "winagent/update_job.h"

namespace pk::winagent {

struct JobRoundOutcome {
  std::size_t jobs = 0;           // jobs in the server's list
  std::size_t started = 0;        // jobs whose installation ran
  std::size_t events_posted = 0;  // events the server accepted
  // One sentence per job that stopped early: an event the server rejected,
  // a cancelled job, or a fresh report that failed.
  std::vector<std::string> problems;
};

// Delivers a report with the full inventory and returns its id.
using FreshReport = std::function<Result<std::string>()>;

// Hands an endpoint job's restart to the restart service.
using AttachRestart = std::function<Result<void>(const protocol::JobOrder& order)>;

// Runs one round. Fails with kIoError when the job list cannot be fetched
// or read; problems with single jobs are listed in the outcome instead.
Result<JobRoundOutcome> runJobRound(Transport& transport, const HostIdentity& identity,
                                    const Clock& clock, IUpdateSession& session,
                                    const UpdateCollectionFactory& make_collection,
                                    const EventIdSource& new_event_id,
                                    const FreshReport& fresh_report,
                                    const AttachRestart& attach_restart = nullptr);

}  // namespace pk::winagent
