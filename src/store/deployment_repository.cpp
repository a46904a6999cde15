#include "store/deployment_repository.h"

#include <fmt/format.h>

#include "store/column_values.h"
#include "store/host_repository.h"

namespace pk::store {
namespace {

constexpr std::string_view kSelectDeployment =
    "SELECT id, name, status, emergency, ring_sequence, available_at, deadline, "
    "restart_deadline_seconds, current_ring, status_reason, created_by, created_at, approved_by, "
    "approved_at, rule_id, updated_at FROM deployments";

constexpr std::string_view kSelectJob =
    "SELECT id, deployment_id, host_id, ring_position, state, manager, packages, kbs, pre_hook, "
    "post_hook, estimate_seconds, duration_seconds, message, created_at, updated_at, finished_at "
    "FROM jobs";

// kSelectJob's columns over jobs aliased j, then the host's name.
constexpr std::string_view kSelectJobWithHostname =
    "SELECT j.id, j.deployment_id, j.host_id, j.ring_position, j.state, j.manager, j.packages, "
    "j.kbs, j.pre_hook, j.post_hook, j.estimate_seconds, j.duration_seconds, j.message, "
    "j.created_at, j.updated_at, j.finished_at, h.hostname "
    "FROM jobs j LEFT JOIN hosts h ON h.id = j.host_id";

constexpr std::string_view kSelectJobEvent =
    "SELECT id, job_id, event_id, at, received_at, source, state, message, output, packages, "
    "report_id FROM job_events";

DeploymentRecord deploymentFromRow(const Row& row) {
  DeploymentRecord deployment;
  deployment.id = row.text(0);
  deployment.name = row.text(1);
  deployment.status = row.text(2);
  deployment.emergency = row.boolean(3);
  deployment.ring_sequence = row.text(4);
  deployment.available_at = timeFromColumn(row.integer(5));
  deployment.deadline = timeFromColumn(row.integer(6));
  deployment.restart_deadline_seconds = row.optionalInteger(7);
  deployment.current_ring = row.integer(8);
  deployment.status_reason = row.text(9);
  deployment.created_by = row.text(10);
  deployment.created_at = timeFromColumn(row.integer(11));
  deployment.approved_by = row.optionalText(12);
  deployment.approved_at = nullableTimeAt(row, 13);
  deployment.rule_id = row.optionalText(14);
  deployment.updated_at = timeFromColumn(row.integer(15));
  return deployment;
}

JobRecord jobFromRow(const Row& row) {
  JobRecord job;
  job.id = row.text(0);
  job.deployment_id = row.text(1);
  job.host_id = row.text(2);
  job.ring_position = row.integer(3);
  job.state = row.text(4);
  job.manager = row.text(5);
  job.packages_json = row.text(6);
  job.kbs_json = row.text(7);
  job.pre_hook = row.optionalText(8);
  job.post_hook = row.optionalText(9);
  job.estimate_seconds = row.integer(10);
  job.duration_seconds = row.optionalInteger(11);
  job.message = row.text(12);
  job.created_at = timeFromColumn(row.integer(13));
  job.updated_at = timeFromColumn(row.integer(14));
  job.finished_at = nullableTimeAt(row, 15);
  return job;
}

JobEventRecord jobEventFromRow(const Row& row) {
  JobEventRecord event;
  event.id = row.integer(0);
  event.job_id = row.text(1);
  event.event_id = row.text(2);
  event.at = timeFromColumn(row.integer(3));
  event.received_at = timeFromColumn(row.integer(4));
  event.source = row.text(5);
  event.state = row.text(6);
  event.message = row.text(7);
  event.output = row.text(8);
  event.packages_json = row.text(9);
  event.report_id = row.optionalText(10);
  return event;
}

// Reads the patches and rings of `deployment`.
Result<void> readParts(Session& session, DeploymentRecord& deployment) {
  auto patches = session.query(
      "SELECT patch_id FROM deployment_patches WHERE deployment_id = ? ORDER BY patch_id",
      {deployment.id});
  if (!patches) return tl::unexpected(patches.error());
  deployment.patch_ids.clear();
  for (const Row& row : *patches) deployment.patch_ids.push_back(row.text(0));

  auto rings = session.query(
      "SELECT position, name, collection, min_soak_seconds, min_success_ratio, max_failures, "
      "entered_at, left_at FROM deployment_rings WHERE deployment_id = ? ORDER BY position",
      {deployment.id});
  if (!rings) return tl::unexpected(rings.error());
  deployment.rings.clear();
  for (const Row& row : *rings) {
    deployment.rings.push_back(DeploymentRingRecord{
        .position = row.integer(0),
        .name = row.text(1),
        .collection = row.text(2),
        .min_soak_seconds = row.integer(3),
        .min_success_ratio = row.real(4),
        .max_failures = row.integer(5),
        .entered_at = nullableTimeAt(row, 6),
        .left_at = nullableTimeAt(row, 7),
    });
  }
  return {};
}

Result<void> requireChanged(Session& session, std::string_view what, const std::string& id) {
  if (session.changedRows() > 0) return {};
  return fail(ErrorCode::kNotFound, fmt::format("no {} {} exists", what, id));
}

Result<void> setRingTime(Session& session, std::string_view column,
                         const std::string& deployment_id, std::int64_t position, SystemTime at) {
  auto updated = session.execute(
      fmt::format("UPDATE deployment_rings SET {} = ? WHERE deployment_id = ? AND position = ?",
                  column),
      {timeToColumn(at), deployment_id, position});
  if (!updated) return updated;
  return requireChanged(session, "deployment ring of", deployment_id);
}

}  // namespace

std::string newDeploymentId() {
  return "d-" + newHostId().substr(2);
}

std::string newJobId() {
  return "j-" + newHostId().substr(2);
}

Result<void> insertDeployment(Session& session, const DeploymentRecord& deployment) {
  auto inserted = session.execute(
      "INSERT INTO deployments (id, name, status, emergency, ring_sequence, available_at, "
      "deadline, restart_deadline_seconds, current_ring, status_reason, created_by, created_at, "
      "approved_by, approved_at, rule_id, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {deployment.id, deployment.name, deployment.status,
       std::int64_t{deployment.emergency ? 1 : 0}, deployment.ring_sequence,
       timeToColumn(deployment.available_at), timeToColumn(deployment.deadline),
       nullableInteger(deployment.restart_deadline_seconds), deployment.current_ring,
       deployment.status_reason, deployment.created_by, timeToColumn(deployment.created_at),
       nullableText(deployment.approved_by), nullableTime(deployment.approved_at),
       nullableText(deployment.rule_id), timeToColumn(deployment.updated_at)});
  if (!inserted) return inserted;
  for (const std::string& patch_id : deployment.patch_ids) {
    auto added =
        session.execute("INSERT INTO deployment_patches (deployment_id, patch_id) VALUES (?, ?)",
                        {deployment.id, patch_id});
    if (!added) return added;
  }
  for (const DeploymentRingRecord& ring : deployment.rings) {
    auto added = session.execute(
        "INSERT INTO deployment_rings (deployment_id, position, name, collection, "
        "min_soak_seconds, min_success_ratio, max_failures, entered_at, left_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {deployment.id, ring.position, ring.name, ring.collection, ring.min_soak_seconds,
         ring.min_success_ratio, ring.max_failures, nullableTime(ring.entered_at),
         nullableTime(ring.left_at)});
    if (!added) return added;
  }
  return {};
}

