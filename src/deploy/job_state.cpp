#include "deploy/job_state.h"

#include <array>
#include <utility>

namespace pk::deploy {
namespace {

constexpr std::array<std::pair<JobState, std::string_view>, 11> kNames{{
    {JobState::kPending, "pending"},
    {JobState::kWaitingForWindow, "waiting_for_window"},
    {JobState::kInstalling, "installing"},
    {JobState::kInstalled, "installed"},
    {JobState::kRestartPending, "restart_pending"},
    {JobState::kRestarting, "restarting"},
    {JobState::kVerifying, "verifying"},
    {JobState::kSucceeded, "succeeded"},
    {JobState::kFailed, "failed"},
    {JobState::kCancelled, "cancelled"},
    {JobState::kUnschedulable, "unschedulable"},
}};

// The order of progress. restart_pending and restarting share a step: an
// endpoint waiting for its user's restart may still be restarted through
// the server's policy, and the reverse.
int progressStep(JobState state) {
  switch (state) {
    case JobState::kPending:
      return 0;
    case JobState::kWaitingForWindow:
      return 1;
    case JobState::kInstalling:
      return 2;
    case JobState::kInstalled:
      return 3;
    case JobState::kRestartPending:
    case JobState::kRestarting:
      return 4;
    case JobState::kVerifying:
      return 5;
    default:
      return 6;
  }
}

}  // namespace

std::string_view jobStateName(JobState state) {
  for (const auto& [value, name] : kNames) {
    if (value == state) return name;
  }
  return "unknown";
}

std::optional<JobState> parseJobState(std::string_view name) {
  for (const auto& [value, known] : kNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

const std::vector<JobState>& allJobStates() {
  static const std::vector<JobState> states = [] {
    std::vector<JobState> all;
    for (const auto& entry : kNames) all.push_back(entry.first);
    return all;
  }();
  return states;
}

bool isFinal(JobState state) {
  return state == JobState::kSucceeded || state == JobState::kFailed ||
         state == JobState::kCancelled || state == JobState::kUnschedulable;
}

bool isAgentReportable(JobState state) {
  return !isFinal(state) ? state != JobState::kPending : state == JobState::kFailed;
}

bool agentMayReport(JobState from, JobState to) {
  if (isFinal(from) || !isAgentReportable(to)) return false;
  if (to == JobState::kFailed) return true;
  return progressStep(to) >= progressStep(from);
}

}  // namespace pk::deploy
