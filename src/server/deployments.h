#pragma once

// The rules of deployments and jobs on the server.
//
// A deployment sends approved patches through a ring sequence on a schedule
// (available time, deadline). It starts in the first ring and moves to the
// next when the current ring's gate passes (deploy/gate.h). A failed gate
// halts it, logs it and raises the webhook event "deployment.halted". When
// a ring is entered, each active host of the ring's collection that needs
// one of the patches, and has no job in the deployment yet, gets a job.
// A host in several rings' collections is patched in the first of them.
//
// Servers' jobs run inside the host's maintenance window: the server sends
// the window's occurrences as UTC instants with the job, and the agent
// decides with deploy::decideStart. A job whose estimate (the 90th
// percentile of the host's past jobs, or the configured default) exceeds
// every occurrence, or whose server has no window, is unschedulable at
// once and counts as failed at the gate. Emergency deployments ignore
// windows, and activate only once a second admin approves them.
//
// Agents report progress as job events, each applied once by its id. The
// server decides the verdict when the agent reports "verifying" with the
// report that carried the fresh inventory: every target at or past its
// version, and no restart pending, makes the job succeeded; a pending
// restart makes it restart_pending; a target still below its version fails
// it.
//
// Every function that takes a Session runs inside the caller's transaction,
// sends nothing outside the database, and is safe to run again.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "deploy/gate.h"
#include "protocol/jobs.h"
#include "store/database.h"
#include "store/deployment_repository.h"