Result<std::optional<DeploymentRecord>> getDeployment(Session& session, const std::string& id) {
  auto row = session.queryOne(fmt::format("{} WHERE id = ?", kSelectDeployment), {id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<DeploymentRecord>();
  DeploymentRecord deployment = deploymentFromRow(**row);
  if (auto parts = readParts(session, deployment); !parts) return tl::unexpected(parts.error());
  return deployment;
}

Result<std::vector<DeploymentRecord>> listDeployments(Session& session,
                                                      const DeploymentFilter& filter) {
  std::vector<Value> params;
  std::string where;
  if (filter.status) {
    where = " WHERE status = ?";
    params.emplace_back(*filter.status);
  }
  params.emplace_back(static_cast<std::int64_t>(filter.limit));
  params.emplace_back(static_cast<std::int64_t>(filter.offset));
  auto rows = session.query(
      fmt::format("{}{} ORDER BY created_at DESC, id LIMIT ? OFFSET ?", kSelectDeployment, where),
      params);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<DeploymentRecord> deployments;
  for (const Row& row : *rows) {
    DeploymentRecord deployment = deploymentFromRow(row);
    if (auto parts = readParts(session, deployment); !parts) {
      return tl::unexpected(parts.error());
    }
    deployments.push_back(std::move(deployment));
  }
  return deployments;
}

Result<std::vector<DeploymentRecord>> listDeploymentsOverlapping(Session& session, SystemTime from,
                                                                 SystemTime to, std::size_t limit) {
  auto rows = session.query(
      fmt::format("{} WHERE available_at < ? AND deadline >= ? ORDER BY available_at, id LIMIT ?",
                  kSelectDeployment),
      {timeToColumn(to), timeToColumn(from), static_cast<std::int64_t>(limit)});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<DeploymentRecord> deployments;
  for (const Row& row : *rows) {
    DeploymentRecord deployment = deploymentFromRow(row);
    if (auto parts = readParts(session, deployment); !parts) {
      return tl::unexpected(parts.error());
    }
    deployments.push_back(std::move(deployment));
  }
  return deployments;
}

Result<void> updateDeploymentProgress(Session& session, const DeploymentRecord& deployment) {
  auto updated = session.execute(
      "UPDATE deployments SET status = ?, status_reason = ?, current_ring = ?, approved_by = ?, "
      "approved_at = ?, updated_at = ? WHERE id = ?",
      {deployment.status, deployment.status_reason, deployment.current_ring,
       nullableText(deployment.approved_by), nullableTime(deployment.approved_at),
       timeToColumn(deployment.updated_at), deployment.id});
  if (!updated) return updated;
  return requireChanged(session, "deployment", deployment.id);
}

Result<void> setRingEntered(Session& session, const std::string& deployment_id,
                            std::int64_t position, SystemTime at) {
  return setRingTime(session, "entered_at", deployment_id, position, at);
}

Result<void> setRingLeft(Session& session, const std::string& deployment_id, std::int64_t position,
                         SystemTime at) {
  return setRingTime(session, "left_at", deployment_id, position, at);
}

Result<void> appendDeploymentEvent(Session& session, const DeploymentEventRecord& event) {
  return session.execute(
      "INSERT INTO deployment_events (deployment_id, at, kind, actor, message) "
      "VALUES (?, ?, ?, ?, ?)",
      {event.deployment_id, timeToColumn(event.at), event.kind, event.actor, event.message});
}

Result<std::vector<DeploymentEventRecord>> listDeploymentEvents(Session& session,
                                                                const std::string& deployment_id) {
  auto rows = session.query(
      "SELECT id, deployment_id, at, kind, actor, message FROM deployment_events "
      "WHERE deployment_id = ? ORDER BY id",
      {deployment_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<DeploymentEventRecord> events;
  for (const Row& row : *rows) {
    events.push_back(DeploymentEventRecord{
        .id = row.integer(0),
        .deployment_id = row.text(1),
        .at = timeFromColumn(row.integer(2)),
        .kind = row.text(3),
        .actor = row.text(4),
        .message = row.text(5),
    });
  }
  return events;
}

Result<void> insertJob(Session& session, const JobRecord& job) {
  return session.execute(
      "INSERT INTO jobs (id, deployment_id, host_id, ring_position, state, manager, packages, "
      "kbs, pre_hook, post_hook, estimate_seconds, duration_seconds, message, created_at, "
      "updated_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {job.id, job.deployment_id, job.host_id, job.ring_position, job.state, job.manager,
       job.packages_json, job.kbs_json, nullableText(job.pre_hook), nullableText(job.post_hook),
       job.estimate_seconds, nullableInteger(job.duration_seconds), job.message,
       timeToColumn(job.created_at), timeToColumn(job.updated_at), nullableTime(job.finished_at)});
}

Result<std::optional<JobRecord>> getJob(Session& session, const std::string& id) {
  auto row = session.queryOne(fmt::format("{} WHERE id = ?", kSelectJob), {id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<JobRecord>();
  return jobFromRow(**row);
}

Result<std::vector<JobRecord>> listJobsOfHost(Session& session, const std::string& host_id,
                                              const std::vector<std::string>& states) {
  std::vector<Value> params{host_id};
  std::string in_states;
  if (!states.empty()) {
    in_states = " AND state IN (";
    for (std::size_t i = 0; i < states.size(); ++i) {
      in_states += i == 0 ? "?" : ", ?";
      params.emplace_back(states[i]);
    }
    in_states += ")";
  }
  auto rows = session.query(
      fmt::format("{} WHERE host_id = ?{} ORDER BY created_at, id", kSelectJob, in_states), params);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<JobRecord> jobs;
  for (const Row& row : *rows) jobs.push_back(jobFromRow(row));
  return jobs;
}

Result<std::vector<JobWithHostname>> listJobsOfDeploymentWithHostnames(
    Session& session, const std::string& deployment_id) {
  auto rows =
      session.query(fmt::format("{} WHERE j.deployment_id = ? ORDER BY j.ring_position, j.host_id",
                                kSelectJobWithHostname),
                    {deployment_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<JobWithHostname> jobs;
  for (const Row& row : *rows) {
    jobs.push_back({jobFromRow(row), row.isNull(16) ? std::string() : row.text(16)});
  }
  return jobs;
}

Result<std::vector<JobRecord>> listJobsOfDeployment(Session& session,
                                                    const std::string& deployment_id) {
  auto rows = session.query(
      fmt::format("{} WHERE deployment_id = ? ORDER BY ring_position, host_id", kSelectJob),
      {deployment_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<JobRecord> jobs;
  for (const Row& row : *rows) jobs.push_back(jobFromRow(row));
  return jobs;
}

Result<std::map<std::string, std::int64_t>> countJobStates(Session& session,
                                                           const std::string& deployment_id,
                                                           std::int64_t ring_position) {
  auto rows = session.query(
      "SELECT state, COUNT(*) FROM jobs WHERE deployment_id = ? AND ring_position = ? "
      "GROUP BY state",
      {deployment_id, ring_position});
  if (!rows) return tl::unexpected(rows.error());
  std::map<std::string, std::int64_t> counts;
  for (const Row& row : *rows) counts[row.text(0)] = row.integer(1);
  return counts;
}

Result<void> updateJobState(Session& session, const JobRecord& job) {
  auto updated = session.execute(
      "UPDATE jobs SET state = ?, message = ?, duration_seconds = ?, updated_at = ?, "
      "finished_at = ? WHERE id = ?",
      {job.state, job.message, nullableInteger(job.duration_seconds), timeToColumn(job.updated_at),
       nullableTime(job.finished_at), job.id});
  if (!updated) return updated;
  return requireChanged(session, "job", job.id);
}

Result<void> updateJobTargets(Session& session, const JobRecord& job) {
  auto updated = session.execute(
      "UPDATE jobs SET packages_json = ?, kbs_json = ?, updated_at = ? WHERE id = ?",
      {job.packages_json, job.kbs_json, timeToColumn(job.updated_at), job.id});
  if (!updated) return updated;
  return requireChanged(session, "job", job.id);
}

Result<std::vector<std::int64_t>> recentJobDurations(Session& session, const std::string& host_id,
                                                     std::size_t limit) {
  auto rows = session.query(
      "SELECT duration_seconds FROM jobs WHERE host_id = ? AND state = 'succeeded' AND "
      "duration_seconds IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT ?",
      {host_id, static_cast<std::int64_t>(limit)});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::int64_t> durations;
  for (auto it = rows->rbegin(); it != rows->rend(); ++it) durations.push_back(it->integer(0));
  return durations;
}

Result<bool> jobEventExists(Session& session, const std::string& job_id,
                            const std::string& event_id) {
  auto existing = session.queryOne("SELECT 1 FROM job_events WHERE job_id = ? AND event_id = ?",
                                   {job_id, event_id});
  if (!existing) return tl::unexpected(existing.error());
  return existing->has_value();
}

Result<std::vector<std::string>> unfinishedDeploymentsUsingCollection(
    Session& session, const std::string& collection_id) {
  auto rows = session.query(
      "SELECT DISTINCT d.id FROM deployments d JOIN deployment_rings r ON r.deployment_id = d.id "
      "WHERE r.collection = ? AND d.status IN (?, ?, ?) ORDER BY d.id",
      {collection_id, std::string(kDeploymentAwaitingApproval), std::string(kDeploymentActive),
       std::string(kDeploymentHalted)});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<std::string> ids;
  for (const auto& row : *rows) ids.push_back(row.text(0));
  return ids;
}

Result<std::int64_t> countJobEvents(Session& session, const std::string& job_id,
                                    const std::string& source, const std::string& except_state) {
  auto row = session.queryOne(
      "SELECT COUNT(*) FROM job_events WHERE job_id = ? AND source = ? AND state <> ?",
      {job_id, source, except_state});
  if (!row) return tl::unexpected(row.error());
  return *row ? (**row).integer(0) : 0;
}

Result<bool> appendJobEvent(Session& session, const JobEventRecord& event) {
  auto exists = jobEventExists(session, event.job_id, event.event_id);
  if (!exists) return tl::unexpected(exists.error());
  if (*exists) return false;
  auto inserted = session.execute(
      "INSERT INTO job_events (job_id, event_id, at, received_at, source, state, message, "
      "output, packages, report_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {event.job_id, event.event_id, timeToColumn(event.at), timeToColumn(event.received_at),
       event.source, event.state, event.message, event.output, event.packages_json,
       nullableText(event.report_id)});
  if (!inserted) return tl::unexpected(inserted.error());
  return true;
}

Result<std::vector<JobEventRecord>> listJobEvents(Session& session, const std::string& job_id) {
  auto rows =
      session.query(fmt::format("{} WHERE job_id = ? ORDER BY id", kSelectJobEvent), {job_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<JobEventRecord> events;
  for (const Row& row : *rows) events.push_back(jobEventFromRow(row));
  return events;
}

}  // namespace pk::store
