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
// An event after the install that cannot be posted waits in the outbox
// (JobOutbox) for the next round.
//
// NOTE: unlike the Linux agent there is no job journal yet: a job
// interrupted by a crash is not resumed, and a job whose installed event
// was queued gets no fresh report or verifying event later. A server job
// whose install needs a restart stays at installed, because restarting
// inside the window is not built yet.

#include <filesystem>
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

// job-outbox.json in the agent's folder: the job events that could not be
// posted, oldest first. Not thread-safe.
class JobOutbox {
 public:
  explicit JobOutbox(std::filesystem::path file);
  // The queued events; none when the file does not exist. Fails with
  // kIoError when it cannot be read and kMalformedInput when it is invalid.
  Result<std::vector<QueuedJobEvent>> load() const;
  // Replaces the queue with the last kMaxQueuedJobEvents of `events`,
  // atomically. Fails with kIoError.
  Result<void> save(const std::vector<QueuedJobEvent>& events);

 private:
  std::filesystem::path file_;
};

struct OutboxFlush {
  std::size_t posted = 0;
  std::vector<QueuedJobEvent> remaining;  // still queued, oldest first
  std::vector<std::string> problems;      // one sentence per event not posted
};

// Posts the queued events oldest first, as they were. Stops at the first
// that gets no response or a server error (5xx) and keeps it and the rest.
// Drops an event the server rejects or whose job it cancelled. Fails when
// the outbox cannot be read or saved.
Result<OutboxFlush> flushJobOutbox(JobOutbox& outbox, Transport& transport,
                                   const HostIdentity& identity);

// Runs one round. With an outbox, its queued events go out first, and an
// event after the install that gets no response or a server error is
// queued there while the job goes on. Fails with kIoError when the job
// list cannot be fetched or read, or the outbox cannot be read or saved.
// Problems with single jobs are listed in the outcome instead.
Result<JobRoundOutcome> runJobRound(Transport& transport, const HostIdentity& identity,
                                    const Clock& clock, IUpdateSession& session,
                                    const UpdateCollectionFactory& make_collection,
                                    const EventIdSource& new_event_id,
                                    const FreshReport& fresh_report,
                                    const AttachRestart& attach_restart = nullptr,
                                    JobOutbox* outbox = nullptr);

}  // namespace pk::winagent
