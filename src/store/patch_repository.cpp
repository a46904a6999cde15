#include "store/patch_repository.h"

#include <algorithm>
#include <array>
#include <set>

#include <fmt/format.h>

namespace pk::store {
namespace {

// Severity names ranked as advisory::Severity orders them, for MAX() in SQL.
constexpr std::string_view kSeverityRank =
    "CASE f.severity WHEN 'critical' THEN 5 WHEN 'high' THEN 4 WHEN 'medium' THEN 3 "
    "WHEN 'low' THEN 2 WHEN 'none' THEN 1 ELSE 0 END";

constexpr std::array<std::string_view, 6> kSeverityByRank = {"unknown", "none", "low",
                                                             "medium",  "high", "critical"};

std::int64_t rankOf(std::string_view severity) {
  for (std::size_t i = 0; i < kSeverityByRank.size(); ++i) {
    if (kSeverityByRank[i] == severity) return static_cast<std::int64_t>(i);
  }
  return 0;
}

std::string nameOfRank(std::int64_t rank) {
  if (rank < 0 || static_cast<std::size_t>(rank) >= kSeverityByRank.size()) return "unknown";
  return std::string(kSeverityByRank[static_cast<std::size_t>(rank)]);
}

constexpr std::string_view kPatchColumns =
    "p.id, p.kind, p.ecosystem, p.name, p.version, p.first_seen_at, p.decision, p.decided_by, "
    "p.decided_at, p.decision_reason";

PatchRecord rowToPatch(const Row& row) {
  PatchRecord patch;
  patch.id = row.text(0);
  patch.kind = row.text(1);
  patch.ecosystem = row.text(2);
  patch.name = row.text(3);
  patch.version = row.text(4);
  patch.first_seen_at = timeFromColumn(row.integer(5));
  patch.decision = row.text(6);
  patch.decided_by = row.text(7);
  if (auto at = row.optionalInteger(8)) patch.decided_at = timeFromColumn(*at);
  patch.decision_reason = row.text(9);
  return patch;
}

std::string placeholders(std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += i == 0 ? "?" : ", ?";
  return text;
}

// Keeps IN lists well below both backends' limits on bound parameters.
constexpr std::size_t kMaxInList = 500;

bool isCveId(std::string_view text) {
  return text.rfind("CVE-", 0) == 0;
}

// Fills the advisories and CVE ids of `summaries` from their open findings.
Result<void> addAdvisories(Session& session, std::vector<PatchSummary>& summaries) {
  std::map<std::string, std::set<std::string>> advisories;
  std::map<std::string, std::set<std::string>> cves;
  for (std::size_t start = 0; start < summaries.size(); start += kMaxInList) {
    const std::size_t count = std::min(kMaxInList, summaries.size() - start);
    std::vector<Value> params;
    for (std::size_t i = start; i < start + count; ++i) params.push_back(summaries[i].patch.id);

    auto rows = session.query(
        fmt::format("SELECT DISTINCT pf.patch_id, f.advisory_id FROM patch_findings pf "
                    "JOIN findings f ON f.id = pf.finding_id WHERE f.status = 'open' AND "
                    "pf.patch_id IN ({})",
                    placeholders(count)),
        params);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) {
      advisories[row.text(0)].insert(row.text(1));
      if (isCveId(row.text(1))) cves[row.text(0)].insert(row.text(1));
    }

    auto aliases =
        session.query(fmt::format("SELECT DISTINCT pf.patch_id, fa.alias FROM patch_findings pf "
                                  "JOIN findings f ON f.id = pf.finding_id "
                                  "JOIN finding_aliases fa ON fa.finding_id = f.id "
                                  "WHERE f.status = 'open' AND pf.patch_id IN ({})",
                                  placeholders(count)),
                      params);
    if (!aliases) return tl::unexpected(aliases.error());
    for (const auto& row : *aliases) {
      if (isCveId(row.text(1))) cves[row.text(0)].insert(row.text(1));
    }
  }
  for (auto& summary : summaries) {
    const auto& found_advisories = advisories[summary.patch.id];
    summary.advisories.assign(found_advisories.begin(), found_advisories.end());
    const auto& found_cves = cves[summary.patch.id];
    summary.cve_ids.assign(found_cves.begin(), found_cves.end());
  }
  return {};
}

}  // namespace

Result<bool> insertPatchIfMissing(Session& session, const PatchRecord& patch) {
  auto inserted = session.execute(
      "INSERT INTO patches (id, kind, ecosystem, name, version, first_seen_at) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
      {patch.id, patch.kind, patch.ecosystem, patch.name, patch.version,
       timeToColumn(patch.first_seen_at)});
  if (!inserted) return tl::unexpected(inserted.error());
  return session.changedRows() > 0;
}

