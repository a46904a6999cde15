#pragma once

// Deployment rules: a schedule (an RRULE with a local start, a zone and an
// offset in days) on which the server creates a deployment of the approved
// patches. The rules of schedules and runs live in server/deployment_rules.h;
// this layer stores what it is given.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

struct DeploymentRuleRecord {
  std::string id;  // "r-" followed by 16 lower-case hex digits
  std::string name;
  bool enabled = true;
  std::string rrule;        // RFC 5545 RRULE value
  std::string start_local;  // local date-time "2026-01-13T09:00:00"
  std::string zone;         // IANA zone name
  std::int64_t offset_days = 0;
  std::string ring_sequence;
  std::int64_t deadline_seconds = 0;
  std::optional<std::string> ecosystem;  // only approved patches of this ecosystem
  std::string created_by;
  SystemTime created_at{};
  // The occurrence start the rule last ran for, and what came of it.
  std::optional<SystemTime> last_created_for;
  std::string last_result;

  friend bool operator==(const DeploymentRuleRecord&, const DeploymentRuleRecord&) = default;
};

// Returns a new random rule id ("r-...").
std::string newDeploymentRuleId();

// Fails with kInvalidArgument when the id exists.
Result<void> insertDeploymentRule(Session& session, const DeploymentRuleRecord& rule);
Result<std::optional<DeploymentRuleRecord>> getDeploymentRule(Session& session,
                                                              const std::string& id);
// Ordered by id. Only the enabled ones when `enabled_only`.
Result<std::vector<DeploymentRuleRecord>> listDeploymentRules(Session& session,
                                                              bool enabled_only = false);
// Deletes the rule; its deployments stay, with no rule_id. Returns whether
// a rule was deleted.
Result<bool> deleteDeploymentRule(Session& session, const std::string& id);
// Records that the rule ran for the occurrence starting at `occurrence`
// (last_created_for stays when nullopt), and its outcome. Fails with
// kNotFound for an unknown id.
Result<void> recordDeploymentRuleRun(Session& session, const std::string& id,
                                     std::optional<SystemTime> occurrence,
                                     const std::string& result);

}  // namespace pk::store
