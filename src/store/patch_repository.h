#pragma once

// The patch catalog: patches, the findings each one fixes, decisions on
// them, approval rules, and risk exceptions that keep findings out of
// compliance. server/patch_catalog.h defines what a patch is; this file
// only stores and reads. Severity, KEV, EPSS and host counts are read
// live from the open findings linked to a patch.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "store/database.h"
#include "store/finding_repository.h"

namespace pk::store {

inline constexpr std::string_view kPatchDecisionPending = "pending";
inline constexpr std::string_view kPatchDecisionApproved = "approved";
inline constexpr std::string_view kPatchDecisionDeclined = "declined";

struct PatchRecord {
  std::string id;    // "p-" + 16 hex digits
  std::string kind;  // "source-package", "advisory", "kb"
  std::string ecosystem;
  std::string name;
  std::string version;
  SystemTime first_seen_at{};
  // The latest decision: "pending" until one is recorded.
  std::string decision = std::string(kPatchDecisionPending);
  std::string decided_by;  // "user:alice" or "rule:3"; "" while pending
  std::optional<SystemTime> decided_at;
  std::string decision_reason;
};

// A patch with facts gathered from the open findings linked to it.
struct PatchSummary {
  PatchRecord patch;
  std::string highest_severity = "unknown";  // a severityName()
  bool known_exploited = false;
  std::string earliest_kev_due_date;  // YYYY-MM-DD, "" when none
  std::optional<double> highest_epss;
  std::int64_t affected_hosts = 0;  // hosts with an open finding it fixes
  bool from_advisory = false;
  bool from_host_repository = false;
  std::vector<std::string> advisories;  // advisory ids, sorted
  std::vector<std::string> cve_ids;     // "CVE-..." among advisory ids and aliases, sorted
};

struct PatchQuery {
  std::optional<std::string> ecosystem;
  std::optional<std::string> decision;  // "pending", "approved", "declined"
  // The minimum highest severity, as a severityName().
  std::optional<std::string> minimum_severity;
  bool known_exploited_only = false;
  // Only these patch ids (no other filter is implied).
  std::optional<std::vector<std::string>> ids;
  // Also patches without an open finding (their facts are then empty).
  bool include_resolved = false;
  std::optional<std::string> after_id;  // id > after_id, for paging
  std::size_t limit = 100;
};

struct PatchDecisionRecord {
  std::int64_t id = 0;
  std::string patch_id;
  std::string decision;  // "approved" or "declined"
  std::string decided_by;
  SystemTime decided_at{};
  std::string reason;
};

struct PatchHost {
  std::string host_id;
  std::string hostname;
  std::int64_t open_findings = 0;  // of this host fixed by the patch
};

// Inserts `patch` unless a patch with its id exists (the stored one is left
// unchanged). Returns whether it was inserted.
Result<bool> insertPatchIfMissing(Session& session, const PatchRecord& patch);

// Links finding `finding_id` to `patch_id`, replacing a previous link.
Result<void> linkFindingToPatch(Session& session, std::int64_t finding_id,
                                const std::string& patch_id);

// Removes the link of finding `finding_id`, if any.
Result<void> unlinkFinding(Session& session, std::int64_t finding_id);

// Returns, for each finding of `host_id` that has a link, its patch id.
Result<std::map<std::int64_t, std::string>> patchLinksOfHost(Session& session,
                                                             const std::string& host_id);

// Returns the patch with `id`, or nullopt.
Result<std::optional<PatchRecord>> getPatch(Session& session, const std::string& id);

// Returns the patches matching `query` with their facts, ordered by id,
// at most query.limit.
Result<std::vector<PatchSummary>> listPatchSummaries(Session& session, const PatchQuery& query);

// Appends `decision` to the history of its patch and makes it the patch's
// latest decision. Fails with kNotFound when the patch does not exist.
Result<std::int64_t> recordPatchDecision(Session& session, const PatchDecisionRecord& decision);

// The decisions on `patch_id`, oldest first.
Result<std::vector<PatchDecisionRecord>> listPatchDecisions(Session& session,
                                                            const std::string& patch_id);

// The hosts with an open finding fixed by `patch_id`, ordered by host id,
// at most `limit`.
Result<std::vector<PatchHost>> listPatchHosts(Session& session, const std::string& patch_id,
                                              std::size_t limit);

// The open findings of `host_id` linked to `patch_id`, ordered by id.
Result<std::vector<StoredFinding>> openFindingsOfPatchOnHost(Session& session,
                                                             const std::string& host_id,
                                                             const std::string& patch_id);

struct ApprovalRuleRecord {
  std::int64_t id = 0;
  std::string name;
  std::string ecosystem;  // "" for every ecosystem
  std::string minimum_severity = "unknown";
  bool known_exploited_only = false;
  bool include_host_repository = false;
  bool enabled = true;
  std::string created_by;
  SystemTime created_at{};
};

// Inserts `rule` (its id is ignored) and returns the new id.
Result<std::int64_t> insertApprovalRule(Session& session, const ApprovalRuleRecord& rule);

// Every rule, ordered by id.
Result<std::vector<ApprovalRuleRecord>> listApprovalRules(Session& session);

Result<std::optional<ApprovalRuleRecord>> getApprovalRule(Session& session, std::int64_t id);

// Deletes rule `id`; decisions it made stay. Fails with kNotFound when no
// such rule exists.
Result<void> deleteApprovalRule(Session& session, std::int64_t id);

struct RiskExceptionRecord {
  std::int64_t ticket_id = 0;
  std::string host_id;
  std::string advisory_id;
  SystemTime expires_at{};
  SystemTime approved_at{};
};

// Stores the exception of an approved accept_risk ticket. Fails with
// kInvalidArgument when the ticket already has one or does not exist.
Result<void> insertRiskException(Session& session, const RiskExceptionRecord& exception);

// The exceptions in force at `now` (expires_at > now) for (host, advisory)
// pairs of `host_ids`, keyed by (host id, advisory id). Where two overlap,
// the one expiring last is kept.
Result<std::map<std::pair<std::string, std::string>, RiskExceptionRecord>> activeRiskExceptions(
    Session& session, const std::vector<std::string>& host_ids, SystemTime now);

// As countOpenFindings(), but open findings covered by an exception in
// force at `now` are not counted. This is the count compliance rests on.
Result<std::map<std::string, std::int64_t>> countOpenFindingsWithoutException(
    Session& session, const std::vector<std::string>& host_ids, SystemTime now);

}  // namespace pk::store
