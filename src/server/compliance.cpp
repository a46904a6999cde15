#include "server/compliance.h"

#include <algorithm>

#include <fmt/format.h>

namespace pk::server {
namespace {

// Whole days in `age`, rounded down, for reasons people read.
std::int64_t wholeDays(Elapsed age) {
  return std::chrono::duration_cast<std::chrono::days>(age).count();
}

std::string daysText(Elapsed age) {
  std::int64_t days = wholeDays(age);
  if (days == 1) return "1 day";
  return fmt::format("{} days", days);
}

// A time ahead of `now` (a host clock running fast) counts as age zero.
Elapsed ageOf(SystemTime time, SystemTime now) {
  return std::max(Elapsed{0}, now - time);
}

std::optional<Elapsed> dataAgeOf(const ComplianceFacts& facts, SystemTime now) {
  if (!facts.last_seen || !facts.inventory_received_at) return std::nullopt;
  SystemTime oldest = *facts.last_seen;
  if (facts.package_lists_updated_at) oldest = std::min(oldest, *facts.package_lists_updated_at);
  return ageOf(oldest, now);
}

}  // namespace

std::string_view complianceStatusName(ComplianceStatus status) {
  switch (status) {
    case ComplianceStatus::kCompliant:
      return "compliant";
    case ComplianceStatus::kNotCompliant:
      return "not compliant";
    case ComplianceStatus::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<ComplianceStatus> parseComplianceStatus(std::string_view name) {
  if (name == "compliant") return ComplianceStatus::kCompliant;
  if (name == "not compliant" || name == "not_compliant" || name == "not-compliant") {
    return ComplianceStatus::kNotCompliant;
  }
  if (name == "unknown") return ComplianceStatus::kUnknown;
  return std::nullopt;
}

ComplianceFacts complianceFactsOf(const store::HostRecord& host, std::int64_t open_findings) {
  return ComplianceFacts{
      .last_seen = host.last_seen_at,
      .inventory_received_at = host.inventory_received_at,
      .package_lists_updated_at = host.package_lists_updated_at,
      .open_findings = open_findings,
      .unknown_windows_product = host.windows_product && host.windows_product->empty(),
      .restart_pending = host.restart_required,
      .server_without_window = host.kind == "server" && !host.in_window,
  };
}

Compliance computeCompliance(const ComplianceFacts& facts, SystemTime now,
                             std::chrono::days stale_after) {
  Compliance result;
  result.data_age = dataAgeOf(facts, now);

  if (facts.open_findings > 0) {
    result.status = ComplianceStatus::kNotCompliant;
    result.reason = facts.open_findings == 1 ? std::string("1 open finding")
                                             : fmt::format("{} open findings", facts.open_findings);
    return result;
  }
  if (facts.restart_pending) {
    result.status = ComplianceStatus::kNotCompliant;
    result.reason = "installed updates wait for a restart";
    return result;
  }
  if (facts.server_without_window) {
    result.status = ComplianceStatus::kNotCompliant;
    result.reason = "the server is in no maintenance window";
    return result;
  }

  result.status = ComplianceStatus::kUnknown;
  if (!facts.last_seen) {
    result.reason = "the host has never checked in";
    return result;
  }
  if (Elapsed age = ageOf(*facts.last_seen, now); age > stale_after) {
    result.reason = fmt::format("not seen for {}", daysText(age));
    return result;
  }
  if (!facts.inventory_received_at) {
    result.reason = "no inventory received yet";
    return result;
  }
  if (facts.unknown_windows_product) {
    result.reason = "its Windows build names no known product, so no advisory matches";
    return result;
  }
  // The inventory's own age is no sign of staleness: agents send it in full
  // only when it changed, and confirm it by hash at every check-in.
  if (facts.package_lists_updated_at) {
    if (Elapsed age = ageOf(*facts.package_lists_updated_at, now); age > stale_after) {
      result.reason = fmt::format("package lists are {} old", daysText(age));
      return result;
    }
  }

  result.status = ComplianceStatus::kCompliant;
  result.reason = "no open findings";
  return result;
}

}  // namespace pk::server
