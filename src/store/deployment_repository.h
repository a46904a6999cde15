#pragma once

// Deployments, their rings and patches, jobs (one per host and
// deployment), and the append-only event logs of both. The rules of
// states, gates and windows live in the server (server/deployments.h) and
// in deploy/; this layer stores what it is given.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

inline constexpr std::string_view kDeploymentAwaitingApproval = "awaiting_approval";
inline constexpr std::string_view kDeploymentActive = "active";
inline constexpr std::string_view kDeploymentHalted = "halted";
inline constexpr std::string_view kDeploymentCompleted = "completed";
inline constexpr std::string_view kDeploymentCancelled = "cancelled";

struct DeploymentRingRecord {
  std::int64_t position = 0;  // 0 for the first ring
  std::string name;
  std::string collection;
  std::int64_t min_soak_seconds = 0;
  double min_success_ratio = 1.0;
  std::int64_t max_failures = 0;
  std::optional<SystemTime> entered_at;
  std::optional<SystemTime> left_at;

  friend bool operator==(const DeploymentRingRecord&, const DeploymentRingRecord&) = default;
};

struct DeploymentRecord {
  std::string id;  // "d-" followed by 16 lower-case hex digits
  std::string name;
  std::string status = std::string(kDeploymentActive);
  bool emergency = false;
  std::string ring_sequence;
  SystemTime available_at{};
  SystemTime deadline{};
  // A restart deadline shorter than the collections' policy, if any.
  std::optional<std::int64_t> restart_deadline_seconds;
  std::int64_t current_ring = 0;
  std::string status_reason;  // why it halted or was cancelled
  std::string created_by;
  SystemTime created_at{};
  std::optional<std::string> approved_by;  // the second admin of an emergency
  std::optional<SystemTime> approved_at;
  std::optional<std::string> rule_id;  // the deployment rule that created it
  SystemTime updated_at{};
  std::vector<std::string> patch_ids;       // sorted
  std::vector<DeploymentRingRecord> rings;  // by position

  friend bool operator==(const DeploymentRecord&, const DeploymentRecord&) = default;
};

struct DeploymentFilter {
  std::optional<std::string> status;
  std::size_t limit = 100;
  std::size_t offset = 0;
};

struct DeploymentEventRecord {
  std::int64_t id = 0;
  std::string deployment_id;
  SystemTime at{};
  std::string kind;   // "created", "approved", "ring_entered", "gate_passed", "halted", ...
  std::string actor;  // "user:alice", "server"
  std::string message;
};

struct JobRecord {
  std::string id;  // "j-" followed by 16 lower-case hex digits
  std::string deployment_id;
  std::string host_id;
  std::int64_t ring_position = 0;
  std::string state;                 // deploy::jobStateName()
  std::string manager;               // protocol::jobManagerName()
  std::string packages_json = "[]";  // [{"name","version"}]
  std::string kbs_json = "[]";       // ["5066791"]
  std::optional<std::string> pre_hook;
  std::optional<std::string> post_hook;
  std::int64_t estimate_seconds = 0;
  std::optional<std::int64_t> duration_seconds;
  std::string message;  // the last event's message
  SystemTime created_at{};
  SystemTime updated_at{};
  std::optional<SystemTime> finished_at;

  friend bool operator==(const JobRecord&, const JobRecord&) = default;
};

struct JobEventRecord {
  std::int64_t id = 0;
  std::string job_id;
  std::string event_id;  // the agent's id, or a server-made one
  SystemTime at{};
  SystemTime received_at{};
  std::string source;  // "agent" or "server"
  std::string state;
  std::string message;
  std::string output;
  std::string packages_json = "[]";
  std::optional<std::string> report_id;
};

// Returns a new random deployment id ("d-...") or job id ("j-...").
std::string newDeploymentId();
std::string newJobId();

