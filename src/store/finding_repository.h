#pragma once

// Findings: one package on one host that an advisory (or the host's own
// security archive) marks as vulnerable. A finding is never deleted: it
// moves between open and fixed, and every move is recorded as a finding
// event for trend reports. The evaluator (server/evaluation.h) is the only
// writer; the API and reports read.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"

namespace pk::store {

enum class FindingSource {
  kAdvisory,        // matched against an advisory feed
  kHostRepository,  // a security update pending in the host's own repositories
};
enum class FindingStatus { kOpen, kFixed };
enum class FindingEventType { kOpened, kFixed, kReopened };

// "advisory", "host-repository"; "open", "fixed"; "opened", "fixed", "reopened".
std::string_view findingSourceName(FindingSource source);
std::string_view findingStatusName(FindingStatus status);
std::string_view findingEventTypeName(FindingEventType type);
// The inverse of the names above; nullopt for an unknown name.
std::optional<FindingSource> parseFindingSource(std::string_view name);
std::optional<FindingStatus> parseFindingStatus(std::string_view name);

struct StoredFinding {
  std::int64_t id = 0;  // assigned by insertFinding
  std::string host_id;
  FindingSource source = FindingSource::kAdvisory;
  // The advisory's id; for kHostRepository "security-update:" + source package.
  std::string advisory_id;
  std::string package;         // installed binary package
  std::string source_package;  // the source it was built from
  std::string installed_version;
  // The version matching compared with the fixed version: the source
  // package's version for advisories that name sources, otherwise equal to
  // installed_version.
  std::string compared_version;
  std::string fixed_version;  // empty when no fix exists yet
  std::string ecosystem;      // "Debian:12"
  std::string severity;       // advisory::severityName(): "unknown" .. "critical"
  std::optional<double> cvss;
  bool known_exploited = false;
  std::string kev_due_date;  // YYYY-MM-DD or empty
  std::optional<double> epss;
  std::vector<std::string> aliases;  // CVE ids and other names of the advisory
  FindingStatus status = FindingStatus::kOpen;
  SystemTime first_seen_at{};
  SystemTime last_seen_at{};
  std::optional<SystemTime> fixed_at;  // set while status is kFixed
  // Windows findings: the KB to install, digits only; empty elsewhere.
  std::string fix_kb;
};

struct FindingEvent {
  std::int64_t id = 0;
  std::int64_t finding_id = 0;
  SystemTime at{};
  FindingEventType type = FindingEventType::kOpened;
  std::string installed_version;
};

struct FindingQuery {
  std::optional<std::string> host_id;
  // Matches the advisory id or any alias exactly ("DSA-5678-1", "CVE-2024-3094").
  std::optional<std::string> advisory;
  std::optional<std::string> severity;  // a severityName()
  bool known_exploited_only = false;
  std::optional<FindingStatus> status;  // nullopt: open and fixed
  std::optional<FindingSource> source;
  // Only findings of hosts whose owner is this username (hosts.owner).
  std::optional<std::string> owner;
  std::optional<std::int64_t> after_id;  // id > after_id, for paging
  std::size_t limit = 500;
};

// Every finding of `host_id`, open and fixed, ordered by id.
Result<std::vector<StoredFinding>> loadHostFindings(Session& session, const std::string& host_id);

// Inserts `finding` (its id is ignored) and returns the new id. Fails with
// kInvalidArgument when (host_id, source, advisory_id, package) exists.
Result<std::int64_t> insertFinding(Session& session, const StoredFinding& finding);

// Overwrites every column of the finding with `finding.id`. Fails with
// kNotFound when no such finding exists.
Result<void> updateFinding(Session& session, const StoredFinding& finding);

Result<void> appendFindingEvent(Session& session, const FindingEvent& event);

// The events of one finding, oldest first.
Result<std::vector<FindingEvent>> listFindingEvents(Session& session, std::int64_t finding_id);

// Findings matching `query`, ordered by id ascending, at most query.limit.
Result<std::vector<StoredFinding>> listFindings(Session& session, const FindingQuery& query);

// Counts the open findings of each host in `host_ids`. Every requested host
// appears in the result, with 0 when it has none or is unknown.
Result<std::map<std::string, std::int64_t>> countOpenFindings(
    Session& session, const std::vector<std::string>& host_ids);

// The number of open findings by severity name, across the fleet.
Result<std::map<std::string, std::int64_t>> countOpenFindingsBySeverity(Session& session);

// The hosts having a finding (open or fixed) whose advisory id or aliases
// include any of `ids`, each host once, sorted. Used to re-evaluate hosts
// after KEV or EPSS data changed for those ids.
Result<std::vector<std::string>> hostsWithFindingsNaming(Session& session,
                                                         const std::vector<std::string>& ids);

}  // namespace pk::store
