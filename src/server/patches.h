#pragma once

// The patch catalog kept in step with findings, decisions on patches,
// approval rules, and what the deployment side installs.
//
// Every function taking a Session runs inside the caller's transaction
// (a write transaction for those that change data), sends nothing outside
// the database, and is safe to run again in a fresh transaction.
//
// Decisions: a patch is "pending" until an admin (decide_patches) or an
// approval rule approves or declines it. Each decision is appended to its
// history and the latest one counts. Each one also appends an audit event
// "patch.approve" or "patch.decline" with actor "user:<name>" or
// "rule:<id>". Rules approve only pending patches, so they never overturn
// a person's decline.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "server/patch_catalog.h"
#include "store/database.h"
#include "store/patch_repository.h"
#include "store/pending_update_repository.h"

namespace pk::server {

// Converts a stored rule to the form ruleMatches() takes.
ApprovalRule approvalRuleOf(const store::ApprovalRuleRecord& record);

// Converts a patch summary to the facts ruleMatches() takes.
PatchFacts patchFactsOf(const store::PatchSummary& summary);

struct PatchRefresh {
  int new_patches = 0;        // patches first seen in this call
  int approved_by_rules = 0;  // pending patches an approval rule approved
};

// Links every open finding of `host_id` to the patch that fixes it, and
// creates the patch when it is new (first_seen_at `now`). Drops the links
// of findings that no longer have a patch. Then applies the approval rules
// to the pending patches that gained a finding here. The evaluator calls it
// at the end of each host evaluation. A pending patch whose findings change
// in place (a KEV listing or a new severity for the same advisory) is
// offered to the rules again only by the applyApprovalRules() overload
// without patch ids, which a scheduled job should call.
Result<PatchRefresh> refreshHostPatches(store::Session& session, const std::string& host_id,
                                        SystemTime now);

// As refreshHostPatches() for every host with an open finding: fills the
// catalog of a database whose findings predate it.
Result<PatchRefresh> refreshAllPatches(store::Session& session, SystemTime now);

// Approves every pending patch with an open finding that an enabled rule
// matches (the lowest rule id wins), with decided_by "rule:<id>", audited.
// Returns the number of patches approved. The deployment orchestration job
// may call it on its schedule; creating a rule and refreshing a host call
// it too.
Result<int> applyApprovalRules(store::Session& session, SystemTime now);

// As above, limited to the patches in `patch_ids`.
Result<int> applyApprovalRules(store::Session& session, SystemTime now,
                               const std::vector<std::string>& patch_ids);

// Records `decision` ("approved" or "declined") on patch `patch_id` by
// `actor` ("user:alice" or "rule:3") and audits it. Fails with kNotFound
// ("no patch p-... is known") when the patch does not exist, and with
// kInvalidArgument for another decision word.
Result<store::PatchRecord> decidePatch(store::Session& session, const std::string& patch_id,
                                       const std::string& decision, const std::string& actor,
                                       const std::string& reason, const std::string& remote_address,
                                       SystemTime now);

struct ApprovedPatch {
  std::string id;
  std::string kind;  // kPatchKind*
  std::string ecosystem;
  std::string name;
  std::string version;
  std::string decided_by;
  SystemTime decided_at{};
  std::int64_t affected_hosts = 0;
};

// The approved patches that still fix an open finding, ordered by id,
// optionally only those of `ecosystem`.
Result<std::vector<ApprovedPatch>> approvedPatches(
    store::Session& session, const std::optional<std::string>& ecosystem = std::nullopt);

// One package to install and the exact version to install.
struct InstallTarget {
  std::string package;       // binary package name
  std::string architecture;  // "" when the finding does not name one (rpm advisories)
  std::string version;       // dpkg/apk version, or rpm [EPOCH:]VERSION-RELEASE as dnf takes it
};

struct PatchInstallPlan {
  std::string patch_id;
  std::string kind;
  std::vector<InstallTarget> packages;  // source-package and advisory patches
  std::vector<std::string> kbs;         // kb patches: the KB's digits
};

// Returns, for host `host_id` and each patch of `patch_ids` (in that
// order), what to install:
//   - a source-package patch: every installed binary built from the source
//     whose version is below the patch version. Each is installed at the
//     patch version, unless the host's pending security update for that
//     binary offers a candidate at or above it: then at that candidate;
//   - an advisory patch: each package of the host's open findings of that
//     advisory at the finding's fixed version;
//   - a kb patch: its KB.
// A patch with nothing left to install on the host gets an empty plan.
// Fails with kNotFound for an unknown patch id.
Result<std::vector<PatchInstallPlan>> installTargetsForHost(
    store::Session& session, const std::string& host_id, const std::vector<std::string>& patch_ids);

// Returns the changelog entries of a source-package patch, newest first.
// They come from the pending updates of that source sent by the hosts with
// an open finding fixed by the patch. Each version appears once, and none
// is newer than the patch version. Each host sends only entries newer than
// its installed version, so the list starts above the lowest installed
// version among them. When hosts sent different text for one version (one
// of them cut), the longest body is kept. Empty for other kinds of patch
// and when no host sent a changelog.
Result<std::vector<store::ChangelogEntryRecord>> patchChangelog(store::Session& session,
                                                                const store::PatchRecord& patch);

}  // namespace pk::server
