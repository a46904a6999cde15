#pragma once

// The fleet-wide facts the web console's dashboard shows, each read with
// one aggregate query whatever the number of hosts and findings. Open
// findings by severity come from countOpenFindingsBySeverity() in
// finding_repository.h.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct KevExposure {
  std::string advisory_id;
  std::string kev_due_date;  // "YYYY-MM-DD", or "" when KEV gave none
  std::int64_t hosts = 0;    // active hosts with an open finding of it

  friend bool operator==(const KevExposure&, const KevExposure&) = default;
};

// The advisories with an open finding that CISA KEV lists, on active
// hosts, earliest due date first (those without one last), then by
// advisory id; at most `limit`.
Result<std::vector<KevExposure>> listKevExposure(Session& session, std::int64_t limit);

struct RestartHost {
  std::string id;
  std::string hostname;

  friend bool operator==(const RestartHost&, const RestartHost&) = default;
};

// How many active hosts report a pending restart, and the first `limit` of
// them by host name.
Result<std::int64_t> countHostsNeedingRestart(Session& session);
Result<std::vector<RestartHost>> listHostsNeedingRestart(Session& session, std::int64_t limit);

}  // namespace pk::store
