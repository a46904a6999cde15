#pragma once

// Daily compliance snapshots per group (table compliance_snapshots), the
// history behind compliance trends. server/compliance_summary.h computes
// the counts, and this file only reads and writes the rows.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct ComplianceSnapshotRow {
  std::string day;         // UTC date, YYYY-MM-DD
  std::string group_kind;  // "fleet", "collection", "window", "ring" or "owner"
  std::string group_id;    // "" for the fleet and for hosts in no group of the kind
  std::string group_name;
  std::int64_t compliant = 0;
  std::int64_t not_compliant = 0;
  std::int64_t unknown = 0;
  SystemTime recorded_at{};

  friend bool operator==(const ComplianceSnapshotRow&, const ComplianceSnapshotRow&) = default;
};

// Returns whether any snapshot row exists for UTC date `day`.
Result<bool> hasComplianceSnapshot(Session& session, const std::string& day);

// Inserts `rows`, one statement each. Fails with the database's error when
// a row repeats (day, group_kind, group_id) of a stored one.
Result<void> insertComplianceSnapshotRows(Session& session,
                                          const std::vector<ComplianceSnapshotRow>& rows);

// Returns the rows of `group_kind` whose day is `first_day` or later,
// ordered by group id, then day.
Result<std::vector<ComplianceSnapshotRow>> listComplianceSnapshots(Session& session,
                                                                   std::string_view group_kind,
                                                                   const std::string& first_day);

}  // namespace pk::store
