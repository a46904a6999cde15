#pragma once

// The jobs that remain unfinished after their deployment's deadline, with
// the facts that make a host overdue. server/overdue_hosts.h decides which
// of them are overdue, and this file only reads the rows.

#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct OverdueJobRow {
  std::string job_id;
  std::string job_state;
  std::string deployment_id;
  std::string deployment_name;
  SystemTime deadline{};
  std::string host_id;
  std::string hostname;
  std::string owner;
  bool host_restart_required = false;
  // The host's open findings linked to a patch of the deployment, without
  // those a risk exception in force at `now` covers.
  std::int64_t open_fixed_findings = 0;

  friend bool operator==(const OverdueJobRow&, const OverdueJobRow&) = default;
};

// Returns the jobs of active hosts in deployments that are not cancelled
// and whose deadline is before `now`, except jobs that succeeded or were
// cancelled. Ordered by deadline, then deployment id, then host id. Runs
// two queries, whatever the number of jobs.
Result<std::vector<OverdueJobRow>> listJobsPastDeadline(Session& session, SystemTime now);

}  // namespace pk::store