Result<void> linkFindingToPatch(Session& session, std::int64_t finding_id,
                                const std::string& patch_id) {
  return session.execute(
      "INSERT INTO patch_findings (finding_id, patch_id) VALUES (?, ?) "
      "ON CONFLICT (finding_id) DO UPDATE SET patch_id = excluded.patch_id",
      {finding_id, patch_id});
}

Result<void> unlinkFinding(Session& session, std::int64_t finding_id) {
  return session.execute("DELETE FROM patch_findings WHERE finding_id = ?", {finding_id});
}

Result<std::map<std::int64_t, std::string>> patchLinksOfHost(Session& session,
                                                             const std::string& host_id) {
  auto rows = session.query(
      "SELECT pf.finding_id, pf.patch_id FROM patch_findings pf JOIN findings f ON f.id = "
      "pf.finding_id WHERE f.host_id = ?",
      {host_id});
  if (!rows) return tl::unexpected(rows.error());
  std::map<std::int64_t, std::string> links;
  for (const auto& row : *rows) links.emplace(row.integer(0), row.text(1));
  return links;
}

Result<std::optional<PatchRecord>> getPatch(Session& session, const std::string& id) {
  auto row =
      session.queryOne(fmt::format("SELECT {} FROM patches p WHERE p.id = ?", kPatchColumns), {id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<PatchRecord>();
  return std::optional<PatchRecord>(rowToPatch(**row));
}

Result<std::vector<PatchSummary>> listPatchSummaries(Session& session, const PatchQuery& query) {
  // The open findings join on the patch; a LEFT JOIN keeps resolved
  // patches, whose aggregates are then NULL.
  std::string sql = fmt::format(
      "SELECT {0}, MAX({1}), MAX(f.known_exploited), "
      "MIN(CASE WHEN f.kev_due_date = '' THEN NULL ELSE f.kev_due_date END), MAX(f.epss), "
      "COUNT(DISTINCT f.host_id), MAX(CASE WHEN f.source = 'advisory' THEN 1 ELSE 0 END), "
      "MAX(CASE WHEN f.source = 'host-repository' THEN 1 ELSE 0 END) "
      "FROM patches p {2} JOIN patch_findings pf ON pf.patch_id = p.id "
      "{2} JOIN findings f ON f.id = pf.finding_id AND f.status = 'open'",
      kPatchColumns, kSeverityRank, query.include_resolved ? "LEFT" : "");
  std::vector<std::string> conditions;
  std::vector<Value> params;
  if (query.ecosystem) {
    conditions.push_back("p.ecosystem = ?");
    params.push_back(*query.ecosystem);
  }
  if (query.decision) {
    conditions.push_back("p.decision = ?");
    params.push_back(*query.decision);
  }
  if (query.ids) {
    if (query.ids->empty()) return std::vector<PatchSummary>();
    if (query.ids->size() > kMaxInList) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("at most {} patch ids can be listed at once", kMaxInList));
    }
    conditions.push_back(fmt::format("p.id IN ({})", placeholders(query.ids->size())));
    params.insert(params.end(), query.ids->begin(), query.ids->end());
  }
  if (query.after_id) {
    conditions.push_back("p.id > ?");
    params.push_back(*query.after_id);
  }
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    sql += i == 0 ? " WHERE " : " AND ";
    sql += conditions[i];
  }
  sql +=
      " GROUP BY p.id, p.kind, p.ecosystem, p.name, p.version, p.first_seen_at, p.decision, "
      "p.decided_by, p.decided_at, p.decision_reason";

  std::vector<std::string> having;
  if (query.minimum_severity) {
    having.push_back(fmt::format("MAX({}) >= ?", kSeverityRank));
    params.push_back(rankOf(*query.minimum_severity));
  }
  if (query.known_exploited_only) having.push_back("MAX(f.known_exploited) = 1");
  for (std::size_t i = 0; i < having.size(); ++i) {
    sql += i == 0 ? " HAVING " : " AND ";
    sql += having[i];
  }
  sql += " ORDER BY p.id LIMIT ?";
  params.push_back(static_cast<std::int64_t>(query.limit));

  auto rows = session.query(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<PatchSummary> summaries;
  summaries.reserve(rows->size());
  for (const auto& row : *rows) {
    PatchSummary summary;
    summary.patch = rowToPatch(row);
    summary.highest_severity = nameOfRank(row.integer(10));
    summary.known_exploited = row.integer(11) != 0;
    summary.earliest_kev_due_date = row.text(12);
    if (!row.isNull(13)) summary.highest_epss = row.real(13);
    summary.affected_hosts = row.integer(14);
    summary.from_advisory = row.integer(15) != 0;
    summary.from_host_repository = row.integer(16) != 0;
    summaries.push_back(std::move(summary));
  }
  if (auto added = addAdvisories(session, summaries); !added) return tl::unexpected(added.error());
  return summaries;
}

