#pragma once

// Deployment rules: the server creates a deployment on a schedule, for
// example every month on Patch Tuesday + 1 day, with every approved patch
// (optionally only those of one ecosystem). The counterpart of
// Configuration Manager's automatic deployment rules.
//
// A rule's schedule is a maintenance window's: an RFC 5545 RRULE expanded
// from a local start in an IANA zone, plus an offset in days
// (schedule/window_rule.h). Each occurrence's start is the deployment's
// available_at; available_at + deadline_seconds is its deadline.
//
// Each run looks at the occurrences that started after the rule was
// created and after the occurrence it last ran for, and takes only the
// latest one: a server that was down for two months creates one
// deployment, not two. The rule records that occurrence and the outcome
// (the deployment id, or why createDeployment() turned it down), so a
// rejected occurrence is not retried on every run.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/error.h"
#include "schedule/window_rule.h"
#include "server/deployments.h"
#include "store/database.h"
#include "store/deployment_rule_repository.h"

namespace pk::server {

// The largest deadline_seconds: a year.
inline constexpr std::int64_t kMaxRuleDeadlineSeconds = 365 * 24 * 3600;

// Reads a POST /api/v1/deployment-rules body: name, enabled (default
// true), rrule (at most daily), start_local ("2026-01-13T09:00:00"), zone,
// offset_days (default 0), ring_sequence (default "default"),
// deadline_seconds (1 to a year), ecosystem (optional, "Debian:12"). The
// schedule must have an occurrence. A rejection names the field. The
// record gets no id, creator or creation time.
Outcome<store::DeploymentRuleRecord> parseDeploymentRuleRequest(const nlohmann::json& body);

// The schedule of `rule` as a window rule (the window length is unused).
Result<schedule::WindowRule> scheduleOf(const store::DeploymentRuleRecord& rule);

// The start of the occurrence a run at `now` would create a deployment
// for: the latest that started at or before `now`, after the rule's
// creation and after last_created_for. nullopt when there is none.
Result<std::optional<schedule::Occurrence>> dueOccurrence(const store::DeploymentRuleRecord& rule,
                                                          SystemTime now);

// Stores `rule` with a new id, created by `actor` at `now`, audited as
// "deployment_rule.create".
Result<store::DeploymentRuleRecord> createDeploymentRule(store::Session& session,
                                                         store::DeploymentRuleRecord rule,
                                                         const std::string& actor, SystemTime now);

// Deletes the rule, audited as "deployment_rule.delete". Returns false for
// an unknown id. The deployments it created stay.
Result<bool> removeDeploymentRule(store::Session& session, const std::string& id,
                                  const std::string& actor, SystemTime now);

// Runs every enabled rule at `now`: for each with a due occurrence,
// creates a deployment of the approved patches through createDeployment()
// with actor "rule:<id>" and rule_id set, and records the run. Returns the
// ids of the deployments created. Runs inside the caller's write
// transaction.
Result<std::vector<std::string>> runDeploymentRules(store::Session& session,
                                                    const DeploymentServices& services,
                                                    SystemTime now);

// The rule as the API shows it, with the next occurrence after `now`.
nlohmann::json deploymentRuleToJson(const store::DeploymentRuleRecord& rule, SystemTime now);

}  // namespace pk::server
