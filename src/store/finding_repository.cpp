#include "store/finding_repository.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pk::store {
namespace {

std::int64_t toMicros(SystemTime time) {
  return time.time_since_epoch().count();
}

SystemTime fromMicros(std::int64_t micros) {
  return SystemTime(std::chrono::microseconds(micros));
}

Value optionalTime(const std::optional<SystemTime>& time) {
  if (!time) return std::monostate{};
  return toMicros(*time);
}

Value optionalReal(const std::optional<double>& value) {
  if (!value) return std::monostate{};
  return *value;
}

std::string aliasesToJson(const std::vector<std::string>& aliases) {
  return nlohmann::json(aliases).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The column was written by aliasesToJson(); anything else reads as no
// aliases rather than failing the whole listing.
std::vector<std::string> aliasesFromJson(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> aliases;
  if (!json.is_array()) return aliases;
  for (const auto& item : json) {
    if (item.is_string()) aliases.push_back(item.get<std::string>());
  }
  return aliases;
}

// Columns in the order rowToFinding() reads them, prefixed "f." so that
// queries joining hosts stay unambiguous.
constexpr std::string_view kFindingColumns =
    "f.id, f.host_id, f.source, f.advisory_id, f.package, f.source_package, "
    "f.installed_version, f.compared_version, f.fixed_version, f.ecosystem, f.severity, f.cvss, "
    "f.known_exploited, "
    "f.kev_due_date, f.epss, f.aliases, f.status, f.first_seen_at, f.last_seen_at, f.fixed_at, "
    "f.fix_kb";

StoredFinding rowToFinding(const Row& row) {
  StoredFinding finding;
  finding.id = row.integer(0);
  finding.host_id = row.text(1);
  finding.source = parseFindingSource(row.text(2)).value_or(FindingSource::kAdvisory);
  finding.advisory_id = row.text(3);
  finding.package = row.text(4);
  finding.source_package = row.text(5);
  finding.installed_version = row.text(6);
  finding.compared_version = row.text(7);
  finding.fixed_version = row.text(8);
  finding.ecosystem = row.text(9);
  finding.severity = row.text(10);
  if (!row.isNull(11)) finding.cvss = row.real(11);
  finding.known_exploited = row.boolean(12);
  finding.kev_due_date = row.text(13);
  if (!row.isNull(14)) finding.epss = row.real(14);
  finding.aliases = aliasesFromJson(row.text(15));
  finding.status = parseFindingStatus(row.text(16)).value_or(FindingStatus::kOpen);
  finding.first_seen_at = fromMicros(row.integer(17));
  finding.last_seen_at = fromMicros(row.integer(18));
  if (auto fixed_at = row.optionalInteger(19)) finding.fixed_at = fromMicros(*fixed_at);
  finding.fix_kb = row.text(20);
  return finding;
}

Result<std::vector<StoredFinding>> queryFindings(Session& session, const std::string& sql,
                                                 const std::vector<Value>& params) {
  auto rows = session.query(sql, params);
  if (!rows) return tl::unexpected(rows.error());
  std::vector<StoredFinding> findings;
  findings.reserve(rows->size());
  for (const auto& row : *rows) findings.push_back(rowToFinding(row));
  return findings;
}

Result<void> replaceAliases(Session& session, const StoredFinding& finding) {
  auto cleared = session.execute("DELETE FROM finding_aliases WHERE finding_id = ?", {finding.id});
  if (!cleared) return cleared;
  for (const auto& alias : finding.aliases) {
    auto inserted = session.execute(
        "INSERT INTO finding_aliases (finding_id, alias) VALUES (?, ?) "
        "ON CONFLICT (finding_id, alias) DO NOTHING",
        {finding.id, alias});
    if (!inserted) return inserted;
  }
  return {};
}

// "?, ?, ?" for `count` placeholders.
std::string placeholders(std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += i == 0 ? "?" : ", ?";
  return text;
}

// Keeps IN lists well below SQLite's limit of bound parameters (32766
// since 3.32) and PostgreSQL's (65535).
constexpr std::size_t kMaxInList = 500;

}  // namespace

std::string_view findingSourceName(FindingSource source) {
  return source == FindingSource::kHostRepository ? "host-repository" : "advisory";
}

std::string_view findingStatusName(FindingStatus status) {
  return status == FindingStatus::kFixed ? "fixed" : "open";
}

std::string_view findingEventTypeName(FindingEventType type) {
  switch (type) {
    case FindingEventType::kOpened:
      return "opened";
    case FindingEventType::kFixed:
      return "fixed";
    case FindingEventType::kReopened:
      return "reopened";
  }
  return "opened";
}

std::optional<FindingSource> parseFindingSource(std::string_view name) {
  if (name == "advisory") return FindingSource::kAdvisory;
  if (name == "host-repository") return FindingSource::kHostRepository;
  return std::nullopt;
}

std::optional<FindingStatus> parseFindingStatus(std::string_view name) {
  if (name == "open") return FindingStatus::kOpen;
  if (name == "fixed") return FindingStatus::kFixed;
  return std::nullopt;
}

Result<std::vector<StoredFinding>> loadHostFindings(Session& session, const std::string& host_id) {
  return queryFindings(
      session,
      fmt::format("SELECT {} FROM findings f WHERE f.host_id = ? ORDER BY f.id", kFindingColumns),
      {host_id});
}

Result<std::int64_t> insertFinding(Session& session, const StoredFinding& finding) {
  auto id = session.insertReturningId(
      "INSERT INTO findings (host_id, source, advisory_id, package, source_package, "
      "installed_version, compared_version, fixed_version, ecosystem, severity, cvss, "
      "known_exploited, kev_due_date, epss, aliases, status, first_seen_at, last_seen_at, "
      "fixed_at, fix_kb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {finding.host_id,
       std::string(findingSourceName(finding.source)),
       finding.advisory_id,
       finding.package,
       finding.source_package,
       finding.installed_version,
       finding.compared_version,
       finding.fixed_version,
       finding.ecosystem,
       finding.severity,
       optionalReal(finding.cvss),
       std::int64_t{finding.known_exploited ? 1 : 0},
       finding.kev_due_date,
       optionalReal(finding.epss),
       aliasesToJson(finding.aliases),
       std::string(findingStatusName(finding.status)),
       toMicros(finding.first_seen_at),
       toMicros(finding.last_seen_at),
       optionalTime(finding.fixed_at),
       finding.fix_kb});
  if (!id) return id;

