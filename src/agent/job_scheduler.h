#pragma once

// The job part of a check-in: after the reports are delivered, the agent
// finishes what its journal shows under way, fetches the host's jobs, and
// decides for each with deploy::decideStart on the agent's clock:
//   - start now: the job runs at once (JobRunner::start);
//   - wait for an occurrence: "waiting_for_window" is sent once per
//     occurrence, with its start;
//   - anything else (no usable occurrence yet, or unschedulable, which the
//     server decides and reports): nothing happens.
// A server's job thus never starts outside an occurrence of its window, nor
// when its estimate does not fit in what is left of that occurrence.
// Endpoint and emergency jobs start once the deployment is available. Only
// a job the server has in "pending" or "waiting_for_window" is started.

#include <string>

#include "agent/job_journal.h"
#include "agent/job_runner.h"
#include "common/clock.h"
#include "common/error.h"
#include "protocol/api_client.h"
#include "protocol/jobs.h"

namespace pk::agent {

// Returns the journal entry that starts `order`. Fails with kUnsupported
// for a manager this agent cannot run (windows-update on Linux) and with
// kInvalidArgument for an order that names no package.
Result<JobEntry> entryFromOrder(const protocol::JobOrder& order);

class JobScheduler {
 public:
  // Every reference must outlive the scheduler. `client` carries the host
  // token, set by the check-in agent.
  JobScheduler(JobRunner& runner, JobJournal& journal, protocol::ApiClient& client,
               const Clock& clock)
      : runner_(runner), journal_(journal), client_(client), clock_(clock) {}

  // Runs the job part of one check-in for `host_id`. Errors are logged.
  void runCycle(const std::string& host_id);

 private:
  void handleOrder(const protocol::JobOrder& order);
  void forgetUnlistedWaits(const protocol::JobList& list);

  JobRunner& runner_;
  JobJournal& journal_;
  protocol::ApiClient& client_;
  const Clock& clock_;
};

}  // namespace pk::agent