namespace pk::server {

inline constexpr std::string_view kDeploymentEventHalted = "deployment.halted";
inline constexpr std::string_view kDeploymentEventCompleted = "deployment.completed";
const std::vector<std::string>& deploymentEventNames();

struct RingSpec {
  std::string name;
  std::string collection;
  deploy::GateRule gate;
};

struct RingSequenceSpec {
  std::string id;
  std::string name;
  std::vector<RingSpec> rings;
};

// The packages or KBs that one host installs for a set of patches.
struct HostInstallPlan {
  protocol::JobManager manager = protocol::JobManager::kApt;
  std::vector<protocol::JobPackage> packages;
  std::vector<std::string> kbs;
  bool empty() const { return packages.empty() && kbs.empty(); }
};

enum class PatchStatus { kUnknown, kPending, kApproved, kDeclined };

// The restart policy and hooks of a host's collections, merged.
struct HostJobPolicy {
  protocol::JobRestart restart;
  std::optional<std::string> pre_hook;
  std::optional<std::string> post_hook;
};

// The lookups that deployments make in the patch catalog and collections.
struct DeploymentServices {
  std::function<Result<std::vector<std::string>>(store::Session&, const std::string& collection)>
      hosts_in_collection;
  std::function<Result<std::optional<RingSequenceSpec>>(store::Session&, const std::string& id)>
      ring_sequence;
  std::function<Result<PatchStatus>(store::Session&, const std::string& patch_id)> patch_status;
  std::function<Result<HostInstallPlan>(store::Session&, const std::string& host_id,
                                        const std::vector<std::string>& patch_ids)>
      install_plan;
  // Optional: defaults apply when empty.
  std::function<Result<HostJobPolicy>(store::Session&, const std::string& host_id)> host_policy;
  // Optional: the approved patch ids a deployment rule deploys, of one
  // ecosystem when given; approvedPatches() when empty.
  std::function<Result<std::vector<std::string>>(store::Session&,
                                                 const std::optional<std::string>& ecosystem)>
      approved_patches;
  // The estimate while a host has no finished job.
  Elapsed default_estimate = std::chrono::minutes(30);
};

// A request the rules turn down: HTTP status, a stable code, a sentence.
struct Rejection {
  int status = 400;
  std::string code;
  std::string message;
};

template <typename T>
using Outcome = std::variant<T, Rejection>;

struct DeploymentRequest {
  std::string name;
  std::vector<std::string> patch_ids;
  std::string ring_sequence = "default";
  SystemTime available_at{};
  SystemTime deadline{};
  std::optional<std::int64_t> restart_deadline_seconds;
  bool emergency = false;
  std::string reason;  // why, required for an emergency
  // The deployment rule that requests it, if any.
  std::optional<std::string> rule_id;
};

// Reads a POST /api/v1/deployments body: name, patches (ids), ring_sequence
// (default "default"), available_at (default now), deadline (RFC 3339,
// after available_at), restart_deadline_seconds (optional, positive),
// emergency (default false), reason (required for an emergency).
Outcome<DeploymentRequest> parseDeploymentRequest(const nlohmann::json& body, SystemTime now);

// Validates `request` and stores the deployment, its rings copied from the
// sequence, and its "created" event. Rejects an empty patch list, an
// unknown patch (404) and one not approved (409). Also rejects an unknown
// ring sequence, an impossible gate, a sequence that names a collection
// twice (it loops), and a deployment with no targets, where no active host
// in the rings' collections needs any of the patches. An emergency
// deployment waits in awaiting_approval. `actor` is "user:alice".
Result<Outcome<store::DeploymentRecord>> createDeployment(store::Session& session,
                                                          const DeploymentServices& services,
                                                          const DeploymentRequest& request,
                                                          const std::string& actor, SystemTime now);

// The second admin's approval of an emergency deployment. Rejects the
// creator (403), a deployment that is not awaiting approval (409), one
// with a patch no longer approved (409), and an unknown one (404).
Result<Outcome<store::DeploymentRecord>> approveDeployment(store::Session& session,
                                                           const DeploymentServices& services,
                                                           const std::string& id,
                                                           const std::string& actor,
                                                           SystemTime now);

// Cancels a deployment that is not finished, and its unfinished jobs.
Result<Outcome<store::DeploymentRecord>> cancelDeployment(store::Session& session,
                                                          const std::string& id,
                                                          const std::string& actor,
                                                          const std::string& reason,
                                                          SystemTime now);

struct AdvanceRound {
  std::size_t rings_entered = 0;
  std::size_t jobs_created = 0;
  std::vector<std::string> halted;     // deployment ids
  std::vector<std::string> completed;  // deployment ids
};

// One pass of orchestration at `now` over deployment `id`, when it is
// available and active or halted. First it settles the unfinished jobs
// that cannot move on alone:
//   - a revoked host's job is cancelled;
//   - a restart_pending job whose host no longer needs a restart is
//     verified again;
//   - a job not started by the deadline fails, and so does one started
//     but not confirmed within a day after it;
//   - a server job that no longer fits any window occurrence becomes
//     unschedulable.
// Then, for an active deployment, it enters rings, creates jobs, decides
// gates, and moves on, halts or completes.
Result<AdvanceRound> advanceDeployment(store::Session& session, const DeploymentServices& services,
                                       const std::string& id, SystemTime now);

// The ids of the deployments advanceDeployment() works on, oldest first.
Result<std::vector<std::string>> deploymentsToAdvance(store::Session& session);

// advanceDeployment() over every deployment of deploymentsToAdvance(), in
// one transaction; the server runs each in its own.
Result<AdvanceRound> advanceDeployments(store::Session& session, const DeploymentServices& services,
                                        SystemTime now);

// The host's unfinished jobs, as the agent receives them, with the next
// occurrences of its window and the restart policy of its collections,
// shortened by the deployment's own restart deadline.
Result<protocol::JobList> jobsForHost(store::Session& session, const DeploymentServices& services,
                                      const std::string& host_id, SystemTime now);

// Applies an agent's event to job `job_id` of host `host_id`. A repeated
// event id returns the job's current state and changes nothing. Rejects an
// unknown job or another host's (404), and a final job or a move backwards
// (409).
Result<Outcome<protocol::JobEventResponse>> recordJobEvent(store::Session& session,
                                                           const std::string& host_id,
                                                           const std::string& job_id,
                                                           const protocol::JobEvent& event,
                                                           SystemTime now);

nlohmann::json deploymentToJson(const store::DeploymentRecord& deployment);
nlohmann::json jobToJson(const store::JobRecord& job);

}  // namespace pk::server