  StoredFinding stored = finding;
  stored.id = *id;
  if (auto aliases = replaceAliases(session, stored); !aliases) {
    return tl::unexpected(aliases.error());
  }
  return *id;
}

Result<void> updateFinding(Session& session, const StoredFinding& finding) {
  auto updated = session.execute(
      "UPDATE findings SET host_id = ?, source = ?, advisory_id = ?, package = ?, "
      "source_package = ?, installed_version = ?, compared_version = ?, fixed_version = ?, "
      "ecosystem = ?, "
      "severity = ?, cvss = ?, known_exploited = ?, kev_due_date = ?, epss = ?, aliases = ?, "
      "status = ?, first_seen_at = ?, last_seen_at = ?, fixed_at = ?, fix_kb = ? WHERE id = ?",
      {finding.host_id,
       std::string(findingSourceName(finding.source)),
       finding.advisory_id,
       finding.package,
       finding.source_package,
       finding.installed_version,
       finding.compared_version,
       finding.fixed_version,
       finding.ecosystem,
       finding.severity,
       optionalReal(finding.cvss),
       std::int64_t{finding.known_exploited ? 1 : 0},
       finding.kev_due_date,
       optionalReal(finding.epss),
       aliasesToJson(finding.aliases),
       std::string(findingStatusName(finding.status)),
       toMicros(finding.first_seen_at),
       toMicros(finding.last_seen_at),
       optionalTime(finding.fixed_at),
       finding.fix_kb,
       finding.id});
  if (!updated) return updated;
  if (session.changedRows() == 0) {
    return fail(ErrorCode::kNotFound, fmt::format("finding {} does not exist", finding.id));
  }
  return replaceAliases(session, finding);
}

Result<void> appendFindingEvent(Session& session, const FindingEvent& event) {
  auto id = session.insertReturningId(
      "INSERT INTO finding_events (finding_id, at, event, installed_version) VALUES (?, ?, ?, ?)",
      {event.finding_id, toMicros(event.at), std::string(findingEventTypeName(event.type)),
       event.installed_version});
  if (!id) return tl::unexpected(id.error());
  return {};
}

