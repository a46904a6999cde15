#include "agent/job_scheduler.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "agent/log.h"
#include "deploy/window_fit.h"

namespace pk::agent {
namespace {

// The agent checks windows on its own clock, so beyond this difference from
// the server's clock it logs a warning to fix time synchronisation.
constexpr Elapsed kMaxClockSkew = std::chrono::minutes(5);

}  // namespace

Result<JobEntry> entryFromOrder(const protocol::JobOrder& order) {
  JobEntry entry;
  entry.job_id = order.job_id;
  entry.deployment_id = order.deployment_id;
  entry.endpoint = order.kind == protocol::JobHostKind::kEndpoint;
  switch (order.manager) {
    case protocol::JobManager::kApt:
      entry.manager = installer::Manager::kApt;
      break;
    case protocol::JobManager::kDnf:
      entry.manager = installer::Manager::kDnf;
      break;
    case protocol::JobManager::kApk:
      entry.manager = installer::Manager::kApk;
      break;
    case protocol::JobManager::kWindowsUpdate:
      return fail(ErrorCode::kUnsupported,
                  "this agent cannot install Windows updates; the job needs the Windows agent");
  }
  if (order.packages.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the job names no package to install");
  }
  for (const auto& package : order.packages) {
    entry.targets.push_back({.name = package.name, .version = package.version});
  }
  entry.restart_in_window = protocol::startRequestOf(order).window_bound;
  if (entry.restart_in_window) entry.restart_windows = order.windows;
  entry.restart_deadline_seconds = order.restart.deadline_seconds;
  entry.restart_countdown_seconds = order.restart.countdown_seconds;
  entry.restart_reminder_seconds = order.restart.reminder_seconds;
  entry.pre_hook = order.pre_hook.value_or("");
  entry.post_hook = order.post_hook.value_or("");
  return entry;
}

void JobScheduler::runCycle(const std::string& host_id) {
  runner_.setHostId(host_id);
  runner_.resumeAll();
  runner_.carryRestart();

  auto response = client_.fetchJobs(host_id);
  if (!response) {
    logger().warn("host={}: cannot fetch jobs: {}", host_id, response.error().message);
    return;
  }
  if (response->status != 200) {
    logger().warn("host={}: the server answered HTTP {} to the job list request", host_id,
                  response->status);
    return;
  }
  auto list = protocol::parseJobList(response->body);
  if (!list) {
    logger().error("host={}: the server's job list is invalid: {}", host_id, list.error().message);
    return;
  }

  const Elapsed skew = list->server_time > clock_.now() ? list->server_time - clock_.now()
                                                        : clock_.now() - list->server_time;
  if (skew > kMaxClockSkew) {
    logger().warn(
        "host={}: this host's clock differs from the server's by {} s; maintenance windows "
        "are checked on this host's clock, so fix its time synchronisation",
        host_id, std::chrono::duration_cast<std::chrono::seconds>(skew).count());
  }

  for (const auto& order : list->jobs) handleOrder(order);
  forgetUnlistedWaits(*list);
}

void JobScheduler::handleOrder(const protocol::JobOrder& order) {
  if (runner_.underway(order.job_id)) {
    runner_.refreshRestartWindows(order.job_id, order.windows);
    return;
  }
  // The server lists a job until it decides the verdict, so a job it shows
  // past waiting, with no journal entry here, ran already: its entry was
  // removed once the last event was acknowledged.
  if (order.state != deploy::JobState::kPending &&
      order.state != deploy::JobState::kWaitingForWindow) {
    return;
  }

  auto entry = entryFromOrder(order);
  if (!entry) {
    JobEntry rejected{.job_id = order.job_id, .deployment_id = order.deployment_id};
    runner_.failBeforeStart(std::move(rejected), entry.error().message);
    return;
  }

  const deploy::StartRequest request = protocol::startRequestOf(order);
  const deploy::StartDecision decision = deploy::decideStart(clock_.now(), request);
  switch (decision.verdict) {
    case deploy::StartVerdict::kStartNow:
      runner_.start(std::move(*entry));
      return;
    case deploy::StartVerdict::kWait:
      // Only a window-bound job waits for a window; another one waits for
      // the deployment to become available, which the server tracks.
      if (decision.at && request.window_bound) {
        runner_.noteWaiting(std::move(*entry), *decision.at);
      } else {
        logger().info("job={}: {}", order.job_id, decision.reason);
      }
      return;
    case deploy::StartVerdict::kUnschedulable:
      logger().warn("job={}: {}", order.job_id, decision.reason);
      return;
  }
}

void JobScheduler::forgetUnlistedWaits(const protocol::JobList& list) {
  auto entries = journal_.entries();
  if (!entries) return;
  for (const auto& entry : *entries) {
    if (entry.phase != JobPhase::kWaiting || !entry.unsent.empty()) continue;
    const bool listed = std::any_of(list.jobs.begin(), list.jobs.end(), [&](const auto& order) {
      return order.job_id == entry.job_id;
    });
    // The server lists every job that is not finished, so an unlisted one
    // was cancelled or finished while it waited.
    if (!listed) (void)journal_.remove(entry.job_id);
  }
}

}  // namespace pk::agent
