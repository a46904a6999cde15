#include "store/dashboard_repository.h"

namespace pk::store {

Result<std::vector<KevExposure>> listKevExposure(Session& session, std::int64_t limit) {
  // An empty due date sorts last on both backends through the CASE column.
  auto rows = session.query(
      "SELECT f.advisory_id, f.kev_due_date, COUNT(DISTINCT f.host_id), "
      "CASE WHEN f.kev_due_date = '' THEN 1 ELSE 0 END AS undated "
      "FROM findings f JOIN hosts h ON h.id = f.host_id "
      "WHERE f.status = 'open' AND f.known_exploited <> 0 AND h.status = 'active' "
      "GROUP BY f.advisory_id, f.kev_due_date "
      "ORDER BY undated, f.kev_due_date, f.advisory_id LIMIT ?",
      {limit});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<KevExposure> exposure;
  exposure.reserve(rows->size());
  for (const auto& row : *rows) {
    exposure.push_back(
        {.advisory_id = row.text(0), .kev_due_date = row.text(1), .hosts = row.integer(2)});
  }
  return exposure;
}

Result<std::int64_t> countHostsNeedingRestart(Session& session) {
  auto row = session.queryOne(
      "SELECT COUNT(*) FROM hosts WHERE status = 'active' AND restart_required <> 0");
  if (!row) return tl::unexpected(row.error());
  return *row ? (*row)->integer(0) : 0;
}

Result<std::vector<RestartHost>> listHostsNeedingRestart(Session& session, std::int64_t limit) {
  auto rows = session.query(
      "SELECT id, hostname FROM hosts WHERE status = 'active' AND restart_required <> 0 "
      "ORDER BY hostname, id LIMIT ?",
      {limit});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<RestartHost> hosts;
  hosts.reserve(rows->size());
  for (const auto& row : *rows) hosts.push_back({.id = row.text(0), .hostname = row.text(1)});
  return hosts;
}

}  // namespace pk::store
