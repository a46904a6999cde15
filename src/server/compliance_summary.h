#pragma once

// Compliance counted per group of hosts, and the daily snapshots of those
// counts that the compliance history returns. Each host's verdict comes
// from computeCompliance (server/compliance.h), with its open findings
// minus those covered by an active risk exception, and a server's window
// taken at `now` (a due pending move counts as applied).
//
// Groupings:
//   fleet       one group with every active host.
//   collection  one group per stored collection; a host counts in each
//               collection it is in, and hosts in none form the group "".
//   window      servers only: one group per stored window, and the
//               servers without a window in the group "".
//   ring        one group per ring of a ring sequence, named by the ring's
//               collection; hosts in none of the rings are left out.
//   owner       one group per owner; hosts without one form the group "".
// Every function runs a fixed number of queries per collection or ring,
// whatever the number of hosts.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::server {

enum class ComplianceGrouping { kFleet, kCollection, kWindow, kRing, kOwner };

// Returns "fleet", "collection", "window", "ring" or "owner".
std::string_view complianceGroupingName(ComplianceGrouping grouping);

// Parses the names above. Returns nullopt for anything else.
std::optional<ComplianceGrouping> parseComplianceGrouping(std::string_view name);

// The ring sequence that ?by=ring uses unless the request names another.
inline constexpr std::string_view kDefaultRingSequenceId = "default";

struct ComplianceGroup {
  std::string id;  // collection, window or ring collection id, owner name, or ""
  std::string name;
  std::int64_t position = 0;  // ring position from 0 (rings only)
  std::int64_t compliant = 0;
  std::int64_t not_compliant = 0;
  std::int64_t unknown = 0;

  std::int64_t total() const { return compliant + not_compliant + unknown; }
  // Compliant hosts as a percentage of all hosts in the group, or nullopt
  // for an empty group.
  std::optional<double> percentCompliant() const;
};

struct ComplianceSummaryQuery {
  ComplianceGrouping grouping = ComplianceGrouping::kFleet;
  std::string ring_sequence_id = std::string(kDefaultRingSequenceId);
  std::optional<std::string> owner;  // count only this owner's hosts
  std::chrono::days stale_after{7};
};

// Counts the active hosts per group of `query.grouping` at `now`. Groups
// come in a stable order: rings by position, the others by id, with the
// group "" last. Fails with kNotFound when the ring sequence does not
// exist, and with the store's error otherwise.
Result<std::vector<ComplianceGroup>> summarizeCompliance(store::Session& session, SystemTime now,
                                                         const ComplianceSummaryQuery& query);

// Returns the UTC date of `time` as YYYY-MM-DD.
std::string utcDay(SystemTime time);

// Writes the snapshot of the UTC day of `now`: one row per group of every
// grouping (rings of the default sequence), including the fleet row. Skips
// the work and returns false when that day already has a snapshot, so a
// job that runs hourly writes once a day. Returns true when it wrote.
Result<bool> recordComplianceSnapshot(store::Session& session, SystemTime now,
                                      std::chrono::days stale_after);

}  // namespace pk::server
