#pragma once

// Whether a job may start now, and if not, when. The server sends each job
// its window occurrences as UTC instants, so this needs no time-zone
// library and the agents on Linux and Windows run it unchanged.
//
// A server's job starts only inside an occurrence of its window, and only
// when the estimated install-and-restart time fits in what is left of it.
// A job that does not fit waits for the next occurrence that is long
// enough. A job whose estimate is longer than every occurrence it was sent
// can never fit and is unschedulable. Endpoints and emergency jobs start
// as soon as the deployment is available.

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace pk::deploy {

// A half-open span of time [start, end).
struct TimeSpan {
  SystemTime start{};
  SystemTime end{};
};

struct StartRequest {
  SystemTime available_at{};
  // True for a server's job outside an emergency: it must run inside one
  // of `windows`.
  bool window_bound = true;
  // Occurrences of the host's window, in any order. Unused when the job is
  // not window-bound.
  std::vector<TimeSpan> windows{};
  // How long the install and restart are expected to take.
  Elapsed estimate{};
};

enum class StartVerdict {
  kStartNow,
  // Wait until `at`; when `at` is empty, no occurrence sent is usable yet
  // (all end before the deployment is available), so ask again later.
  kWait,
  kUnschedulable,
};

struct StartDecision {
  StartVerdict verdict = StartVerdict::kWait;
  std::optional<SystemTime> at{};
  // One sentence for the job's event log.
  std::string reason{};
};

// Decides for `now`. An occurrence is usable from the later of its start
// and available_at. The job fits when the estimate is no longer than the
// usable rest of the occurrence. A zero or negative estimate fits any
// usable moment.
StartDecision decideStart(SystemTime now, const StartRequest& request);

}  // namespace pk::deploy
