#pragma once

// The states of a job, one host's part of a deployment, and which moves an
// agent may report. The server keeps each job's state and an append-only
// event log; the agent reports progress, and the server alone decides the
// verdict (succeeded or failed after it checked the fresh inventory),
// cancels, and calls a job unschedulable.
//
//   pending -> waiting_for_window -> installing -> installed
//     -> restart_pending | restarting -> verifying -> succeeded
//   any state that is not final -> failed | cancelled
//   pending | waiting_for_window -> unschedulable

#include <optional>
#include <string_view>
#include <vector>

namespace pk::deploy {

enum class JobState {
  kPending,
  kWaitingForWindow,
  kInstalling,
  kInstalled,
  kRestartPending,
  kRestarting,
  kVerifying,
  kSucceeded,
  kFailed,
  kCancelled,
  kUnschedulable,
};

// Returns the state's name on the wire and in the database: "pending",
// "waiting_for_window", "installing", "installed", "restart_pending",
// "restarting", "verifying", "succeeded", "failed", "cancelled",
// "unschedulable".
std::string_view jobStateName(JobState state);

// Parses a name jobStateName() returns; nullopt for anything else.
std::optional<JobState> parseJobState(std::string_view name);

// Every state, in the order of the enum.
const std::vector<JobState>& allJobStates();

// Whether the job is over: succeeded, failed, cancelled or unschedulable.
bool isFinal(JobState state);

// Whether an agent may report `state` at all: the progress states and
// failed. The verdict, cancellation and unschedulable are the server's.
bool isAgentReportable(JobState state);

// Whether an agent's report of `to` is accepted for a job the server has in
// `from`. The job must not be final, `to` must be agent-reportable, and
// progress never goes back: a report of an earlier progress state than the
// current one is refused. Reporting the current state again is accepted
// (a new window occurrence, an agent resending after a crash), and so is
// failed from any state that is not final.
bool agentMayReport(JobState from, JobState to);

}  // namespace pk::deploy
