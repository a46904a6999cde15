#include "winagent/job_round.h"

#include <fmt/format.h>

#include "protocol/jobs.h"
#include "winagent/state_file.h"

namespace pk::winagent {
namespace {

enum class PostResult {
  kStored,
  kStop,   // the server cancelled the job or rejected the event
  kRetry,  // no response, or a server error: the event may be sent again
};

// Posts one event. Sets `problem` to the reason unless the server stored it.
PostResult postEvent(Transport& transport, const HostIdentity& identity, const std::string& job_id,
                     const protocol::JobEvent& event, std::string& problem) {
  auto response = transport.send(
      HttpRequest{"POST", fmt::format("/api/v1/hosts/{}/jobs/{}/events", identity.host_id, job_id),
                  protocol::toJson(event).dump(), identity.token});
  if (!response) {
    problem = fmt::format("Job {}: the {} event was not posted: {}", job_id,
                          deploy::jobStateName(event.state), response.error().message);
    return PostResult::kRetry;
  }
  if (response->status >= 500) {
    problem = fmt::format("Job {}: the server failed the {} event with HTTP status {}.", job_id,
                          deploy::jobStateName(event.state), response->status);
    return PostResult::kRetry;
  }
  if (response->status != 200) {
    problem = fmt::format("Job {}: the server rejected the {} event with HTTP status {}.", job_id,
                          deploy::jobStateName(event.state), response->status);
    return PostResult::kStop;
  }
  auto accepted = protocol::parseJobEventResponse(response->body);
  if (!accepted) {
    problem = fmt::format("Job {}: {}", job_id, accepted.error().message);
    return PostResult::kStop;
  }
  if (accepted->cancelled) {
    problem = fmt::format("Job {}: the server cancelled the job.", job_id);
    return PostResult::kStop;
  }
  return PostResult::kStored;
}

// Whether an event that could not be posted goes to the outbox. Events
// before the install are not queued: the job is still pending on the
// server, so the next round starts it again.
bool queuesWhenUnsent(deploy::JobState state) {
  return state != deploy::JobState::kInstalling && state != deploy::JobState::kWaitingForWindow;
}

}  // namespace

JobOutbox::JobOutbox(std::filesystem::path file) : file_(std::move(file)) {}

Result<std::vector<QueuedJobEvent>> JobOutbox::load() const {
  auto text = readStateFile(file_);
  if (!text) return tl::unexpected(text.error());
  if (!text->has_value()) return std::vector<QueuedJobEvent>{};
  return parseJobOutbox(**text, toUtf8(file_.wstring()));
}

Result<void> JobOutbox::save(const std::vector<QueuedJobEvent>& events) {
  std::vector<QueuedJobEvent> kept = events;
  if (kept.size() > kMaxQueuedJobEvents) {
    kept.erase(kept.begin(), kept.end() - static_cast<std::ptrdiff_t>(kMaxQueuedJobEvents));
  }
  return writeFileAtomically(file_, jobOutboxText(kept));
}

Result<OutboxFlush> flushJobOutbox(JobOutbox& outbox, Transport& transport,
                                   const HostIdentity& identity) {
  auto events = outbox.load();
  if (!events) return tl::unexpected(events.error());
  OutboxFlush flush;
  std::size_t next = 0;
  for (; next < events->size(); ++next) {
    const QueuedJobEvent& queued = (*events)[next];
    std::string problem;
    const PostResult posted = postEvent(transport, identity, queued.job_id, queued.event, problem);
    if (posted == PostResult::kRetry) {
      flush.problems.push_back(problem + " It stays queued.");
      break;
    }
    if (posted == PostResult::kStop) {
      flush.problems.push_back(problem + " It is dropped from the queue.");
      continue;
    }
    ++flush.posted;
  }
  flush.remaining.assign(events->begin() + static_cast<std::ptrdiff_t>(next), events->end());
  if (next > 0) {
    if (auto saved = outbox.save(flush.remaining); !saved) return tl::unexpected(saved.error());
  }
  return flush;
}

Result<JobRoundOutcome> runJobRound(Transport& transport, const HostIdentity& identity,
                                    const Clock& clock, IUpdateSession& session,
                                    const UpdateCollectionFactory& make_collection,
                                    const EventIdSource& new_event_id,
                                    const FreshReport& fresh_report,
                                    const AttachRestart& attach_restart, JobOutbox* outbox) {
  JobRoundOutcome outcome;
  std::vector<QueuedJobEvent> queued;
  if (outbox != nullptr) {
    auto flushed = flushJobOutbox(*outbox, transport, identity);
    if (!flushed) return tl::unexpected(flushed.error());
    outcome.events_posted += flushed->posted;
    outcome.problems = std::move(flushed->problems);
    queued = std::move(flushed->remaining);
  }

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

  outcome.jobs = list->jobs.size();
  for (const auto& order : list->jobs) {
    if (order.state != deploy::JobState::kPending &&
        order.state != deploy::JobState::kWaitingForWindow) {
      continue;
    }
    std::string problem;
    auto sink = [&](const protocol::JobEvent& event) {
      const PostResult posted = postEvent(transport, identity, order.job_id, event, problem);
      if (posted == PostResult::kStored) {
        ++outcome.events_posted;
        return true;
      }
      if (posted == PostResult::kStop || outbox == nullptr || !queuesWhenUnsent(event.state)) {
        return false;
      }
      // The event goes out at the next round, before anything else, and the
      // job goes on now: the install has happened either way.
      queued.push_back({order.job_id, event});
      if (auto saved = outbox->save(queued); !saved) {
        problem = saved.error().message;
        return false;
      }
      outcome.problems.push_back(problem + " It is queued and sent again at the next check-in.");
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