// Inserts the deployment with its patches and rings. Fails with
// kInvalidArgument when the id exists, or a rule already created a
// deployment for the same available_at.
Result<void> insertDeployment(Session& session, const DeploymentRecord& deployment);
Result<std::optional<DeploymentRecord>> getDeployment(Session& session, const std::string& id);
// Newest first.
Result<std::vector<DeploymentRecord>> listDeployments(Session& session,
                                                      const DeploymentFilter& filter);
// The deployments that are available before `to` and whose deadline is at
// or after `from`, by available_at and then id, at most `limit`, with
// their patches and rings: the calendar's deployments.
Result<std::vector<DeploymentRecord>> listDeploymentsOverlapping(Session& session, SystemTime from,
                                                                 SystemTime to, std::size_t limit);
// Writes status, status_reason, current_ring, approved_by, approved_at and
// updated_at. Fails with kNotFound for an unknown id.
// The ids of the unfinished deployments (awaiting approval, active or
// halted) that have a ring on `collection_id`, in id order.
Result<std::vector<std::string>> unfinishedDeploymentsUsingCollection(
    Session& session, const std::string& collection_id);
Result<void> updateDeploymentProgress(Session& session, const DeploymentRecord& deployment);
// Sets a ring's entered_at or left_at. Fails with kNotFound when the ring
// does not exist.
Result<void> setRingEntered(Session& session, const std::string& deployment_id,
                            std::int64_t position, SystemTime at);
Result<void> setRingLeft(Session& session, const std::string& deployment_id, std::int64_t position,
                         SystemTime at);

Result<void> appendDeploymentEvent(Session& session, const DeploymentEventRecord& event);
// Oldest first.
Result<std::vector<DeploymentEventRecord>> listDeploymentEvents(Session& session,
                                                                const std::string& deployment_id);

// Fails with kInvalidArgument when the host has a job in the deployment.
Result<void> insertJob(Session& session, const JobRecord& job);
Result<std::optional<JobRecord>> getJob(Session& session, const std::string& id);
// The host's jobs in `states` (every job when empty), oldest first.
Result<std::vector<JobRecord>> listJobsOfHost(Session& session, const std::string& host_id,
                                              const std::vector<std::string>& states = {});
// The deployment's jobs, in ring order and then by host id.
Result<std::vector<JobRecord>> listJobsOfDeployment(Session& session,
                                                    const std::string& deployment_id);
// A job with the name of its host, for pages that list jobs.
struct JobWithHostname {
  JobRecord job;
  std::string hostname;  // "" when the host no longer exists
};
// As listJobsOfDeployment(), with each job's host name, read in the same
// query (a join), not one query per host.
Result<std::vector<JobWithHostname>> listJobsOfDeploymentWithHostnames(
    Session& session, const std::string& deployment_id);
// The number of the deployment's jobs in each state in one ring.
Result<std::map<std::string, std::int64_t>> countJobStates(Session& session,
                                                           const std::string& deployment_id,
                                                           std::int64_t ring_position);
// Writes state, message, duration_seconds, updated_at and finished_at.
// Fails with kNotFound for an unknown id.
Result<void> updateJobState(Session& session, const JobRecord& job);
// Sets the job's packages_json, kbs_json and updated_at. Fails with
// kNotFound for an unknown id.
Result<void> updateJobTargets(Session& session, const JobRecord& job);
// The duration_seconds of the host's most recent succeeded jobs, at most
// `limit`, oldest first.
Result<std::vector<std::int64_t>> recentJobDurations(Session& session, const std::string& host_id,
                                                     std::size_t limit);

// Whether the job has an event with `event_id`.
Result<bool> jobEventExists(Session& session, const std::string& job_id,
                            const std::string& event_id);
// How many events the job has from `source` ("agent" or "server"), not
// counting those in state `except_state`.
Result<std::int64_t> countJobEvents(Session& session, const std::string& job_id,
                                    const std::string& source, const std::string& except_state);
// Appends the event unless the job has one with the same event_id. Returns
// whether it was appended.
Result<bool> appendJobEvent(Session& session, const JobEventRecord& event);
// Oldest first.
Result<std::vector<JobEventRecord>> listJobEvents(Session& session, const std::string& job_id);

}  // namespace pk::store
