#pragma once

// Runs one "windows-update" job: decides with deploy::decideStart, from the
// UTC instants the server sent, whether the job may start now, and if so
// installs the approved KBs. Returns the job events to send, in order. The
// restart that follows an install (restart_pending and later) is not
// handled here.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <wuapi.h>

#include "common/clock.h"
#include "deploy/window_fit.h"
#include "protocol/jobs.h"
#include "winagent/update_installer.h"

namespace pk::winagent {

// Returns a new event id: 32 lower-case hex digits.
using EventIdSource = std::function<std::string()>;

// Event ids from the system's random number generator (BCryptGenRandom).
std::string randomEventId();

// Builds a job event with a new id, `clock`'s time, `state` and `message`.
protocol::JobEvent newJobEvent(const EventIdSource& new_event_id, const Clock& clock,
                               deploy::JobState state, std::string message);

// Receives each event as soon as it exists, before the next step runs.
// Returning false stops the job there (the server cancelled it or
// rejected the event).
using EventSink = std::function<bool(const protocol::JobEvent&)>;

struct UpdateJobRun {
  deploy::StartDecision decision;
  std::vector<protocol::JobEvent> events;
  std::optional<InstallOutcome> outcome;  // set when the install ran
  bool stopped = false;                   // the sink returned false
};

// Runs `order` at `clock`'s time:
//   - a job of another manager, or one without KBs, gets a failed event;
//   - a job that must wait gets a waiting_for_window event with the next
//     window start, when decideStart names one;
//   - an unschedulable job gets no event, because only the server marks a
//     job unschedulable;
//   - a job that may start gets an installing event, then installed when
//     every approved KB installed, or failed with each update's result in
//     the event's output. A failed search or install call is a failed event
//     too.
// Each event goes to `sink` when one is given; the installing event is
// sent before the installation starts.
UpdateJobRun runUpdateJob(const protocol::JobOrder& order, const Clock& clock,
                          IUpdateSession& session, const UpdateCollectionFactory& make_collection,
                          const EventIdSource& new_event_id, const EventSink& sink = nullptr);

}  // namespace pk::winagent
