#include "winagent/job_round.h"

#include <fmt/format.h>

#include "protocol/jobs.h"

namespace pk::winagent {
namespace {

// Posts one event. Returns false, with the reason in `problem`, when the
// job must not go on: the server cancelled it, rejected the event or could
// not be reached.
bool postEvent(Transport& transport, const HostIdentity& identity, const std::string& job_id,
               const protocol::JobEvent& event, std::string& problem) {
  auto response = transport.send(
      HttpRequest{"POST", fmt::format("/api/v1/hosts/{}/jobs/{}/events", identity.host_id, job_id),
                  protocol::toJson(event).dump(), identity.token});
  if (!response) {
    problem = fmt::format("Job {}: the {} event was not posted: {}", job_id,
                          deploy::jobStateName(event.state), response.error().message);
    return false;
  }
  if (response->status != 200) {
    problem = fmt::format("Job {}: the server rejected the {} event with HTTP status {}.", job_id,
                          deploy::jobStateName(event.state), response->status);
    return false;
  }
  auto accepted = protocol::parseJobEventResponse(response->body);
  if (!accepted) {
    problem = fmt::format("Job {}: {}", job_id, accepted.error().message);
    return false;
  }
  if (accepted->cancelled) {
    problem = fmt::format("Job {}: the server cancelled the job.", job_id);
    return false;
  }
  return true;
}

}  // namespace

Result<JobRoundOutcome> runJobRound(Transport& transport, const HostIdentity& identity,
                                    const Clock& clock, IUpdateSession& session,
                                    const UpdateCollectionFactory& make_collection,
                                    const EventIdSource& new_event_id,
                                    const FreshReport& fresh_report,
                                    const AttachRestart& attach_restart) {
  auto response = transport.send(HttpRequest{
      "GET", fmt::format("/api/v1/hosts/{}/jobs", identity.host_id), "", identity.token});
  if (!response) return tl::unexpected(response.error());
  if (response->status != 200) {
    return fail(ErrorCode::kIoError, fmt::format("Fetching the job list failed with HTTP "
                                                 "status {}.",
                                                 response->status));
  }
  auto list = protocol::parseJobList(response->body);
  if (!list) return tl::unexpected(list.error());

  JobRoundOutcome outcome;
  outcome.jobs = list->jobs.size();
  for (const auto& order : list->jobs) {
    if (order.state != deploy::JobState::kPending &&
        order.state != deploy::JobState::kWaitingForWindow) {
      continue;
    }
    std::string problem;
    auto sink = [&](const protocol::JobEvent& event) {
      if (!postEvent(transport, identity, order.job_id, event, problem)) return false;
      ++outcome.events_posted;
      return true;
    };
    const Elapsed started = clock.elapsed();
    UpdateJobRun run = runUpdateJob(order, clock, session, make_collection, new_event_id, sink);
    if (run.outcome) ++outcome.started;
    if (run.stopped) {
      outcome.problems.push_back(problem);
      continue;
    }
    if (run.events.empty() || run.events.back().state != deploy::JobState::kInstalled ||
        !run.outcome) {
      continue;
    }
    const bool endpoint_restart = run.outcome->restart_required &&
                                  order.restart.mode == protocol::RestartMode::kEndpoint &&
                                  attach_restart != nullptr;
    if (run.outcome->restart_required && !endpoint_restart) continue;

    // The server decides success from a report sent after the install; with
    // a restart pending, the report shows it.
    auto report_id = fresh_report();
    if (!report_id) {
      outcome.problems.push_back(fmt::format("Job {}: no fresh report after the install: {}",
                                             order.job_id, report_id.error().message));
      continue;
    }
    if (endpoint_restart) {
      if (auto attached = attach_restart(order); !attached) {
        outcome.problems.push_back(fmt::format("Job {}: the restart could not be scheduled: {}",
                                               order.job_id, attached.error().message));
        continue;
      }
      const protocol::JobEvent pending =
          newJobEvent(new_event_id, clock, deploy::JobState::kRestartPending,
                      "The approved KBs are installed; Windows requires a restart.");
      if (!sink(pending)) outcome.problems.push_back(problem);
      continue;
    }
    protocol::JobEvent verifying =
        newJobEvent(new_event_id, clock, deploy::JobState::kVerifying,
                    "The approved KBs are installed; the fresh report lists them.");
    verifying.report_id = *report_id;
    verifying.duration_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(clock.elapsed() - started).count();
    if (!sink(verifying)) outcome.problems.push_back(problem);
  }
  return outcome;
}

}  // namespace pk::winagent