Result<std::int64_t> recordPatchDecision(Session& session, const PatchDecisionRecord& decision) {
  auto updated = session.execute(
      "UPDATE patches SET decision = ?, decided_by = ?, decided_at = ?, decision_reason = ? "
      "WHERE id = ?",
      {decision.decision, decision.decided_by, timeToColumn(decision.decided_at), decision.reason,
       decision.patch_id});
  if (!updated) return tl::unexpected(updated.error());
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("no patch {} is known", decision.patch_id));
  }
  return session.insertReturningId(
      "INSERT INTO patch_decisions (patch_id, decision, decided_by, decided_at, reason) "
      "VALUES (?, ?, ?, ?, ?)",
      {decision.patch_id, decision.decision, decision.decided_by, timeToColumn(decision.decided_at),
       decision.reason});
}

Result<std::vector<PatchDecisionRecord>> listPatchDecisions(Session& session,
                                                            const std::string& patch_id) {
  auto rows = session.query(
      "SELECT id, patch_id, decision, decided_by, decided_at, reason FROM patch_decisions "
      "WHERE patch_id = ? ORDER BY id",
      {patch_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<PatchDecisionRecord> decisions;
  for (const auto& row : *rows) {
    decisions.push_back(PatchDecisionRecord{row.integer(0), row.text(1), row.text(2), row.text(3),
                                            timeFromColumn(row.integer(4)), row.text(5)});
  }
  return decisions;
}

Result<std::vector<PatchHost>> listPatchHosts(Session& session, const std::string& patch_id,
                                              std::size_t limit) {
  auto rows = session.query(
      "SELECT f.host_id, h.hostname, COUNT(*) FROM patch_findings pf "
      "JOIN findings f ON f.id = pf.finding_id JOIN hosts h ON h.id = f.host_id "
      "WHERE pf.patch_id = ? AND f.status = 'open' GROUP BY f.host_id, h.hostname "
      "ORDER BY f.host_id LIMIT ?",
      {patch_id, static_cast<std::int64_t>(limit)});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<PatchHost> hosts;
  for (const auto& row : *rows) {
    hosts.push_back(PatchHost{row.text(0), row.text(1), row.integer(2)});
  }
  return hosts;
}

Result<std::vector<StoredFinding>> openFindingsOfPatchOnHost(Session& session,
                                                             const std::string& host_id,
                                                             const std::string& patch_id) {
  auto ids = session.query(
      "SELECT f.id FROM patch_findings pf JOIN findings f ON f.id = pf.finding_id "
      "WHERE pf.patch_id = ? AND f.host_id = ? AND f.status = 'open' ORDER BY f.id",
      {patch_id, host_id});
  if (!ids) return tl::unexpected(ids.error());
  std::set<std::int64_t> linked_ids;
  for (const auto& row : *ids) linked_ids.insert(row.integer(0));
  if (linked_ids.empty()) return std::vector<StoredFinding>();

  auto findings = loadHostFindings(session, host_id);
  if (!findings) return tl::unexpected(findings.error());
  std::vector<StoredFinding> selected;
  for (auto& finding : *findings) {
    if (linked_ids.count(finding.id) != 0) selected.push_back(std::move(finding));
  }
  return selected;
}

Result<std::int64_t> insertApprovalRule(Session& session, const ApprovalRuleRecord& rule) {
  return session.insertReturningId(
      "INSERT INTO approval_rules (name, ecosystem, minimum_severity, known_exploited_only, "
      "include_host_repository, enabled, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      {rule.name, rule.ecosystem, rule.minimum_severity,
       std::int64_t{rule.known_exploited_only ? 1 : 0},
       std::int64_t{rule.include_host_repository ? 1 : 0}, std::int64_t{rule.enabled ? 1 : 0},
       rule.created_by, timeToColumn(rule.created_at)});
}

namespace {

constexpr std::string_view kRuleColumns =
    "id, name, ecosystem, minimum_severity, known_exploited_only, include_host_repository, "
    "enabled, created_by, created_at";

ApprovalRuleRecord rowToRule(const Row& row) {
  ApprovalRuleRecord rule;
  rule.id = row.integer(0);
  rule.name = row.text(1);
  rule.ecosystem = row.text(2);
  rule.minimum_severity = row.text(3);
  rule.known_exploited_only = row.boolean(4);
  rule.include_host_repository = row.boolean(5);
  rule.enabled = row.boolean(6);
  rule.created_by = row.text(7);
  rule.created_at = timeFromColumn(row.integer(8));
  return rule;
}

}  // namespace

Result<std::vector<ApprovalRuleRecord>> listApprovalRules(Session& session) {
  auto rows = session.query(fmt::format("SELECT {} FROM approval_rules ORDER BY id", kRuleColumns));
  if (!rows) return tl::unexpected(rows.error());
  std::vector<ApprovalRuleRecord> rules;
  for (const auto& row : *rows) rules.push_back(rowToRule(row));
  return rules;
}

Result<std::optional<ApprovalRuleRecord>> getApprovalRule(Session& session, std::int64_t id) {
  auto row = session.queryOne(
      fmt::format("SELECT {} FROM approval_rules WHERE id = ?", kRuleColumns), {id});
  if (!row) return tl::unexpected(row.error());
  if (!*row) return std::optional<ApprovalRuleRecord>();
  return std::optional<ApprovalRuleRecord>(rowToRule(**row));
}

Result<void> deleteApprovalRule(Session& session, std::int64_t id) {
  auto deleted = session.execute("DELETE FROM approval_rules WHERE id = ?", {id});
  if (!deleted) return deleted;
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("no approval rule has id {}", id));
  }
  return {};
}

