#include "store/deployment_rule_repository.h"

#include <fmt/format.h>

#include "store/column_values.h"
#include "store/host_repository.h"

namespace pk::store {
namespace {

constexpr std::string_view kSelectRule =
    "SELECT id, name, enabled, rrule, start_local, zone, offset_days, ring_sequence, "
    "deadline_seconds, ecosystem, created_by, created_at, last_created_for, last_result "
    "FROM deployment_rules";

DeploymentRuleRecord ruleFromRow(const Row& row) {
  DeploymentRuleRecord rule;
  rule.id = row.text(0);
  rule.name = row.text(1);
  rule.enabled = row.boolean(2);
  rule.rrule = row.text(3);
  rule.start_local = row.text(4);
  rule.zone = row.text(5);
  rule.offset_days = row.integer(6);
  rule.ring_sequence = row.text(7);
  rule.deadline_seconds = row.integer(8);
  rule.ecosystem = row.optionalText(9);
  rule.created_by = row.text(10);
  rule.created_at = timeFromColumn(row.integer(11));
  rule.last_created_for = nullableTimeAt(row, 12);
  rule.last_result = row.text(13);
  return rule;
}

}  // namespace

std::string newDeploymentRuleId() {
  return "r-" + newHostId().substr(2);
}

Result<void> insertDeploymentRule(Session& session, const DeploymentRuleRecord& rule) {
  return session.execute(
      "INSERT INTO deployment_rules (id, name, enabled, rrule, start_local, zone, offset_days, "
      "ring_sequence, deadline_seconds, ecosystem, created_by, created_at, last_created_for, "
      "last_result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {rule.id, rule.name, std::int64_t{rule.enabled ? 1 : 0}, rule.rrule, rule.start_local,
       rule.zone, rule.offset_days, rule.ring_sequence, rule.deadline_seconds,
       nullableText(rule.ecosystem), rule.created_by, timeToColumn(rule.created_at),
       nullableTime(rule.last_created_for), rule.last_result});
}

Result<std::optional<DeploymentRuleRecord>> getDeploymentRule(Session& session,
                                                              const std::string& id) {
  auto row = session.queryOne(fmt::format("{} WHERE id = ?", kSelectRule), {id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<DeploymentRuleRecord>();
  return std::optional<DeploymentRuleRecord>(ruleFromRow(**row));
}

Result<std::vector<DeploymentRuleRecord>> listDeploymentRules(Session& session, bool enabled_only) {
  auto rows = session.query(
      fmt::format("{}{} ORDER BY id", kSelectRule, enabled_only ? " WHERE enabled = 1" : ""), {});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<DeploymentRuleRecord> rules;
  for (const Row& row : *rows) rules.push_back(ruleFromRow(row));
  return rules;
}

Result<bool> deleteDeploymentRule(Session& session, const std::string& id) {
  auto cleared = session.execute("UPDATE deployments SET rule_id = NULL WHERE rule_id = ?", {id});
  if (!cleared) return tl::unexpected(cleared.error());
  auto deleted = session.execute("DELETE FROM deployment_rules WHERE id = ?", {id});
  if (!deleted) return tl::unexpected(deleted.error());
  return session.changedRows() > 0;
}

Result<void> recordDeploymentRuleRun(Session& session, const std::string& id,
                                     std::optional<SystemTime> occurrence,
                                     const std::string& result) {
  auto updated =
      occurrence
          ? session.execute(
                "UPDATE deployment_rules SET last_created_for = ?, last_result = ? WHERE id = ?",
                {timeToColumn(*occurrence), result, id})
          : session.execute("UPDATE deployment_rules SET last_result = ? WHERE id = ?",
                            {result, id});
  if (!updated) return updated;
  if (session.changedRows() > 0) return {};
  return fail(ErrorCode::kNotFound, fmt::format("no deployment rule {} exists", id));
}

}  // namespace pk::store
