#include "server/patches.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "advisory/ecosystem.h"
#include "server/advisory_codec.h"
#include "store/audit_repository.h"
#include "store/finding_repository.h"
#include "store/inventory_repository.h"
#include "store/pending_update_repository.h"
#include "version/dpkg.h"

namespace pk::server {
namespace {

using json = nlohmann::json;

// Rows per query when the whole catalog is walked.
constexpr std::size_t kPageSize = 500;

json decisionJson(const store::PatchRecord& patch) {
  return {
      {"id", patch.id},
      {"decision", patch.decision},
      {"decided_by", patch.decided_by},
      {"decided_at", patch.decided_at ? json(formatRfc3339(*patch.decided_at)) : json()},
      {"reason", patch.decision_reason},
  };
}

// Approves each pending patch of `summaries` that a rule of `rules`
// matches, and returns how many it approved.
Result<int> approveMatching(store::Session& session, const std::vector<ApprovalRule>& rules,
                            const std::vector<store::PatchSummary>& summaries, SystemTime now) {
  int approved = 0;
  for (const auto& summary : summaries) {
    if (summary.patch.decision != store::kPatchDecisionPending) continue;
    const PatchFacts facts = patchFactsOf(summary);
    for (const auto& rule : rules) {
      if (!ruleMatches(rule, facts)) continue;
      auto decided =
          decidePatch(session, summary.patch.id, std::string(store::kPatchDecisionApproved),
                      fmt::format("rule:{}", rule.id),
                      fmt::format("approval rule {} \"{}\" matched", rule.id, rule.name), "", now);
      if (!decided) return tl::unexpected(decided.error());
      ++approved;
      break;
    }
  }
  return approved;
}

Result<std::vector<ApprovalRule>> enabledRules(store::Session& session) {
  auto records = store::listApprovalRules(session);
  if (!records) return tl::unexpected(records.error());
  std::vector<ApprovalRule> rules;
  for (const auto& record : *records) {
    if (record.enabled) rules.push_back(approvalRuleOf(record));
  }
  return rules;
}

}  // namespace

ApprovalRule approvalRuleOf(const store::ApprovalRuleRecord& record) {
  ApprovalRule rule;
  rule.id = record.id;
  rule.name = record.name;
  rule.ecosystem = record.ecosystem;
  rule.minimum_severity =
      parseSeverityName(record.minimum_severity).value_or(advisory::Severity::kUnknown);
  rule.known_exploited_only = record.known_exploited_only;
  rule.include_host_repository = record.include_host_repository;
  rule.enabled = record.enabled;
  return rule;
}

PatchFacts patchFactsOf(const store::PatchSummary& summary) {
  PatchFacts facts;
  facts.ecosystem = summary.patch.ecosystem;
  facts.highest_severity =
      parseSeverityName(summary.highest_severity).value_or(advisory::Severity::kUnknown);
  facts.known_exploited = summary.known_exploited;
  facts.from_advisory = summary.from_advisory;
  facts.from_host_repository = summary.from_host_repository;
  return facts;
}

Result<PatchRefresh> refreshHostPatches(store::Session& session, const std::string& host_id,
                                        SystemTime now) {
  auto findings = store::loadHostFindings(session, host_id);
  if (!findings) return tl::unexpected(findings.error());
  auto links = store::patchLinksOfHost(session, host_id);
  if (!links) return tl::unexpected(links.error());

  PatchRefresh refresh;
  // Patches that gained a finding here: only their facts can have changed
  // through this refresh, so only they are offered to the rules.
  std::set<std::string> relinked;
  for (const auto& finding : *findings) {
    // A fixed finding keeps its link: the patch's history still names it.
    if (finding.status != store::FindingStatus::kOpen) continue;
    const auto identity = patchOf(finding);
    const auto link = links->find(finding.id);
    if (!identity) {
      if (link != links->end()) {
        if (auto unlinked = store::unlinkFinding(session, finding.id); !unlinked) {
          return tl::unexpected(unlinked.error());
        }
      }
      continue;
    }
    if (link != links->end() && link->second == identity->id) continue;
    relinked.insert(identity->id);

    store::PatchRecord record;
    record.id = identity->id;
    record.kind = identity->kind;
    record.ecosystem = identity->ecosystem;
    record.name = identity->name;
    record.version = identity->version;
    record.first_seen_at = now;
    auto inserted = store::insertPatchIfMissing(session, record);
    if (!inserted) return tl::unexpected(inserted.error());
    if (*inserted) ++refresh.new_patches;
    if (auto linked = store::linkFindingToPatch(session, finding.id, identity->id); !linked) {
      return tl::unexpected(linked.error());
    }
  }

  auto approved =
      applyApprovalRules(session, now, std::vector<std::string>(relinked.begin(), relinked.end()));
  if (!approved) return tl::unexpected(approved.error());
  refresh.approved_by_rules = *approved;
  return refresh;
}

Result<PatchRefresh> refreshAllPatches(store::Session& session, SystemTime now) {
  auto rows = session.query("SELECT DISTINCT host_id FROM findings WHERE status = 'open'");
  if (!rows) return tl::unexpected(rows.error());
  PatchRefresh total;
  for (const auto& row : *rows) {
    auto refreshed = refreshHostPatches(session, row.text(0), now);
    if (!refreshed) return tl::unexpected(refreshed.error());
    total.new_patches += refreshed->new_patches;
    total.approved_by_rules += refreshed->approved_by_rules;
  }
  return total;
}

Result<int> applyApprovalRules(store::Session& session, SystemTime now) {
  auto rules = enabledRules(session);
  if (!rules) return tl::unexpected(rules.error());
  if (rules->empty()) return 0;

  int approved = 0;
  store::PatchQuery query;
  query.decision = std::string(store::kPatchDecisionPending);
  query.limit = kPageSize;
  while (true) {
    auto page = store::listPatchSummaries(session, query);
    if (!page) return tl::unexpected(page.error());
    auto count = approveMatching(session, *rules, *page, now);
    if (!count) return tl::unexpected(count.error());
    approved += *count;
    if (page->size() < kPageSize) break;
    query.after_id = page->back().patch.id;
  }
  return approved;
}

Result<int> applyApprovalRules(store::Session& session, SystemTime now,
                               const std::vector<std::string>& patch_ids) {
  if (patch_ids.empty()) return 0;
  auto rules = enabledRules(session);
  if (!rules) return tl::unexpected(rules.error());
  if (rules->empty()) return 0;

  int approved = 0;
  for (std::size_t start = 0; start < patch_ids.size(); start += kPageSize) {
    store::PatchQuery query;
    query.decision = std::string(store::kPatchDecisionPending);
    const auto first = patch_ids.begin() + static_cast<std::ptrdiff_t>(start);
    query.ids = std::vector<std::string>(
        first, first + static_cast<std::ptrdiff_t>(std::min(kPageSize, patch_ids.size() - start)));
    query.limit = kPageSize;
    auto page = store::listPatchSummaries(session, query);
    if (!page) return tl::unexpected(page.error());
    auto count = approveMatching(session, *rules, *page, now);
    if (!count) return tl::unexpected(count.error());
    approved += *count;
  }
  return approved;
}

Result<store::PatchRecord> decidePatch(store::Session& session, const std::string& patch_id,
                                       const std::string& decision, const std::string& actor,
                                       const std::string& reason, const std::string& remote_address,
                                       SystemTime now) {
  if (decision != store::kPatchDecisionApproved && decision != store::kPatchDecisionDeclined) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("\"{}\" is not a decision; use \"approved\" or \"declined\"", decision));
  }
  auto found = store::getPatch(session, patch_id);
  if (!found) return tl::unexpected(found.error());
  if (!*found) return fail(ErrorCode::kNotFound, fmt::format("no patch {} is known", patch_id));
  const store::PatchRecord before = **found;

  store::PatchDecisionRecord record;
  record.patch_id = patch_id;
  record.decision = decision;
  record.decided_by = actor;
  record.decided_at = now;
  record.reason = reason;
  if (auto recorded = store::recordPatchDecision(session, record); !recorded) {
    return tl::unexpected(recorded.error());
  }
  store::PatchRecord after = before;
  after.decision = decision;
  after.decided_by = actor;
  after.decided_at = now;
  after.decision_reason = reason;

  store::AuditEvent event;
  event.at = now;
  event.actor = actor;
  event.action = decision == store::kPatchDecisionApproved ? "patch.approve" : "patch.decline";
  event.object_type = "patch";
  event.object_id = patch_id;
  event.before_json = decisionJson(before).dump();
  event.after_json = decisionJson(after).dump();
  event.remote_address = remote_address;
  if (auto appended = store::appendAuditEvent(session, event); !appended) {
    return tl::unexpected(appended.error());
  }
  return after;
}