Result<std::vector<FindingEvent>> listFindingEvents(Session& session, std::int64_t finding_id) {
  auto rows = session.query(
      "SELECT id, finding_id, at, event, installed_version FROM finding_events "
      "WHERE finding_id = ? ORDER BY at, id",
      {finding_id});
  if (!rows) return tl::unexpected(rows.error());
  std::vector<FindingEvent> events;
  events.reserve(rows->size());
  for (const auto& row : *rows) {
    FindingEvent event;
    event.id = row.integer(0);
    event.finding_id = row.integer(1);
    event.at = fromMicros(row.integer(2));
    std::string type = row.text(3);
    event.type = type == "fixed"      ? FindingEventType::kFixed
                 : type == "reopened" ? FindingEventType::kReopened
                                      : FindingEventType::kOpened;
    event.installed_version = row.text(4);
    events.push_back(std::move(event));
  }
  return events;
}

Result<std::vector<StoredFinding>> listFindings(Session& session, const FindingQuery& query) {
  std::string sql = fmt::format("SELECT {} FROM findings f", kFindingColumns);
  std::vector<std::string> conditions;
  std::vector<Value> params;

  if (query.owner) {
    sql += " JOIN hosts h ON h.id = f.host_id";
    conditions.push_back("h.owner = ?");
    params.push_back(*query.owner);
  }
  if (query.host_id) {
    conditions.push_back("f.host_id = ?");
    params.push_back(*query.host_id);
  }
  if (query.advisory) {
    conditions.push_back(
        "(f.advisory_id = ? OR f.id IN (SELECT finding_id FROM finding_aliases WHERE alias = ?))");
    params.push_back(*query.advisory);
    params.push_back(*query.advisory);
  }
  if (query.severity) {
    conditions.push_back("f.severity = ?");
    params.push_back(*query.severity);
  }
  if (query.known_exploited_only) conditions.push_back("f.known_exploited = 1");
  if (query.status) {
    conditions.push_back("f.status = ?");
    params.push_back(std::string(findingStatusName(*query.status)));
  }
  if (query.source) {
    conditions.push_back("f.source = ?");
    params.push_back(std::string(findingSourceName(*query.source)));
  }
  if (query.after_id) {
    conditions.push_back("f.id > ?");
    params.push_back(*query.after_id);
  }

  for (std::size_t i = 0; i < conditions.size(); ++i) {
    sql += i == 0 ? " WHERE " : " AND ";
    sql += conditions[i];
  }
  sql += " ORDER BY f.id LIMIT ?";
  params.push_back(static_cast<std::int64_t>(query.limit));
  return queryFindings(session, sql, params);
}

Result<std::map<std::string, std::int64_t>> countOpenFindings(
    Session& session, const std::vector<std::string>& host_ids) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& host_id : host_ids) counts.emplace(host_id, 0);

  for (std::size_t start = 0; start < host_ids.size(); start += kMaxInList) {
    std::size_t count = std::min(kMaxInList, host_ids.size() - start);
    std::vector<Value> params(host_ids.begin() + static_cast<std::ptrdiff_t>(start),
                              host_ids.begin() + static_cast<std::ptrdiff_t>(start + count));
    auto rows = session.query(
        fmt::format("SELECT host_id, COUNT(*) FROM findings WHERE status = 'open' AND host_id "
                    "IN ({}) GROUP BY host_id",
                    placeholders(count)),
        params);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) counts[row.text(0)] = row.integer(1);
  }
  return counts;
}

Result<std::map<std::string, std::int64_t>> countOpenFindingsBySeverity(Session& session) {
  auto rows = session.query(
      "SELECT severity, COUNT(*) FROM findings WHERE status = 'open' GROUP BY severity");
  if (!rows) return tl::unexpected(rows.error());
  std::map<std::string, std::int64_t> counts;
  for (const auto& row : *rows) counts[row.text(0)] = row.integer(1);
  return counts;
}

Result<std::vector<std::string>> hostsWithFindingsNaming(Session& session,
                                                         const std::vector<std::string>& ids) {
  std::set<std::string> hosts;
  for (std::size_t start = 0; start < ids.size(); start += kMaxInList) {
    std::size_t count = std::min(kMaxInList, ids.size() - start);
    std::vector<Value> params;
    params.reserve(count * 2);
    for (int pass = 0; pass < 2; ++pass) {
      for (std::size_t i = start; i < start + count; ++i) params.push_back(ids[i]);
    }
    auto rows = session.query(
        fmt::format("SELECT DISTINCT f.host_id FROM findings f WHERE f.advisory_id IN ({0}) "
                    "OR f.id IN (SELECT finding_id FROM finding_aliases WHERE alias IN ({0}))",
                    placeholders(count)),
        params);
    if (!rows) return tl::unexpected(rows.error());
    for (const auto& row : *rows) hosts.insert(row.text(0));
  }
  return std::vector<std::string>(hosts.begin(), hosts.end());
}

}  // namespace pk::store
