#pragma once

// Whether a host meets the patch policy, from facts the server already
// holds about it. A pure function of those facts and `now`: the compliance
// report, the host page and the metrics all call it, so they agree.
//
// The rules, in the order they decide:
//   1. Open findings make a host "not compliant", however old the data:
//      a vulnerability that was reported stays a fact until a newer
//      inventory shows it fixed, so stale data never hides it. So does a
//      pending restart (installed updates take effect only after it), and,
//      for a server, being in no maintenance window (the policy patches
//      servers only inside one).
//   2. Otherwise the host is "unknown" when the server cannot vouch for it:
//      it never reported, it was last seen more than `stale_after` ago, it
//      never sent an inventory, its package lists (the host's view of its
//      own security archive) are older than `stale_after`, or it is a
//      Windows host whose build names no known product, so no advisory can
//      match it. A host that does not report a package-list
//      time (no apt) is judged on the rest.
//   3. Otherwise it is "compliant".
// Later work (approved patches past their deadline, exceptions) extends
// this one function.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "store/host_repository.h"

namespace pk::server {

enum class ComplianceStatus { kCompliant, kNotCompliant, kUnknown };

// Returns "compliant", "not compliant" or "unknown".
std::string_view complianceStatusName(ComplianceStatus status);

// Parses the names complianceStatusName() returns; also accepts
// "not_compliant" and "not-compliant", as query strings spell it. Returns
// nullopt for anything else.
std::optional<ComplianceStatus> parseComplianceStatus(std::string_view name);

struct ComplianceFacts {
  std::optional<SystemTime> last_seen;                 // last check-in of the agent
  std::optional<SystemTime> inventory_received_at;     // last inventory stored
  std::optional<SystemTime> package_lists_updated_at;  // as the host reported it
  std::int64_t open_findings = 0;
  bool unknown_windows_product = false;  // Windows facts whose build names no product
  bool restart_pending = false;          // installed updates wait for a restart
  bool server_without_window = false;    // a server in no maintenance window
};

// The facts of `host`, whose open findings number `open_findings`.
ComplianceFacts complianceFactsOf(const store::HostRecord& host, std::int64_t open_findings);

struct Compliance {
  ComplianceStatus status = ComplianceStatus::kUnknown;
  // One sentence for people saying why: "3 open findings", "not seen for
  // 9 days", "package lists are 12 days old", "no open findings".
  std::string reason;
  // Age of the data the verdict rests on: now minus the older of the last
  // check-in (each check-in confirms the inventory, in full or by its hash)
  // and the package-list time, when the host reports one. Nullopt until the
  // host has checked in and sent an inventory. Zero when a time lies in the
  // future.
  std::optional<Elapsed> data_age;
};

// Decides the host's compliance by the rules above. `stale_after` must be
// positive; a time in the future (a host clock ahead of the server's)
// counts as fresh.
Compliance computeCompliance(const ComplianceFacts& facts, SystemTime now,
                             std::chrono::days stale_after);

}  // namespace pk::server
