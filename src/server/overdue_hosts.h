#pragma once

// Hosts overdue for a deployment: the host has a job in a deployment whose
// deadline has passed, the job did not succeed (and was not cancelled),
// and at least one of these is true:
//   - the job failed or is unschedulable;
//   - a restart is pending (the job waits in restart_pending, or the host
//     reports that installed updates wait for a restart);
//   - the host still has an open finding that a patch of the deployment
//     fixes and no risk exception in force covers.
// One row per (host, deployment). Cancelled deployments and revoked hosts
// are left out.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"
#include "store/overdue_repository.h"

namespace pk::server {

struct OverdueHost {
  store::OverdueJobRow job;
  std::optional<std::string> window_id;  // the host's window at `now`
  std::string window_name;               // "" without a window
  Elapsed overdue{};                     // now minus the deadline
  std::vector<std::string> reasons;      // sentences, at least one
};

// Returns the overdue hosts at `now`, of `owner` only when it is set, most
// overdue first. Runs a fixed number of queries, whatever the number of
// jobs.
Result<std::vector<OverdueHost>> listOverdueHosts(store::Session& session, SystemTime now,
                                                  const std::optional<std::string>& owner);

}  // namespace pk::server