Result<void> insertRiskException(Session& session, const RiskExceptionRecord& exception) {
  return session.execute(
      "INSERT INTO risk_exceptions (ticket_id, host_id, advisory_id, expires_at, approved_at) "
      "VALUES (?, ?, ?, ?, ?)",
      {exception.ticket_id, exception.host_id, exception.advisory_id,
       timeToColumn(exception.expires_at), timeToColumn(exception.approved_at)});
}

Result<std::map<std::pair<std::string, std::string>, RiskExceptionRecord>> activeRiskExceptions(
    Session& session, const std::vector<std::string>& host_ids, SystemTime now) {
  std::map<std::pair<std::string, std::string>, RiskExceptionRecord> found;
  std::set<std::string> unique(host_ids.begin(), host_ids.end());
  const std::vector<std::string> hosts(unique.begin(), unique.end());
  for (std::size_t start = 0; start < hosts.size(); start += kMaxInList) {
    const std::size_t count = std::min(kMaxInList, hosts.size() - start);
    std::vector<Value> params(hosts.begin() + static_cast<std::ptrdiff_t>(start),
                              hosts.begin() + static_cast<std::ptrdiff_t>(start + count));
    params.push_back(timeToColumn(now));
    auto rows = session.query(
        fmt::format("SELECT ticket_id, host_id, advisory_id, expires_at, approved_at FROM "
                    "risk_exceptions WHERE host_id IN ({}) AND expires_at > ? ORDER BY ticket_id",
                    placeholders(count)),
        params);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) {
      RiskExceptionRecord exception{row.integer(0), row.text(1), row.text(2),
                                    timeFromColumn(row.integer(3)), timeFromColumn(row.integer(4))};
      auto key = std::make_pair(exception.host_id, exception.advisory_id);
      auto existing = found.find(key);
      if (existing == found.end() || existing->second.expires_at < exception.expires_at) {
        found[key] = exception;
      }
    }
  }
  return found;
}

Result<std::map<std::string, std::int64_t>> countOpenFindingsWithoutException(
    Session& session, const std::vector<std::string>& host_ids, SystemTime now) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& host_id : host_ids) counts.emplace(host_id, 0);

  for (std::size_t start = 0; start < host_ids.size(); start += kMaxInList) {
    const std::size_t count = std::min(kMaxInList, host_ids.size() - start);
    std::vector<Value> params;
    params.push_back(timeToColumn(now));
    params.insert(params.end(), host_ids.begin() + static_cast<std::ptrdiff_t>(start),
                  host_ids.begin() + static_cast<std::ptrdiff_t>(start + count));
    auto rows = session.query(
        fmt::format("SELECT f.host_id, COUNT(*) FROM findings f WHERE f.status = 'open' AND "
                    "NOT EXISTS (SELECT 1 FROM risk_exceptions e WHERE e.host_id = f.host_id "
                    "AND e.advisory_id = f.advisory_id AND e.expires_at > ?) AND f.host_id IN "
                    "({}) GROUP BY f.host_id",
                    placeholders(count)),
        params);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) counts[row.text(0)] = row.integer(1);
  }
  return counts;
}

}  // namespace pk::store