Result<std::vector<ApprovedPatch>> approvedPatches(store::Session& session,
                                                   const std::optional<std::string>& ecosystem) {
  std::vector<ApprovedPatch> approved;
  store::PatchQuery query;
  query.decision = std::string(store::kPatchDecisionApproved);
  query.ecosystem = ecosystem;
  query.limit = kPageSize;
  while (true) {
    auto page = store::listPatchSummaries(session, query);
    if (!page) return tl::unexpected(page.error());
    for (const auto& summary : *page) {
      const auto& patch = summary.patch;
      approved.push_back(ApprovedPatch{
          patch.id, patch.kind, patch.ecosystem, patch.name, patch.version, patch.decided_by,
          patch.decided_at.value_or(SystemTime{}), summary.affected_hosts});
    }
    if (page->size() < kPageSize) break;
    query.after_id = page->back().patch.id;
  }
  return approved;
}

namespace {

// The binaries of source `patch` installed on the host below its version.
std::vector<InstallTarget> sourcePackageTargets(
    const store::PatchRecord& patch, const inventory::HostInventory& inventory,
    const std::vector<store::PendingUpdateRecord>& pending_updates) {
  std::vector<InstallTarget> targets;
  const auto scheme = advisory::schemeForEcosystem(patch.ecosystem);
  if (!scheme) return targets;
  for (const auto& package : inventory.packages) {
    if (package.source_name != patch.name || !inventory::isInstalledState(package.state)) continue;
    const std::string& installed =
        package.source_version.empty() ? package.version : package.source_version;
    if (version::compareUnchecked(*scheme, installed, patch.version) >= 0) continue;

    InstallTarget target{package.name, package.architecture, patch.version};
    for (const auto& update : pending_updates) {
      if (update.package != package.name || update.architecture != package.architecture) continue;
      if (version::compareUnchecked(*scheme, update.candidate_version, patch.version) >= 0) {
        target.version = update.candidate_version;
      }
    }
    targets.push_back(std::move(target));
  }
  return targets;
}

}  // namespace

