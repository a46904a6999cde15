#include "store/compliance_history_repository.h"

namespace pk::store {

Result<bool> hasComplianceSnapshot(Session& session, const std::string& day) {
  auto row = session.queryOne("SELECT 1 FROM compliance_snapshots WHERE day = ? LIMIT 1", {day});
  if (!row) return tl::unexpected(row.error());
  return row->has_value();
}

Result<void> insertComplianceSnapshotRows(Session& session,
                                          const std::vector<ComplianceSnapshotRow>& rows) {
  for (const auto& row : rows) {
    auto inserted = session.execute(
        "INSERT INTO compliance_snapshots (day, group_kind, group_id, group_name, compliant, "
        "not_compliant, unknown, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {row.day, row.group_kind, row.group_id, row.group_name, row.compliant, row.not_compliant,
         row.unknown, timeToColumn(row.recorded_at)});
    if (!inserted) return inserted;
  }
  return {};
}

Result<std::vector<ComplianceSnapshotRow>> listComplianceSnapshots(Session& session,
                                                                   std::string_view group_kind,
                                                                   const std::string& first_day) {
  auto rows = session.query(
      "SELECT day, group_kind, group_id, group_name, compliant, not_compliant, unknown, "
      "recorded_at FROM compliance_snapshots WHERE group_kind = ? AND day >= ? "
      "ORDER BY group_id, day",
      {std::string(group_kind), first_day});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<ComplianceSnapshotRow> snapshots;
  snapshots.reserve(rows->size());
  for (const Row& row : *rows) {
    snapshots.push_back(ComplianceSnapshotRow{
        .day = row.text(0),
        .group_kind = row.text(1),
        .group_id = row.text(2),
        .group_name = row.text(3),
        .compliant = row.integer(4),
        .not_compliant = row.integer(5),
        .unknown = row.integer(6),
        .recorded_at = timeFromColumn(row.integer(7)),
    });
  }
  return snapshots;
}

}  // namespace pk::store
