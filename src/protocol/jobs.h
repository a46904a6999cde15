#pragma once

// The job messages of the agent protocol: what the server asks a host to
// install, and what the host reports back. Host token auth, JSON.
//
//   GET  /api/v1/hosts/{host_id}/jobs                   -> 200 JobList
//   POST /api/v1/hosts/{host_id}/jobs/{job_id}/events   JobEvent -> 200 JobEventResponse
//        409 when the job is final or the move is refused (stop working on
//        it), 404 for an unknown job, 400 for a malformed event.
//
// Times are UTC instants, so agents need no time-zone library: the server
// expands the host's maintenance window into occurrences. Each event
// carries an id chosen by the agent, and the server applies each id once,
// so an agent resends unacknowledged events after a crash unchanged.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "deploy/job_state.h"
#include "deploy/window_fit.h"

namespace pk::protocol {

inline constexpr std::size_t kMaxJobsPerList = 100;
inline constexpr std::size_t kMaxJobPackages = 10'000;
inline constexpr std::size_t kMaxJobWindows = 64;
// Captured installer output, as the agent keeps it (the last 256 KiB),
// plus room for a marker line.
inline constexpr std::size_t kMaxJobOutputBytes = 256 * 1024 + 1024;

// "server" or "endpoint", as hosts are.
enum class JobHostKind { kServer, kEndpoint };

// "apt", "dnf", "apk" or "windows-update".
enum class JobManager { kApt, kDnf, kApk, kWindowsUpdate };
std::string_view jobManagerName(JobManager manager);
std::optional<JobManager> parseJobManager(std::string_view name);

// "in-window": a server restarts inside its window, right after the
// install. "endpoint": the endpoint restart policy applies.
enum class RestartMode { kInWindow, kEndpoint };

struct JobRestart {
  RestartMode mode = RestartMode::kInWindow;
  std::int64_t deadline_seconds = 24 * 3600;
  std::int64_t countdown_seconds = 90 * 60;
  std::int64_t reminder_seconds = 4 * 3600;
};

struct JobPackage {
  std::string name;
  std::string version;  // in the manager's syntax
};

// One job, as the server sends it to its host.
struct JobOrder {
  std::string job_id;  // "j-" + 16 hex digits
  std::string deployment_id;
  std::string deployment_name;
  deploy::JobState state = deploy::JobState::kPending;
  JobHostKind kind = JobHostKind::kServer;
  bool emergency = false;
  SystemTime available_at{};
  SystemTime deadline{};
  std::vector<deploy::TimeSpan> windows;  // empty for endpoints and emergency jobs
  std::int64_t estimate_seconds = 30 * 60;
  JobManager manager = JobManager::kApt;
  std::vector<JobPackage> packages;
  std::vector<std::string> kbs;  // digits only
  std::optional<std::string> pre_hook;
  std::optional<std::string> post_hook;
  JobRestart restart;
};

// The StartRequest for deploy::decideStart() that `order` describes.
deploy::StartRequest startRequestOf(const JobOrder& order);

struct JobList {
  SystemTime server_time{};
  std::vector<JobOrder> jobs;
};

// A package the job changed: its version before and after ("" when it was
// not installed before, or removed).
struct PackageChange {
  std::string name;
  std::string from;
  std::string to;
};

struct JobEvent {
  std::string event_id;  // 32 lower-case hex digits, chosen by the agent
  SystemTime at{};
  deploy::JobState state = deploy::JobState::kInstalling;  // agent-reportable
  std::string message;
  std::string output;  // at most kMaxJobOutputBytes
  std::vector<PackageChange> packages;
  std::optional<std::string> report_id;  // the report with the fresh inventory
  std::optional<std::int64_t> duration_seconds;
  std::optional<SystemTime> next_window_start;
};

struct JobEventResponse {
  deploy::JobState state = deploy::JobState::kPending;  // the job's state after the event
  bool cancelled = false;
};

// Whether `text` is a job id: "j-" followed by 16 lower-case hex digits.
bool isJobId(std::string_view text);
// Whether `text` names a hook: 1 to 64 of [a-z0-9-].
bool isHookName(std::string_view text);

nlohmann::json toJson(const JobOrder& order);
nlohmann::json toJson(const JobList& list);
nlohmann::json toJson(const JobEvent& event);
nlohmann::json toJson(const JobEventResponse& response);

// Each parser fails with kMalformedInput naming the field, as the parsers
// in messages.h do. Beyond types: ids must have their form, states must be
// known (an event's state must be agent-reportable), hooks must be hook
// names, KBs digits, windows must end after they start, list lengths stay
// within the bounds above, and numbers within their ranges.
Result<JobOrder> parseJobOrder(std::string_view text);
Result<JobList> parseJobList(std::string_view text);
Result<JobEvent> parseJobEvent(std::string_view text);
Result<JobEventResponse> parseJobEventResponse(std::string_view text);

}  // namespace pk::protocol
