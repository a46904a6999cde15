#include "store/overdue_repository.h"

#include <map>
#include <utility>

namespace pk::store {

Result<std::vector<OverdueJobRow>> listJobsPastDeadline(Session& session, SystemTime now) {
  const std::int64_t at = timeToColumn(now);
  auto rows = session.query(
      "SELECT j.id, j.state, d.id, d.name, d.deadline, h.id, h.hostname, h.owner, "
      "h.restart_required FROM jobs j JOIN deployments d ON d.id = j.deployment_id "
      "JOIN hosts h ON h.id = j.host_id "
      "WHERE d.deadline < ? AND d.status <> 'cancelled' "
      "AND j.state NOT IN ('succeeded', 'cancelled') AND h.status = 'active' "
      "ORDER BY d.deadline, d.id, h.id",
      {at});
  if (!rows) return tl::unexpected(rows.error());

  // Open findings per (deployment, host) that a patch of the deployment
  // fixes, without those a risk exception in force covers, as compliance
  // counts them.
  auto counts = session.query(
      "SELECT dp.deployment_id, f.host_id, COUNT(*) FROM deployment_patches dp "
      "JOIN deployments d ON d.id = dp.deployment_id "
      "JOIN patch_findings pf ON pf.patch_id = dp.patch_id "
      "JOIN findings f ON f.id = pf.finding_id "
      "WHERE d.deadline < ? AND d.status <> 'cancelled' AND f.status = 'open' "
      "AND NOT EXISTS (SELECT 1 FROM risk_exceptions e WHERE e.host_id = f.host_id "
      "AND e.advisory_id = f.advisory_id AND e.expires_at > ?) "
      "GROUP BY dp.deployment_id, f.host_id",
      {at, at});
  if (!counts) return tl::unexpected(counts.error());
  std::map<std::pair<std::string, std::string>, std::int64_t> open_fixed;
  for (const Row& row : *counts) open_fixed[{row.text(0), row.text(1)}] = row.integer(2);

  std::vector<OverdueJobRow> jobs;
  jobs.reserve(rows->size());
  for (const Row& row : *rows) {
    OverdueJobRow job{
        .job_id = row.text(0),
        .job_state = row.text(1),
        .deployment_id = row.text(2),
        .deployment_name = row.text(3),
        .deadline = timeFromColumn(row.integer(4)),
        .host_id = row.text(5),
        .hostname = row.text(6),
        .owner = row.text(7),
        .host_restart_required = row.boolean(8),
    };
    const auto found = open_fixed.find({job.deployment_id, job.host_id});
    if (found != open_fixed.end()) job.open_fixed_findings = found->second;
    jobs.push_back(std::move(job));
  }
  return jobs;
}

}  // namespace pk::store
