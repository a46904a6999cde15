#include "server/deployments.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "deploy/estimate.h"
#include "deploy/window_fit.h"
#include "server/calendar.h"
#include "server/window_assignment.h"
#include "store/audit_repository.h"
#include "store/host_repository.h"
#include "store/inventory_repository.h"
#include "store/report_receipt_repository.h"
#include "store/webhook_repository.h"
#include "store/window_repository.h"
#include "version/version.h"

namespace pk::server {
namespace {

using json = nlohmann::json;
using deploy::JobState;

// How many occurrences of a server's window a job carries, and how many the
// server checks before calling a job unschedulable.
constexpr std::size_t kWindowsPerJob = 8;
constexpr std::size_t kEstimateHistory = deploy::kEstimateSamples;
// The maximum number of patches per deployment, and the maximum name length.
constexpr std::size_t kMaxPatchesPerDeployment = 10'000;
constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxReasonBytes = 4096;

Rejection reject(int status, std::string code, std::string message) {
  return Rejection{status, std::move(code), std::move(message)};
}

std::string stateName(JobState state) {
  return std::string(deploy::jobStateName(state));
}

Result<void> audit(store::Session& session, const std::string& actor, std::string_view action,
                   const std::string& object_id, const json& before, const json& after,
                   SystemTime now) {
  store::AuditEvent event;
  event.at = now;
  event.actor = actor;
  event.action = std::string(action);
  event.object_type = object_id.starts_with("j-") ? "job" : "deployment";
  event.object_id = object_id;
  event.before_json = before.is_null() ? "" : before.dump();
  event.after_json = after.is_null() ? "" : after.dump();
  auto appended = store::appendAuditEvent(session, event);
  if (!appended) return tl::unexpected(appended.error());
  return {};
}

Result<void> logDeployment(store::Session& session, const std::string& deployment_id,
                           std::string kind, const std::string& actor, std::string message,
                           SystemTime now) {
  return store::appendDeploymentEvent(session, {.deployment_id = deployment_id,
                                                .at = now,
                                                .kind = std::move(kind),
                                                .actor = actor,
                                                .message = std::move(message)});
}

Result<void> notify(store::Session& session, std::string_view event,
                    const store::DeploymentRecord& deployment, SystemTime now) {
  const json payload = {{"event", event},
                        {"occurred_at", formatRfc3339(now)},
                        {"deployment", deploymentToJson(deployment)}};
  auto enqueued = store::enqueueWebhookEvent(session, event, payload.dump(), now);
  if (!enqueued) return tl::unexpected(enqueued.error());
  return {};
}

std::optional<std::string> stringField(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return std::string("\x01");
  return it->get<std::string>();
}

bool isPatchId(std::string_view text) {
  return text.size() == 18 && text.starts_with("p-") &&
         std::all_of(text.begin() + 2, text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Rejection fieldRejection(std::string_view field, std::string_view problem) {
  return reject(400, "invalid_field", fmt::format("Field \"{}\": {}", field, problem));
}

// The occurrences of the host's window from `now` on: the open one, if
// any, then the next ones. Empty when the server has no window.
Result<std::vector<deploy::TimeSpan>> windowSpans(store::Session& session,
                                                  const std::string& host_id, SystemTime now) {
  auto window_id = currentWindowOf(session, host_id, now);
  if (!window_id) return tl::unexpected(window_id.error());
  if (!*window_id) return std::vector<deploy::TimeSpan>{};
  auto window = store::getWindow(session, **window_id);
  if (!window) return tl::unexpected(window.error());
  if (!*window) return std::vector<deploy::TimeSpan>{};
  auto rule = windowRuleOf(**window);
  if (!rule) return tl::unexpected(rule.error());

  std::vector<deploy::TimeSpan> spans;
  auto open = rule->currentOccurrence(now);
  if (!open) return tl::unexpected(open.error());
  if (*open) spans.push_back({(*open)->start, (*open)->end});
  auto next = rule->firstOccurrences(now, kWindowsPerJob);
  if (!next) return tl::unexpected(next.error());
  for (const auto& occurrence : *next) {
    if (spans.size() >= kWindowsPerJob) break;
    if (!spans.empty() && spans.front().start == occurrence.start) continue;
    spans.push_back({occurrence.start, occurrence.end});
  }
  return spans;
}

Result<Elapsed> estimateFor(store::Session& session, const std::string& host_id, Elapsed fallback) {
  auto durations = store::recentJobDurations(session, host_id, kEstimateHistory);
  if (!durations) return tl::unexpected(durations.error());
  std::vector<Elapsed> samples;
  for (std::int64_t seconds : *durations) samples.push_back(std::chrono::seconds(seconds));
  return deploy::estimateJobDuration(samples, fallback);
}

json packagesJson(const std::vector<protocol::JobPackage>& packages) {
  json list = json::array();
  for (const auto& package : packages) {
    list.push_back({{"name", package.name}, {"version", package.version}});
  }
  return list;
}

std::vector<protocol::JobPackage> packagesFromJson(const std::string& text) {
  std::vector<protocol::JobPackage> packages;
  const json list = json::parse(text, nullptr, false);
  if (!list.is_array()) return packages;
  for (const auto& item : list) {
    if (item.is_object() && item.value("name", json()).is_string() &&
        item.value("version", json()).is_string()) {
      packages.push_back({item["name"].get<std::string>(), item["version"].get<std::string>()});
    }
  }
  return packages;
}

std::vector<std::string> stringsFromJson(const std::string& text) {
  std::vector<std::string> strings;
  const json list = json::parse(text, nullptr, false);
  if (!list.is_array()) return strings;
  for (const auto& item : list) {
    if (item.is_string()) strings.push_back(item.get<std::string>());
  }
  return strings;
}

Result<HostJobPolicy> policyFor(store::Session& session, const DeploymentServices& services,
                                const std::string& host_id) {
  if (!services.host_policy) return HostJobPolicy{};
  return services.host_policy(session, host_id);
}

// The deployment's patches that are still approved, in its order.
Result<std::vector<std::string>> approvedPatches(store::Session& session,
                                                 const DeploymentServices& services,
                                                 const store::DeploymentRecord& deployment) {
  std::vector<std::string> approved;
  for (const std::string& patch_id : deployment.patch_ids) {
    auto status = services.patch_status(session, patch_id);
    if (!status) return tl::unexpected(status.error());
    if (*status == PatchStatus::kApproved) approved.push_back(patch_id);
  }
  return approved;
}

// Creates the jobs of ring `position` for the hosts of its collection that
// have none in the deployment yet, and returns how many. It runs when the
// ring is entered and on every later round while the ring is current, so
// hosts that join the collection meanwhile get a job. `entering` is true
// on the first run, which logs what it leaves out.
Result<std::size_t> createRingJobs(store::Session& session, const DeploymentServices& services,
                                   const store::DeploymentRecord& deployment, std::int64_t position,
                                   SystemTime now, bool entering) {
  const auto& ring = deployment.rings.at(static_cast<std::size_t>(position));
  // A collection deleted since the deployment was created has no hosts.
  auto hosts = services.hosts_in_collection(session, ring.collection);
  if (!hosts && hosts.error().code != ErrorCode::kNotFound) return tl::unexpected(hosts.error());
  if (!hosts) {
    if (!entering) return std::size_t{0};
    auto logged =
        logDeployment(session, deployment.id, "ring_empty", "server",
                      fmt::format("collection {} no longer exists, so ring {} has no hosts",
                                  ring.collection, position + 1),
                      now);
    if (!logged) return tl::unexpected(logged.error());
    return std::size_t{0};
  }

  // A patch declined after the deployment was created is not installed.
  auto approved_patches = approvedPatches(session, services, deployment);
  if (!approved_patches) return tl::unexpected(approved_patches.error());
  const std::vector<std::string>& approved = *approved_patches;
  if (entering && approved.size() < deployment.patch_ids.size()) {
    auto logged = logDeployment(
        session, deployment.id, "patches_withdrawn", "server",
        fmt::format("{} of the deployment's {} patches are no longer approved and are left out",
                    deployment.patch_ids.size() - approved.size(), deployment.patch_ids.size()),
        now);
    if (!logged) return tl::unexpected(logged.error());
  }
  if (approved.empty()) return std::size_t{0};

  auto existing = store::listJobsOfDeployment(session, deployment.id);
  if (!existing) return tl::unexpected(existing.error());
  std::set<std::string> has_job;
  for (const auto& job : *existing) has_job.insert(job.host_id);

  std::size_t created = 0;
  for (const std::string& host_id : *hosts) {
    if (has_job.contains(host_id)) continue;
    auto host = store::getHost(session, host_id);
    if (!host) return tl::unexpected(host.error());
    if (!*host || (*host)->status != "active") continue;
    auto plan = services.install_plan(session, host_id, approved);
    if (!plan) return tl::unexpected(plan.error());
    if (plan->empty()) continue;
    // A host whose collections name different hooks gets a failed job with
    // that message, so no hook runs that an administrator did not choose.
    auto policy = policyFor(session, services, host_id);
    if (!policy && policy.error().code != ErrorCode::kInvalidArgument) {
      return tl::unexpected(policy.error());
    }
    auto estimate = estimateFor(session, host_id, services.default_estimate);
    if (!estimate) return tl::unexpected(estimate.error());

    store::JobRecord job;
    job.id = store::newJobId();
    job.deployment_id = deployment.id;
    job.host_id = host_id;
    job.ring_position = position;
    job.state = stateName(JobState::kPending);
    job.manager = std::string(protocol::jobManagerName(plan->manager));
    job.packages_json = packagesJson(plan->packages).dump();
    job.kbs_json = json(plan->kbs).dump();
    if (policy) {
      job.pre_hook = policy->pre_hook;
      job.post_hook = policy->post_hook;
    }
    job.estimate_seconds = std::chrono::duration_cast<std::chrono::seconds>(*estimate).count();
    job.message = fmt::format("waiting for the host in ring {} ({})", position + 1, ring.name);
    job.created_at = now;
    job.updated_at = now;

    if (!policy) {
      job.state = stateName(JobState::kFailed);
      job.message = policy.error().message;
      job.finished_at = now;
    } else if ((*host)->kind == "server" && !deployment.emergency) {
      auto spans = windowSpans(session, host_id, now);
      if (!spans) return tl::unexpected(spans.error());
      const auto fit = deploy::decideStart(
          now, {.available_at = deployment.available_at, .windows = *spans, .estimate = *estimate});
      if (fit.verdict == deploy::StartVerdict::kUnschedulable) {
        job.state = stateName(JobState::kUnschedulable);
        job.message = fit.reason;
        job.finished_at = now;
      }
    }
    if (auto inserted = store::insertJob(session, job); !inserted)
      return tl::unexpected(inserted.error());
    auto logged = store::appendJobEvent(session, {.job_id = job.id,
                                                  .event_id = "server-created",
                                                  .at = now,
                                                  .received_at = now,
                                                  .source = "server",
                                                  .state = job.state,
                                                  .message = job.message,
                                                  .output = "",
                                                  .packages_json = job.packages_json});
    if (!logged) return tl::unexpected(logged.error());
    has_job.insert(host_id);
    ++created;
  }
  return created;
}

Result<deploy::RingTally> tallyRing(store::Session& session,
                                    const store::DeploymentRecord& deployment,
                                    std::int64_t position, SystemTime entered_at) {
  auto counts = store::countJobStates(session, deployment.id, position);
  if (!counts) return tl::unexpected(counts.error());
  deploy::RingTally tally{.entered_at = entered_at};
  for (const auto& [name, count] : *counts) {
    const auto state = deploy::parseJobState(name);
    if (state == JobState::kCancelled) continue;
    tally.jobs += count;
    if (state == JobState::kSucceeded) tally.succeeded += count;
    if (state == JobState::kFailed || state == JobState::kUnschedulable) tally.failed += count;
  }
  return tally;
}

// Decides the verdict of a job whose agent reported the fresh inventory.
Result<void> verify(store::Session& session, store::JobRecord& job, SystemTime now) {
  auto host = store::getHost(session, job.host_id);
  if (!host) return tl::unexpected(host.error());
  auto inventory = store::loadInventory(session, job.host_id);
  if (!inventory) return tl::unexpected(inventory.error());
  if (!*host || !*inventory) {
    job.state = stateName(JobState::kFailed);
    job.message = "the server has no inventory of the host to verify the install with";
    job.finished_at = now;
    return {};
  }
  std::vector<std::string> missing;
  for (const auto& target : packagesFromJson(job.packages_json)) {
    const auto installed = std::find_if(
        (*inventory)->packages.begin(), (*inventory)->packages.end(),
        [&](const inventory::Package& package) { return package.name == target.name; });
    if (installed == (*inventory)->packages.end()) {
      missing.push_back(fmt::format("{} is not installed", target.name));
      continue;
    }
    if (!installed->state.empty() && installed->state != "installed") {
      missing.push_back(fmt::format("{} is {}, not installed", target.name, installed->state));
      continue;
    }
    auto order = version::compare((*inventory)->scheme, installed->version, target.version);
    if (!order || *order < 0) {
      missing.push_back(
          fmt::format("{} is at {}, below {}", target.name, installed->version, target.version));
    }
  }
  const auto kbs = stringsFromJson(job.kbs_json);
  for (const std::string& kb : kbs) {
    const bool present =
        (*inventory)->windows && std::binary_search((*inventory)->windows->installed_kbs.begin(),
                                                    (*inventory)->windows->installed_kbs.end(), kb);
    if (!present) missing.push_back(fmt::format("KB{} is not installed", kb));
  }
  if (!missing.empty()) {
    job.state = stateName(JobState::kFailed);
    job.message = fmt::format("after the install, {}", fmt::join(missing, "; "));
    job.finished_at = now;
  } else if ((*host)->restart_required) {
    job.state = stateName(JobState::kRestartPending);
    job.message = "installed; the host needs a restart";
  } else {
    job.state = stateName(JobState::kSucceeded);
    job.message = "installed and verified by the host's fresh inventory";
    job.finished_at = now;
  }
  return {};
}

// The maximum number of agent events in a job's log. An agent that repeats
// a state, each time with up to 256 KiB of output, fails its job here.
constexpr std::int64_t kMaxJobEvents = 200;

// A job's grace after the deployment's deadline to report what it started.
constexpr Elapsed kDeadlineGrace = std::chrono::hours(24);

// Moves `job` to `state` with `message`, and logs it as a server event.
Result<void> settleJob(store::Session& session, store::JobRecord& job, JobState state,
                       std::string message, SystemTime now) {
  job.state = stateName(state);
  job.message = std::move(message);
  job.updated_at = now;
  if (deploy::isFinal(state)) job.finished_at = now;
  if (auto saved = store::updateJobState(session, job); !saved) return saved;
  auto logged = store::appendJobEvent(
      session, {.job_id = job.id,
                .event_id = fmt::format("server-{}-{}", job.state, store::timeToColumn(now)),
                .at = now,
                .received_at = now,
                .source = "server",
                .state = job.state,
                .message = job.message,
                .output = "",
                .packages_json = "[]"});
  if (!logged) return tl::unexpected(logged.error());
  return {};
}

// Narrows a job that has not started to the deployment's patches that are
// still approved. Returns false when the job was cancelled because none of
// its packages is left.
Result<bool> retarget(store::Session& session, const DeploymentServices& services,
                      store::JobRecord& job, const std::vector<std::string>& approved,
                      SystemTime now) {
  HostInstallPlan plan;
  if (!approved.empty()) {
    auto planned = services.install_plan(session, job.host_id, approved);
    if (!planned) return tl::unexpected(planned.error());
    plan = std::move(*planned);
  }
  if (plan.empty()) {
    auto settled =
        settleJob(session, job, JobState::kCancelled, "its patches are no longer approved", now);
    if (!settled) return tl::unexpected(settled.error());
    return false;
  }
  const std::string packages = packagesJson(plan.packages).dump();
  const std::string kbs = json(plan.kbs).dump();
  if (packages == job.packages_json && kbs == job.kbs_json) return true;
  job.packages_json = packages;
  job.kbs_json = kbs;
  job.updated_at = now;
  if (auto saved = store::updateJobTargets(session, job); !saved)
    return tl::unexpected(saved.error());
  auto logged = store::appendJobEvent(
      session, {.job_id = job.id,
                .event_id = fmt::format("server-retargeted-{}", store::timeToColumn(now)),
                .at = now,
                .received_at = now,
                .source = "server",
                .state = job.state,
                .message = "a patch was declined, so the job installs only the approved ones",
                .output = "",
                .packages_json = job.packages_json});
  if (!logged) return tl::unexpected(logged.error());
  return true;
}

// Settles the deployment's unfinished jobs that can no longer move on
// their own: a revoked host's, a restart that happened, a deadline that
// passed, and a server job whose window no longer fits it.
Result<void> reviewJobs(store::Session& session, const DeploymentServices& services,
                        const store::DeploymentRecord& deployment, SystemTime now) {
  auto jobs = store::listJobsOfDeployment(session, deployment.id);
  if (!jobs) return tl::unexpected(jobs.error());
  auto approved = approvedPatches(session, services, deployment);
  if (!approved) return tl::unexpected(approved.error());
  const bool withdrawn = approved->size() < deployment.patch_ids.size();
  for (store::JobRecord job : *jobs) {
    const JobState state = deploy::parseJobState(job.state).value_or(JobState::kFailed);
    if (deploy::isFinal(state)) continue;
    auto host = store::getHost(session, job.host_id);
    if (!host) return tl::unexpected(host.error());
    if (!*host || (*host)->status != "active") {
      if (auto settled = settleJob(session, job, JobState::kCancelled, "the host was revoked", now);
          !settled) {
        return settled;
      }
      continue;
    }
    if (state == JobState::kRestartPending && !(*host)->restart_required) {
      const std::string before = job.state;
      if (auto verified = verify(session, job, now); !verified) return verified;
      if (job.state != before) {
        if (auto settled =
                settleJob(session, job, *deploy::parseJobState(job.state), job.message, now);
            !settled) {
          return settled;
        }
      }
      continue;
    }
    const bool not_started = state == JobState::kPending || state == JobState::kWaitingForWindow;
    if (not_started && withdrawn) {
      auto retargeted = retarget(session, services, job, *approved, now);
      if (!retargeted) return tl::unexpected(retargeted.error());
      if (!*retargeted) continue;
    }
    if (not_started && now >= deployment.deadline) {
      if (auto settled = settleJob(session, job, JobState::kFailed,
                                   "the deployment's deadline passed before the job started", now);
          !settled) {
        return settled;
      }
      continue;
    }
    if (!not_started && now >= deployment.deadline + kDeadlineGrace) {
      if (auto settled = settleJob(
              session, job, JobState::kFailed,
              fmt::format("the host did not confirm the install within {} h of the deadline",
                          std::chrono::duration_cast<std::chrono::hours>(kDeadlineGrace).count()),
              now);
          !settled) {
        return settled;
      }
      continue;
    }
    if (not_started && (*host)->kind == "server" && !deployment.emergency) {
      auto spans = windowSpans(session, job.host_id, now);
      if (!spans) return tl::unexpected(spans.error());
      const auto fit =
          deploy::decideStart(now, {.available_at = deployment.available_at,
                                    .windows = *spans,
                                    .estimate = std::chrono::seconds(job.estimate_seconds)});
      if (fit.verdict == deploy::StartVerdict::kUnschedulable) {
        if (auto settled = settleJob(session, job, JobState::kUnschedulable, fit.reason, now);
            !settled) {
          return settled;
        }
      }
    }
  }
  return {};
}

// Halts `deployment` with `reason`: nothing new starts, and the event log,
// the audit log and the webhook subscribers learn why.
Result<void> halt(store::Session& session, store::DeploymentRecord& deployment, std::string reason,
                  SystemTime now, AdvanceRound& round) {
  deployment.status = std::string(store::kDeploymentHalted);
  deployment.status_reason = std::move(reason);
  deployment.updated_at = now;
  if (auto saved = store::updateDeploymentProgress(session, deployment); !saved) return saved;
  if (auto logged =
          logDeployment(session, deployment.id, "halted", "server", deployment.status_reason, now);
      !logged) {
    return logged;
  }
  auto audited = audit(session, "system", "deployment.halt", deployment.id, json(),
                       deploymentToJson(deployment), now);
  if (!audited) return audited;
  round.halted.push_back(deployment.id);
  return notify(session, kDeploymentEventHalted, deployment, now);
}

// Moves one deployment as far as it can go at `now`.
Result<void> advanceOne(store::Session& session, const DeploymentServices& services,
                        store::DeploymentRecord& deployment, SystemTime now, AdvanceRound& round) {
  auto approved = approvedPatches(session, services, deployment);
  if (!approved) return tl::unexpected(approved.error());
  if (approved->empty()) {
    return halt(session, deployment, "none of the deployment's patches is approved any more", now,
                round);
  }
  while (true) {
    const std::int64_t position = deployment.current_ring;
    auto& ring = deployment.rings.at(static_cast<std::size_t>(position));
    if (ring.entered_at) {
      auto joined = createRingJobs(session, services, deployment, position, now, false);
      if (!joined) return tl::unexpected(joined.error());
      round.jobs_created += *joined;
      if (*joined > 0) {
        auto logged = logDeployment(session, deployment.id, "hosts_joined", "server",
                                    fmt::format("{} hosts joined ring {} ({}) and got jobs",
                                                *joined, position + 1, ring.name),
                                    now);
        if (!logged) return logged;
      }
    } else {
      auto created = createRingJobs(session, services, deployment, position, now, true);
      if (!created) return tl::unexpected(created.error());
      if (auto entered = store::setRingEntered(session, deployment.id, position, now); !entered) {
        return entered;
      }
      ring.entered_at = now;
      round.jobs_created += *created;
      ++round.rings_entered;
      auto logged = logDeployment(
          session, deployment.id, "ring_entered", "server",
          fmt::format("entered ring {} ({}) with {} jobs", position + 1, ring.name, *created), now);
      if (!logged) return logged;
    }

    auto tally = tallyRing(session, deployment, position, *ring.entered_at);
    if (!tally) return tl::unexpected(tally.error());
    const deploy::GateRule rule{.min_soak = std::chrono::seconds(ring.min_soak_seconds),
                                .min_success_ratio = ring.min_success_ratio,
                                .max_failures = ring.max_failures};
    const bool last = static_cast<std::size_t>(position) + 1 == deployment.rings.size();
    if (last) {
      // The last ring has no ring to open, so only its failure limits
      // count, and they halt the deployment as soon as they are missed.
      deploy::GateRule limits = rule;
      limits.min_soak = Elapsed::zero();
      const auto finished = deploy::evaluateGate(limits, *tally, now);
      if (finished.verdict != deploy::GateVerdict::kFailed &&
          tally->jobs > tally->succeeded + tally->failed) {
        return {};
      }
      if (finished.verdict == deploy::GateVerdict::kFailed) {
        if (auto left = store::setRingLeft(session, deployment.id, position, now); !left) {
          return left;
        }
        ring.left_at = now;
        return halt(session, deployment,
                    fmt::format("the last ring {} ({}) missed its failure limits: {}", position + 1,
                                ring.name, finished.reason),
                    now, round);
      }
      deployment.status = std::string(store::kDeploymentCompleted);
      deployment.status_reason =
          fmt::format("{} of {} jobs in the last ring succeeded", tally->succeeded, tally->jobs);
      deployment.updated_at = now;
      if (auto left = store::setRingLeft(session, deployment.id, position, now); !left) return left;
      ring.left_at = now;
      if (auto saved = store::updateDeploymentProgress(session, deployment); !saved) return saved;
      if (auto logged = logDeployment(session, deployment.id, "completed", "server",
                                      deployment.status_reason, now);
          !logged) {
        return logged;
      }
      round.completed.push_back(deployment.id);
      return notify(session, kDeploymentEventCompleted, deployment, now);
    }

    const auto gate = deploy::evaluateGate(rule, *tally, now);
    if (gate.verdict == deploy::GateVerdict::kWaiting) return {};
    if (gate.verdict == deploy::GateVerdict::kFailed) {
      return halt(
          session, deployment,
          fmt::format("the gate of ring {} ({}) failed: {}", position + 1, ring.name, gate.reason),
          now, round);
    }

    if (auto left = store::setRingLeft(session, deployment.id, position, now); !left) return left;
    ring.left_at = now;
    if (auto logged = logDeployment(session, deployment.id, "gate_passed", "server",
                                    fmt::format("the gate of ring {} ({}) passed: {}", position + 1,
                                                ring.name, gate.reason),
                                    now);
        !logged) {
      return logged;
    }
    deployment.current_ring = position + 1;
    deployment.updated_at = now;
    if (auto saved = store::updateDeploymentProgress(session, deployment); !saved) return saved;
  }
}

Rejection notFound(const std::string& id) {
  return reject(404, "not_found", fmt::format("No deployment {} exists.", id));
}

}  // namespace

const std::vector<std::string>& deploymentEventNames() {
  static const std::vector<std::string> names = {std::string(kDeploymentEventHalted),
                                                 std::string(kDeploymentEventCompleted)};
  return names;
}

Outcome<DeploymentRequest> parseDeploymentRequest(const json& body, SystemTime now) {
  if (!body.is_object()) return reject(400, "not_an_object", "Expected a JSON object.");
  static const std::set<std::string> kFields = {
      "name",     "patches",   "ring_sequence", "available_at",
      "deadline", "emergency", "reason",        "restart_deadline_seconds"};
  for (const auto& [key, value] : body.items()) {
    if (!kFields.contains(key)) {
      return fieldRejection(key,
                            "unknown field; a deployment takes name, patches, "
                            "ring_sequence, available_at, deadline, "
                            "restart_deadline_seconds, emergency and reason.");
    }
  }
  DeploymentRequest request;
  request.available_at = now;

  auto name = stringField(body, "name");
  if (!name || name->empty() || *name == "\x01" || name->size() > kMaxNameBytes) {
    return fieldRejection("name", fmt::format("expected a string of 1 to {} bytes, such as "
                                              "\"December security updates\".",
                                              kMaxNameBytes));
  }
  request.name = *name;

  const auto patches = body.find("patches");
  if (patches == body.end() || !patches->is_array()) {
    return fieldRejection("patches", "expected a list of patch ids such as [\"p-...\"].");
  }
  if (patches->size() > kMaxPatchesPerDeployment) {
    return fieldRejection(
        "patches", fmt::format("at most {} patches per deployment.", kMaxPatchesPerDeployment));
  }
  for (const auto& patch : *patches) {
    if (!patch.is_string() || !isPatchId(patch.get<std::string>())) {
      return fieldRejection("patches", "each item must be a patch id: \"p-\" and 16 hex digits.");
    }
    request.patch_ids.push_back(patch.get<std::string>());
  }
  std::sort(request.patch_ids.begin(), request.patch_ids.end());
  request.patch_ids.erase(std::unique(request.patch_ids.begin(), request.patch_ids.end()),
                          request.patch_ids.end());

  if (auto sequence = stringField(body, "ring_sequence")) {
    if (sequence->empty() || *sequence == "\x01" || sequence->size() > kMaxNameBytes) {
      return fieldRejection("ring_sequence", "expected a ring sequence id such as \"default\".");
    }
    request.ring_sequence = *sequence;
  }
  for (const char* key : {"available_at", "deadline"}) {
    auto text = stringField(body, key);
    if (!text) {
      if (std::string_view(key) == "deadline") {
        return fieldRejection("deadline",
                              "required: an RFC 3339 time such as "
                              "\"2026-12-20T18:00:00Z\".");
      }
      continue;
    }
    auto time = parseRfc3339(*text);
    if (!time) {
      return fieldRejection(key, "expected an RFC 3339 time such as \"2026-12-20T18:00:00Z\".");
    }
    (std::string_view(key) == "deadline" ? request.deadline : request.available_at) = *time;
  }
  if (request.deadline <= request.available_at) {
    return fieldRejection("deadline", "must be after available_at.");
  }
  if (request.deadline <= now) return fieldRejection("deadline", "must be in the future.");
  if (auto restart = body.find("restart_deadline_seconds");
      restart != body.end() && !restart->is_null()) {
    if (!restart->is_number_integer() || restart->get<std::int64_t>() <= 0 ||
        restart->get<std::int64_t>() > 7 * 24 * 3600) {
      return fieldRejection("restart_deadline_seconds",
                            "expected a whole number of seconds from 1 to 604800.");
    }
    request.restart_deadline_seconds = restart->get<std::int64_t>();
  }
  if (auto emergency = body.find("emergency"); emergency != body.end() && !emergency->is_null()) {
    if (!emergency->is_boolean()) return fieldRejection("emergency", "expected true or false.");
    request.emergency = emergency->get<bool>();
  }
  if (auto reason = stringField(body, "reason")) {
    if (*reason == "\x01" || reason->size() > kMaxReasonBytes) {
      return fieldRejection("reason",
                            fmt::format("expected a string of at most {} bytes.", kMaxReasonBytes));
    }
    request.reason = *reason;
  }
  if (request.emergency && request.reason.empty()) {
    return fieldRejection("reason",
                          "an emergency deployment needs a reason, such as the "
                          "actively exploited CVE it answers.");
  }
  return request;
}

Result<Outcome<store::DeploymentRecord>> createDeployment(store::Session& session,
                                                          const DeploymentServices& services,
                                                          const DeploymentRequest& request,
                                                          const std::string& actor,
                                                          SystemTime now) {
  using Result = Outcome<store::DeploymentRecord>;
  if (request.patch_ids.empty()) {
    return Result(
        reject(400, "no_patches", "A deployment needs at least one patch in \"patches\"."));
  }
  for (const std::string& patch_id : request.patch_ids) {
    auto status = services.patch_status(session, patch_id);
    if (!status) return tl::unexpected(status.error());
    if (*status == PatchStatus::kUnknown) {
      return Result(reject(404, "unknown_patch",
                           fmt::format("No patch {} is known. List patches with GET "
                                       "/api/v1/patches.",
                                       patch_id)));
    }
    if (*status != PatchStatus::kApproved) {
      return Result(reject(
          409, "patch_not_approved",
          fmt::format("Patch {} is not approved; approve it before deploying it.", patch_id)));
    }
  }

  auto sequence = services.ring_sequence(session, request.ring_sequence);
  if (!sequence) return tl::unexpected(sequence.error());
  if (!*sequence) {
    return Result(reject(404, "unknown_ring_sequence",
                         fmt::format("No ring sequence {} exists.", request.ring_sequence)));
  }
  if ((*sequence)->rings.empty()) {
    return Result(reject(400, "empty_ring_sequence",
                         fmt::format("Ring sequence {} has no ring.", request.ring_sequence)));
  }
  std::set<std::string> collections;
  for (std::size_t i = 0; i < (*sequence)->rings.size(); ++i) {
    const RingSpec& ring = (*sequence)->rings[i];
    if (auto valid = deploy::validateGate(ring.gate); !valid) {
      return Result(
          reject(400, "invalid_gate",
                 fmt::format("Ring {} ({}): {}", i + 1, ring.name, valid.error().message)));
    }
    if (!collections.insert(ring.collection).second) {
      return Result(reject(400, "ring_sequence_loops",
                           fmt::format("Ring sequence {} loops: collection {} comes back in ring "
                                       "{} ({}).",
                                       request.ring_sequence, ring.collection, i + 1, ring.name)));
    }
  }

  bool has_target = false;
  for (const RingSpec& ring : (*sequence)->rings) {
    auto hosts = services.hosts_in_collection(session, ring.collection);
    if (!hosts) return tl::unexpected(hosts.error());
    for (const std::string& host_id : *hosts) {
      auto plan = services.install_plan(session, host_id, request.patch_ids);
      if (!plan) return tl::unexpected(plan.error());
      if (!plan->empty()) {
        has_target = true;
        break;
      }
    }
    if (has_target) break;
  }
  if (!has_target) {
    return Result(reject(400, "no_targets",
                         fmt::format("The deployment has no targets: no active host in the "
                                     "collections of ring sequence {} needs any of its {} "
                                     "patches.",
                                     request.ring_sequence, request.patch_ids.size())));
  }

  store::DeploymentRecord deployment;
  deployment.id = store::newDeploymentId();
  deployment.name = request.name;
  deployment.status = std::string(request.emergency ? store::kDeploymentAwaitingApproval
                                                    : store::kDeploymentActive);
  deployment.emergency = request.emergency;
  deployment.ring_sequence = request.ring_sequence;
  deployment.available_at = request.available_at;
  deployment.deadline = request.deadline;
  deployment.restart_deadline_seconds = request.restart_deadline_seconds;
  deployment.status_reason = request.reason;
  deployment.created_by = actor;
  deployment.created_at = now;
  deployment.updated_at = now;
  deployment.patch_ids = request.patch_ids;
  deployment.rule_id = request.rule_id;
  for (std::size_t i = 0; i < (*sequence)->rings.size(); ++i) {
    const RingSpec& ring = (*sequence)->rings[i];
    deployment.rings.push_back(store::DeploymentRingRecord{
        .position = static_cast<std::int64_t>(i),
        .name = ring.name,
        .collection = ring.collection,
        .min_soak_seconds =
            std::chrono::duration_cast<std::chrono::seconds>(ring.gate.min_soak).count(),
        .min_success_ratio = ring.gate.min_success_ratio,
        .max_failures = ring.gate.max_failures,
    });
  }
  if (auto inserted = store::insertDeployment(session, deployment); !inserted) {
    return tl::unexpected(inserted.error());
  }
  const std::string message =
      request.emergency
          ? fmt::format(
                "emergency deployment created; it waits for a second admin's approval. "
                "Reason: {}",
                request.reason)
          : "deployment created";
  if (auto logged = logDeployment(session, deployment.id, "created", actor, message, now);
      !logged) {
    return tl::unexpected(logged.error());
  }
  auto audited = audit(session, actor, "deployment.create", deployment.id, json(),
                       deploymentToJson(deployment), now);
  if (!audited) return tl::unexpected(audited.error());
  return Result(deployment);
}

Result<Outcome<store::DeploymentRecord>> approveDeployment(store::Session& session,
                                                           const DeploymentServices& services,
                                                           const std::string& id,
                                                           const std::string& actor,
                                                           SystemTime now) {
  using Result = Outcome<store::DeploymentRecord>;
  auto found = store::getDeployment(session, id);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return Result(notFound(id));
  store::DeploymentRecord deployment = **found;
  if (deployment.status != store::kDeploymentAwaitingApproval) {
    return Result(reject(409, "not_awaiting_approval",
                         fmt::format("Deployment {} is {}; only an emergency deployment awaiting "
                                     "approval can be approved.",
                                     id, deployment.status)));
  }
  if (deployment.created_by == actor) {
    return Result(reject(403, "second_approval_required",
                         "An emergency deployment needs a second admin's approval; its creator "
                         "cannot approve it."));
  }
  auto approved = approvedPatches(session, services, deployment);
  if (!approved) return tl::unexpected(approved.error());
  if (approved->size() < deployment.patch_ids.size()) {
    return Result(reject(
        409, "patch_not_approved",
        fmt::format("{} of the deployment's {} patches are no longer approved; "
                    "cancel it and create a new one.",
                    deployment.patch_ids.size() - approved->size(), deployment.patch_ids.size())));
  }
  const json before = deploymentToJson(deployment);
  deployment.status = std::string(store::kDeploymentActive);
  deployment.approved_by = actor;
  deployment.approved_at = now;
  deployment.updated_at = now;
  if (auto saved = store::updateDeploymentProgress(session, deployment); !saved) {
    return tl::unexpected(saved.error());
  }
  if (auto logged = logDeployment(session, id, "approved", actor,
                                  "a second admin approved the emergency deployment", now);
      !logged) {
    return tl::unexpected(logged.error());
  }
  auto audited =
      audit(session, actor, "deployment.approve", id, before, deploymentToJson(deployment), now);
  if (!audited) return tl::unexpected(audited.error());
  return Result(deployment);
}

Result<Outcome<store::DeploymentRecord>> cancelDeployment(store::Session& session,
                                                          const std::string& id,
                                                          const std::string& actor,
                                                          const std::string& reason,
                                                          SystemTime now) {
  using Result = Outcome<store::DeploymentRecord>;
  auto found = store::getDeployment(session, id);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return Result(notFound(id));
  store::DeploymentRecord deployment = **found;
  if (deployment.status == store::kDeploymentCompleted ||
      deployment.status == store::kDeploymentCancelled) {
    return Result(reject(409, "deployment_finished",
                         fmt::format("Deployment {} is {} already.", id, deployment.status)));
  }
  const json before = deploymentToJson(deployment);
  deployment.status = std::string(store::kDeploymentCancelled);
  deployment.status_reason = reason.empty() ? "cancelled by " + actor : reason;
  deployment.updated_at = now;
  if (auto saved = store::updateDeploymentProgress(session, deployment); !saved) {
    return tl::unexpected(saved.error());
  }
  auto jobs = store::listJobsOfDeployment(session, id);
  if (!jobs) return tl::unexpected(jobs.error());
  for (store::JobRecord job : *jobs) {
    const auto state = deploy::parseJobState(job.state);
    if (!state || deploy::isFinal(*state)) continue;
    job.state = stateName(JobState::kCancelled);
    job.message = deployment.status_reason;
    job.updated_at = now;
    job.finished_at = now;
    if (auto saved = store::updateJobState(session, job); !saved) {
      return tl::unexpected(saved.error());
    }
  }
  if (auto logged = logDeployment(session, id, "cancelled", actor, deployment.status_reason, now);
      !logged) {
    return tl::unexpected(logged.error());
  }
  auto audited =
      audit(session, actor, "deployment.cancel", id, before, deploymentToJson(deployment), now);
  if (!audited) return tl::unexpected(audited.error());
  return Result(deployment);
}

Result<AdvanceRound> advanceDeployment(store::Session& session, const DeploymentServices& services,
                                       const std::string& id, SystemTime now) {
  AdvanceRound round;
  auto found = store::getDeployment(session, id);
  if (!found) return tl::unexpected(found.error());
  if (!*found || (*found)->rings.empty()) return round;
  store::DeploymentRecord& deployment = **found;
  const bool active = deployment.status == store::kDeploymentActive;
  if (!active && deployment.status != store::kDeploymentHalted) return round;
  if (deployment.available_at > now) return round;
  if (auto reviewed = reviewJobs(session, services, deployment, now); !reviewed) {
    return tl::unexpected(reviewed.error());
  }
  if (active) {
    if (auto advanced = advanceOne(session, services, deployment, now, round); !advanced) {
      return tl::unexpected(advanced.error());
    }
  }
  return round;
}

Result<std::vector<std::string>> deploymentsToAdvance(store::Session& session) {
  std::vector<std::string> ids;
  for (std::string_view status : {store::kDeploymentActive, store::kDeploymentHalted}) {
    for (std::size_t offset = 0;; offset += 100) {
      auto page = store::listDeployments(
          session, {.status = std::string(status), .limit = 100, .offset = offset});
      if (!page) return tl::unexpected(page.error());
      for (const auto& deployment : *page) ids.push_back(deployment.id);
      if (page->size() < 100) break;
    }
  }
  // Oldest first, so an earlier deployment's rings are entered first.
  std::reverse(ids.begin(), ids.end());
  return ids;
}

Result<AdvanceRound> advanceDeployments(store::Session& session, const DeploymentServices& services,
                                        SystemTime now) {
  AdvanceRound round;
  auto ids = deploymentsToAdvance(session);
  if (!ids) return tl::unexpected(ids.error());
  for (const std::string& id : *ids) {
    auto one = advanceDeployment(session, services, id, now);
    if (!one) return tl::unexpected(one.error());
    round.rings_entered += one->rings_entered;
    round.jobs_created += one->jobs_created;
    round.halted.insert(round.halted.end(), one->halted.begin(), one->halted.end());
    round.completed.insert(round.completed.end(), one->completed.begin(), one->completed.end());
  }
  return round;
}

Result<protocol::JobList> jobsForHost(store::Session& session, const DeploymentServices& services,
                                      const std::string& host_id, SystemTime now) {
  protocol::JobList list;
  list.server_time = now;
  std::vector<std::string> unfinished;
  for (JobState state : deploy::allJobStates()) {
    if (!deploy::isFinal(state)) unfinished.push_back(stateName(state));
  }
  auto jobs = store::listJobsOfHost(session, host_id, unfinished);
  if (!jobs) return tl::unexpected(jobs.error());
  auto host = store::getHost(session, host_id);
  if (!host) return tl::unexpected(host.error());
  if (!*host) return list;

  std::optional<std::vector<deploy::TimeSpan>> spans;
  // The restart policy of the host's collections, merged; a host whose
  // collections' hooks conflict has only failed jobs, so the defaults do.
  protocol::JobRestart policy;
  if (!jobs->empty()) {
    auto merged = policyFor(session, services, host_id);
    if (!merged && merged.error().code != ErrorCode::kInvalidArgument) {
      return tl::unexpected(merged.error());
    }
    if (merged) policy = merged->restart;
  }
  for (const store::JobRecord& job : *jobs) {
    if (list.jobs.size() >= protocol::kMaxJobsPerList) break;
    auto deployment = store::getDeployment(session, job.deployment_id);
    if (!deployment) return tl::unexpected(deployment.error());
    if (!*deployment) continue;
    const auto state = deploy::parseJobState(job.state).value_or(JobState::kPending);
    // A halted deployment starts nothing new; jobs already installing finish.
    const bool started = state != JobState::kPending && state != JobState::kWaitingForWindow;
    if ((*deployment)->status != store::kDeploymentActive && !started) continue;

    protocol::JobOrder order;
    order.job_id = job.id;
    order.deployment_id = job.deployment_id;
    order.deployment_name = (*deployment)->name;
    order.state = state;
    order.kind = (*host)->kind == "server" ? protocol::JobHostKind::kServer
                                           : protocol::JobHostKind::kEndpoint;
    order.emergency = (*deployment)->emergency;
    order.available_at = (*deployment)->available_at;
    order.deadline = (*deployment)->deadline;
    if (order.kind == protocol::JobHostKind::kServer && !order.emergency) {
      if (!spans) {
        auto found = windowSpans(session, host_id, now);
        if (!found) return tl::unexpected(found.error());
        spans = std::move(*found);
      }
      order.windows = *spans;
    }
    order.estimate_seconds = job.estimate_seconds;
    order.manager = protocol::parseJobManager(job.manager).value_or(protocol::JobManager::kApt);
    order.packages = packagesFromJson(job.packages_json);
    order.kbs = stringsFromJson(job.kbs_json);
    order.pre_hook = job.pre_hook;
    order.post_hook = job.post_hook;
    order.restart = policy;
    order.restart.mode = order.kind == protocol::JobHostKind::kServer
                             ? protocol::RestartMode::kInWindow
                             : protocol::RestartMode::kEndpoint;
    if ((*deployment)->restart_deadline_seconds) {
      order.restart.deadline_seconds =
          std::min(order.restart.deadline_seconds, *(*deployment)->restart_deadline_seconds);
      // A deadline shortened below the countdown starts the countdown at once.
      order.restart.countdown_seconds =
          std::min(order.restart.countdown_seconds, order.restart.deadline_seconds);
    }
    list.jobs.push_back(std::move(order));
  }
  return list;
}

Result<Outcome<protocol::JobEventResponse>> recordJobEvent(store::Session& session,
                                                           const std::string& host_id,
                                                           const std::string& job_id,
                                                           const protocol::JobEvent& event,
                                                           SystemTime now) {
  using Result = Outcome<protocol::JobEventResponse>;
  auto found = store::getJob(session, job_id);
  if (!found) return tl::unexpected(found.error());
  if (!*found || (*found)->host_id != host_id) {
    return Result(reject(404, "not_found", fmt::format("Host {} has no job {}.", host_id, job_id)));
  }
  store::JobRecord job = **found;
  const JobState from = deploy::parseJobState(job.state).value_or(JobState::kFailed);
  auto repeated = store::jobEventExists(session, job_id, event.event_id);
  if (!repeated) return tl::unexpected(repeated.error());
  if (*repeated) {
    return Result(protocol::JobEventResponse{from, from == JobState::kCancelled});
  }
  if (deploy::isFinal(from)) {
    return Result(reject(409, from == JobState::kCancelled ? "job_cancelled" : "job_finished",
                         fmt::format("Job {} is {}; stop working on it.", job_id, job.state)));
  }
  auto logged =
      store::countJobEvents(session, job_id, "agent", stateName(JobState::kWaitingForWindow));
  if (!logged) return tl::unexpected(logged.error());
  if (*logged >= kMaxJobEvents) {
    const std::string message =
        fmt::format("the host sent {} events for this job, the most allowed", kMaxJobEvents);
    if (auto settled = settleJob(session, job, JobState::kFailed, message, now); !settled) {
      return tl::unexpected(settled.error());
    }
    return Result(reject(409, "job_finished",
                         fmt::format("Job {} failed: {}; stop working on it.", job_id, message)));
  }
  if (!deploy::agentMayReport(from, event.state)) {
    return Result(reject(409, "job_state_conflict",
                         fmt::format("Job {} is {} and cannot go back to {}.", job_id, job.state,
                                     deploy::jobStateName(event.state))));
  }
  if (event.state == JobState::kVerifying) {
    if (!event.report_id) {
      return Result(reject(400, "invalid_field",
                           "Field \"report_id\": required with \"verifying\": the report that "
                           "carried the fresh inventory."));
    }
    auto received = store::reportReceivedAt(session, host_id, *event.report_id);
    if (!received) return tl::unexpected(received.error());
    if (!*received) {
      return Result(reject(409, "report_not_received",
                           fmt::format("Report {} has not reached the server; send it before "
                                       "reporting \"verifying\".",
                                       *event.report_id)));
    }
    // A report received before the job existed cannot show its install.
    if (**received < job.created_at) {
      return Result(reject(409, "report_not_received",
                           fmt::format("Report {} was received before job {} was created; send "
                                       "a fresh report before reporting \"verifying\".",
                                       *event.report_id, job_id)));
    }
  }

  json changes = json::array();
  for (const auto& change : event.packages) {
    changes.push_back({{"name", change.name}, {"from", change.from}, {"to", change.to}});
  }
  auto appended = store::appendJobEvent(session, {.job_id = job_id,
                                                  .event_id = event.event_id,
                                                  .at = event.at,
                                                  .received_at = now,
                                                  .source = "agent",
                                                  .state = stateName(event.state),
                                                  .message = event.message,
                                                  .output = event.output,
                                                  .packages_json = changes.dump(),
                                                  .report_id = event.report_id});
  if (!appended) return tl::unexpected(appended.error());

  job.state = stateName(event.state);
  if (!event.message.empty()) job.message = event.message;
  job.updated_at = now;
  if (event.duration_seconds) job.duration_seconds = event.duration_seconds;
  if (event.state == JobState::kFailed) job.finished_at = now;
  if (event.state == JobState::kVerifying) {
    if (auto verified = verify(session, job, now); !verified) {
      return tl::unexpected(verified.error());
    }
  }
  if (auto saved = store::updateJobState(session, job); !saved) {
    return tl::unexpected(saved.error());
  }
  const JobState after = deploy::parseJobState(job.state).value_or(JobState::kFailed);
  if (after != event.state) {
    auto verdict = store::appendJobEvent(session, {.job_id = job_id,
                                                   .event_id = "server-verdict-" + event.event_id,
                                                   .at = now,
                                                   .received_at = now,
                                                   .source = "server",
                                                   .state = job.state,
                                                   .message = job.message,
                                                   .output = "",
                                                   .packages_json = "[]"});
    if (!verdict) return tl::unexpected(verdict.error());
  }
  return Result(protocol::JobEventResponse{after, false});
}

json deploymentToJson(const store::DeploymentRecord& deployment) {
  json rings = json::array();
  for (const auto& ring : deployment.rings) {
    rings.push_back({
        {"position", ring.position},
        {"name", ring.name},
        {"collection", ring.collection},
        {"gate",
         {{"min_soak_seconds", ring.min_soak_seconds},
          {"min_success_ratio", ring.min_success_ratio},
          {"max_failures", ring.max_failures}}},
        {"entered_at", ring.entered_at ? json(formatRfc3339(*ring.entered_at)) : json(nullptr)},
        {"left_at", ring.left_at ? json(formatRfc3339(*ring.left_at)) : json(nullptr)},
    });
  }
  return json{
      {"id", deployment.id},
      {"name", deployment.name},
      {"status", deployment.status},
      {"status_reason", deployment.status_reason},
      {"emergency", deployment.emergency},
      {"ring_sequence", deployment.ring_sequence},
      {"available_at", formatRfc3339(deployment.available_at)},
      {"deadline", formatRfc3339(deployment.deadline)},
      {"restart_deadline_seconds", deployment.restart_deadline_seconds
                                       ? json(*deployment.restart_deadline_seconds)
                                       : json(nullptr)},
      {"current_ring", deployment.current_ring},
      {"created_by", deployment.created_by},
      {"created_at", formatRfc3339(deployment.created_at)},
      {"approved_by", deployment.approved_by ? json(*deployment.approved_by) : json(nullptr)},
      {"approved_at",
       deployment.approved_at ? json(formatRfc3339(*deployment.approved_at)) : json(nullptr)},
      {"rule_id", deployment.rule_id ? json(*deployment.rule_id) : json(nullptr)},
      {"patches", deployment.patch_ids},
      {"rings", std::move(rings)},
  };
}

json jobToJson(const store::JobRecord& job) {
  return json{
      {"id", job.id},
      {"deployment_id", job.deployment_id},
      {"host_id", job.host_id},
      {"ring", job.ring_position},
      {"state", job.state},
      {"manager", job.manager},
      {"packages", json::parse(job.packages_json, nullptr, false)},
      {"kbs", json::parse(job.kbs_json, nullptr, false)},
      {"pre_hook", job.pre_hook ? json(*job.pre_hook) : json(nullptr)},
      {"post_hook", job.post_hook ? json(*job.post_hook) : json(nullptr)},
      {"estimate_seconds", job.estimate_seconds},
      {"duration_seconds", job.duration_seconds ? json(*job.duration_seconds) : json(nullptr)},
      {"message", job.message},
      {"created_at", formatRfc3339(job.created_at)},
      {"updated_at", formatRfc3339(job.updated_at)},
      {"finished_at", job.finished_at ? json(formatRfc3339(*job.finished_at)) : json(nullptr)},
  };
}

}  // namespace pk::server