Result<std::vector<PatchInstallPlan>> installTargetsForHost(
    store::Session& session, const std::string& host_id,
    const std::vector<std::string>& patch_ids) {
  std::optional<inventory::HostInventory> inventory;
  std::vector<store::PendingUpdateRecord> pending_updates;
  bool loaded = false;

  std::vector<PatchInstallPlan> plans;
  for (const auto& patch_id : patch_ids) {
    auto found = store::getPatch(session, patch_id);
    if (!found) return tl::unexpected(found.error());
    if (!*found) return fail(ErrorCode::kNotFound, fmt::format("no patch {} is known", patch_id));
    const store::PatchRecord& patch = **found;

    PatchInstallPlan plan{patch.id, patch.kind, {}, {}};
    if (patch.kind == kPatchKindKb) {
      plan.kbs.push_back(patch.name);
    } else if (patch.kind == kPatchKindAdvisory) {
      auto findings = store::openFindingsOfPatchOnHost(session, host_id, patch.id);
      if (!findings) return tl::unexpected(findings.error());
      std::set<std::string> seen;
      for (const auto& finding : *findings) {
        if (!seen.insert(finding.package).second) continue;
        plan.packages.push_back(InstallTarget{finding.package, "", finding.fixed_version});
      }
    } else {
      if (!loaded) {
        auto stored = store::loadInventory(session, host_id);
        if (!stored) return tl::unexpected(stored.error());
        inventory = std::move(*stored);
        auto updates = store::loadPendingUpdates(session, host_id);
        if (!updates) return tl::unexpected(updates.error());
        pending_updates = std::move(*updates);
        loaded = true;
      }
      if (inventory) plan.packages = sourcePackageTargets(patch, *inventory, pending_updates);
    }
    plans.push_back(std::move(plan));
  }
  return plans;
}

Result<std::vector<store::ChangelogEntryRecord>> patchChangelog(store::Session& session,
                                                                const store::PatchRecord& patch) {
  if (patch.kind != kPatchKindSourcePackage) return std::vector<store::ChangelogEntryRecord>();
  auto sent = store::loadPatchChangelogEntries(session, patch.id, patch.name);
  if (!sent) return tl::unexpected(sent.error());

  std::vector<store::ChangelogEntryRecord> entries;
  for (auto& sent_entry : *sent) {
    if (version::dpkg::compare(sent_entry.version, patch.version) > 0) continue;
    auto same = std::find_if(entries.begin(), entries.end(), [&](const auto& entry) {
      return version::dpkg::compare(entry.version, sent_entry.version) == 0;
    });
    if (same == entries.end()) {
      entries.push_back(std::move(sent_entry));
    } else if (sent_entry.body.size() > same->body.size()) {
      *same = std::move(sent_entry);
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return version::dpkg::compare(a.version, b.version) > 0;
  });
  return entries;
}

}  // namespace pk::server
