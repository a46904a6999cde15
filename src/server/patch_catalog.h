#pragma once

// What a patch is, and which approval rules match it. Pure functions: no
// I/O, no clock, no SQL.
//
// A patch is the update that resolves a finding:
//   - Debian, Ubuntu (dpkg) and Alpine (apk): a source package at the
//     finding's fixed version. Kind "source-package", name the source
//     package, version the fixed version.
//   - rpm systems (AlmaLinux, Rocky Linux, Red Hat): an advisory. Kind
//     "advisory", name the advisory id, version "" because an advisory is
//     one fixed set of packages. A security update from the host's own
//     repositories (advisory id "security-update:<source>") names no
//     advisory, so its version is the candidate version.
//   - Windows: a KB. Kind "kb", ecosystem "Windows", name the KB's digits.
// Its id is "p-" and the first 16 hex digits of the SHA-256 of
// "kind|ecosystem|name|version", so the same update gets the same id on
// every server and in every release.

#include <optional>
#include <string>
#include <string_view>

#include "advisory/advisory.h"
#include "store/finding_repository.h"

namespace pk::server {

inline constexpr std::string_view kPatchKindSourcePackage = "source-package";
inline constexpr std::string_view kPatchKindAdvisory = "advisory";
inline constexpr std::string_view kPatchKindKb = "kb";

struct PatchIdentity {
  std::string id;  // "p-" + 16 lower-case hex digits
  std::string kind;
  std::string ecosystem;
  std::string name;
  std::string version;
};

// Returns the id of the patch (kind, ecosystem, name, version).
std::string patchIdOf(std::string_view kind, std::string_view ecosystem, std::string_view name,
                      std::string_view version);

// Whether `text` has the form of a patch id ("p-" and 16 lower-case hex
// digits).
bool isPatchId(std::string_view text);

// Returns the patch that resolves `finding`, or nullopt when none exists
// yet: no fixed version (dpkg, apk), no fixing KB (Windows), or an
// ecosystem whose package manager patchkeeper does not know.
std::optional<PatchIdentity> patchOf(const store::StoredFinding& finding);

// An approval rule: every pending patch it matches is approved.
struct ApprovalRule {
  std::int64_t id = 0;
  std::string name;
  std::string ecosystem;  // exact patch ecosystem ("Debian:12", "Windows"); "" for every one
  advisory::Severity minimum_severity = advisory::Severity::kUnknown;
  bool known_exploited_only = false;
  // Whether a patch known only from the host's own security repositories
  // (findings with source "host-repository") may match. When false, a
  // patch matches only if an advisory from a feed names it.
  bool include_host_repository = false;
  bool enabled = true;
};

// The facts of a patch that rules look at, over its open findings.
struct PatchFacts {
  std::string ecosystem;
  advisory::Severity highest_severity = advisory::Severity::kUnknown;
  bool known_exploited = false;
  bool from_advisory = false;         // an open finding with source "advisory"
  bool from_host_repository = false;  // an open finding with source "host-repository"
};

// Whether `rule` approves a patch with `facts`. All of these must hold: the
// rule is enabled, and its ecosystem is empty or equal. The highest
// severity is at or above the minimum. The patch is in KEV when the rule
// sets known_exploited_only. An advisory names the patch, unless the rule
// includes host-repository updates.
bool ruleMatches(const ApprovalRule& rule, const PatchFacts& facts);

// Orders severities from kUnknown (0) to kCritical (5), as rules compare
// them.
int severityRank(advisory::Severity severity);

}  // namespace pk::server
