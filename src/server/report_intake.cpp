#include "server/report_intake.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "protocol/messages.h"
#include "store/audit_repository.h"
#include "store/host_repository.h"
#include "store/inventory_repository.h"
#include "store/pending_update_repository.h"
#include "store/report_receipt_repository.h"

namespace pk::server {
namespace {

constexpr std::string_view kCheckinsMetric = "patchkeeper_checkins_total";

Response internalError() {
  return errorResponse(500, "internal_error",
                       "The server failed to store the report. The error has been logged; the "
                       "agent should send the report again.");
}

auto updateKey(const store::PendingUpdateRecord& update) {
  return std::tie(update.package, update.architecture);
}

bool sameUpdates(const std::vector<store::PendingUpdateRecord>& a,
                 const std::vector<store::PendingUpdateRecord>& b) {
  const auto fields = [](const store::PendingUpdateRecord& update) {
    return std::tie(update.package, update.architecture, update.source_package,
                    update.installed_version, update.candidate_version, update.archive,
                    update.cve_ids);
  };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [&](const auto& x, const auto& y) { return fields(x) == fields(y); });
}

// Compares the changelogs of two lists that sameUpdates() found equal.
// Changelogs are shown on patch pages but take no part in evaluation.
bool sameChangelogs(const std::vector<store::PendingUpdateRecord>& a,
                    const std::vector<store::PendingUpdateRecord>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& x, const auto& y) { return x.changelog == y.changelog; });
}

std::vector<store::ChangelogEntryRecord> changelogRecords(
    const std::vector<protocol::ChangelogEntry>& entries) {
  std::vector<store::ChangelogEntryRecord> records;
  records.reserve(entries.size());
  for (const auto& entry : entries) {
    records.push_back(store::ChangelogEntryRecord{.version = entry.version,
                                                  .distributions = entry.distributions,
                                                  .urgency = entry.urgency,
                                                  .date = entry.date,
                                                  .body = entry.body});
  }
  return records;
}

// Converts the report's pending updates to records sorted as the
// repository returns them. Returns nullopt and names the repeated update in
// `repeated` when one package and architecture appear twice.
std::optional<std::vector<store::PendingUpdateRecord>> pendingUpdateRecords(
    const protocol::Report& report, std::string& repeated) {
  std::vector<store::PendingUpdateRecord> records;
  records.reserve(report.security_updates.size());
  for (const auto& update : report.security_updates) {
    records.push_back(store::PendingUpdateRecord{
        .package = update.package,
        .architecture = update.architecture,
        .source_package = update.source_package,
        .installed_version = update.installed_version,
        .candidate_version = update.candidate_version,
        .archive = update.archive,
        .cve_ids = update.cve_ids,
        .changelog = changelogRecords(update.changelog),
    });
  }
  std::sort(records.begin(), records.end(),
            [](const auto& x, const auto& y) { return updateKey(x) < updateKey(y); });
  const auto twice =
      std::adjacent_find(records.begin(), records.end(),
                         [](const auto& x, const auto& y) { return updateKey(x) == updateKey(y); });
  if (twice != records.end()) {
    repeated = fmt::format("{} ({})", twice->package, twice->architecture);
    return std::nullopt;
  }
  return records;
}

void applyFacts(store::HostRecord& host, const protocol::Report& report, SystemTime now) {
  if (!report.hostname.empty()) host.hostname = report.hostname;
  host.last_seen_at = now;
  host.os_id = report.os.id;
  host.os_version_id = report.os.version_id;
  host.os_codename = report.os.version_codename;
  host.os_pretty_name = report.os.pretty_name;
  host.os_ecosystem = report.os.ecosystem;
  host.kernel = report.kernel;
  host.last_boot = report.last_boot;
  host.restart_required = report.restart.required;
  host.restart_reason = report.restart.reason;
  host.restart_packages = report.restart.packages;
  host.package_lists_updated_at = report.package_lists_updated_at;
}

struct Outcome {
  std::optional<Response> response;
  bool duplicate = false;
  bool inventory_needed = false;
  bool inventory_changed = false;
  bool updates_changed = false;
  // The inventory this report stored, when it changed.
  std::optional<inventory::HostInventory> saved_inventory;
};

// Applies `report` to host `host_id` inside one write transaction. A
// rejection sets outcome.response and writes nothing.
Result<void> applyReport(store::Session& session, const HostRouteOptions& options,
                         const Request& request, const std::string& host_id,
                         const protocol::Report& report,
                         const std::vector<store::PendingUpdateRecord>& updates, SystemTime now,
                         Outcome& outcome) {
  auto stored = store::getHost(session, host_id);
  if (!stored) return tl::unexpected(stored.error());
  if (!*stored) {
    outcome.response = errorResponse(404, "not_found", fmt::format("No host has id {}.", host_id));
    return {};
  }
  store::HostRecord host = std::move(**stored);
  if (host.status != store::kHostStatusActive) {
    outcome.response = errorResponse(
        401, "revoked_credential",
        fmt::format("Host {} was revoked. Enrol the machine again with a current enrolment "
                    "secret.",
                    host_id));
    return {};
  }

  // The receipt first: a report id seen before is acknowledged without
  // applying anything, so an agent resending after a lost response does not
  // apply its report twice.
  auto fresh = store::recordReportReceipt(session, host_id, report.report_id, now);
  if (!fresh) return tl::unexpected(fresh.error());
  if (!*fresh) {
    outcome.duplicate = true;
    return {};
  }

  auto pruned = store::pruneHostReportReceipts(session, host_id, now - kReportReceiptRetention);
  if (!pruned) return tl::unexpected(pruned.error());

  const std::string stored_hash = host.inventory_hash;
  applyFacts(host, report, now);
  if (auto updated = store::updateHost(session, host); !updated) return updated;

  if (report.inventory) {
    if (report.inventory_hash != stored_hash) {
      // As loadInventory() would return it, so that evaluation can use it
      // without reading it back: the host facts just stored, and packages
      // in the store's order.
      outcome.saved_inventory = inventory::HostInventory{
          .os =
              {
                  .id = host.os_id,
                  .version_id = host.os_version_id,
                  .version_codename = host.os_codename,
                  .pretty_name = host.os_pretty_name,
                  .ecosystem = host.os_ecosystem,
              },
          .scheme = report.inventory->scheme,
          .packages = report.inventory->packages,
          .restart =
              {
                  .required = host.restart_required,
                  .packages = host.restart_packages,
                  .reason = host.restart_reason,
              },
      };
      if (report.inventory->windows) {
        inventory::WindowsFacts facts = *report.inventory->windows;
        std::sort(facts.installed_kbs.begin(), facts.installed_kbs.end());
        facts.installed_kbs.erase(
            std::unique(facts.installed_kbs.begin(), facts.installed_kbs.end()),
            facts.installed_kbs.end());
        auto& offered = facts.pending_updates;
        std::stable_sort(offered.begin(), offered.end(),
                         [](const auto& x, const auto& y) { return x.kb < y.kb; });
        offered.erase(std::unique(offered.begin(), offered.end(),
                                  [](const auto& x, const auto& y) { return x.kb == y.kb; }),
                      offered.end());
        outcome.saved_inventory->windows = std::move(facts);
      }
      auto& packages = outcome.saved_inventory->packages;
      std::sort(packages.begin(), packages.end(), [](const auto& x, const auto& y) {
        return std::tie(x.name, x.architecture, x.version) <
               std::tie(y.name, y.architecture, y.version);
      });
      auto saved = store::saveInventory(session, host_id, report.inventory_hash,
                                        *outcome.saved_inventory, now);
      if (!saved) return saved;
      outcome.inventory_changed = true;
    }
  } else {
    outcome.inventory_needed = report.inventory_hash != stored_hash;
  }

  auto previous_updates = store::loadPendingUpdates(session, host_id);
  if (!previous_updates) return tl::unexpected(previous_updates.error());
  // Sorted here as well: the database's collation may order names
  // differently from std::string.
  std::sort(previous_updates->begin(), previous_updates->end(),
            [](const auto& x, const auto& y) { return updateKey(x) < updateKey(y); });
  const bool same_updates = sameUpdates(*previous_updates, updates);
  if (!same_updates || !sameChangelogs(*previous_updates, updates)) {
    auto replaced = store::replacePendingUpdates(session, host_id, updates);
    if (!replaced) return replaced;
    outcome.updates_changed = !same_updates;
  }

  if (outcome.inventory_changed) {
    store::AuditEvent event;
    event.at = now;
    event.actor = "host:" + host_id;
    event.action = "host.inventory";
    event.object_type = "host";
    event.object_id = host_id;
    if (!stored_hash.empty()) event.before_json = nlohmann::json{{"hash", stored_hash}}.dump();
    event.after_json = nlohmann::json{
        {"hash", report.inventory_hash},
        {"packages", report.inventory->packages.size()},
        {"report_id",
         report.report_id}}.dump();
    event.remote_address = request.remote_address;
    auto appended = store::appendAuditEvent(session, event);
    if (!appended) return tl::unexpected(appended.error());
  }

  if ((outcome.inventory_changed || outcome.updates_changed) && options.evaluate_host) {
    const inventory::HostInventory* saved =
        outcome.saved_inventory ? &*outcome.saved_inventory : nullptr;
    auto evaluated = options.evaluate_host(session, host_id, saved, now);
    if (!evaluated) return evaluated;
  }
  return {};
}

Response respond(const HostRouteOptions& options, const Outcome& outcome) {
  protocol::ReportResponse response;
  response.duplicate = outcome.duplicate;
  response.inventory_needed = outcome.inventory_needed;
  const auto interval =
      outcome.inventory_needed
          ? kInventoryNeededCheckin
          : std::chrono::duration_cast<std::chrono::seconds>(options.checkin_interval);
  response.next_checkin_seconds = static_cast<int>(interval.count());
  return jsonResponse(200, protocol::toJson(response));
}

std::string_view resultLabel(const Response& response, const Outcome& outcome) {
  if (response.status >= 500) return "failed";
  if (response.status >= 400) return "rejected";
  return outcome.duplicate ? "duplicate" : "accepted";
}

Response handle(ServerContext& context, const HostRouteOptions& options, Request& request,
                Outcome& outcome) {
  const std::string& host_id = request.path_params.at(0);
  if (!request.principal || !request.principal->isHost() || request.principal->host_id != host_id) {
    spdlog::warn("report for host={} from {} rejected: sent with the credential of {}", host_id,
                 request.remote_address,
                 request.principal && request.principal->isHost()
                     ? "host=" + request.principal->host_id
                     : std::string("a user"));
    return errorResponse(403, "wrong_host",
                         fmt::format("This credential may not write the data of host {}. An "
                                     "agent sends reports only for its own host id.",
                                     host_id));
  }

  auto report = protocol::parseReport(request.body);
  if (!report) {
    spdlog::warn("report from host={} rejected: {}", host_id, report.error().message);
    return errorResponse(400, "invalid_report",
                         fmt::format("The report is invalid: {}", report.error().message));
  }
  std::string repeated;
  const auto updates = pendingUpdateRecords(*report, repeated);
  if (!updates) {
    spdlog::warn("report {} from host={} rejected: pending update {} listed twice",
                 report->report_id, host_id, repeated);
    return errorResponse(
        400, "invalid_report",
        fmt::format("The report is invalid: security_updates lists {} twice.", repeated));
  }

  const SystemTime now = context.clock.now();
  auto written = context.database.write([&](store::Session& session) -> Result<void> {
    outcome = Outcome{};
    return applyReport(session, options, request, host_id, *report, *updates, now, outcome);
  });
  if (!written) {
    spdlog::error("report {} from host={} failed: {}", report->report_id, host_id,
                  written.error().message);
    return internalError();
  }
  if (outcome.response) {
    spdlog::warn("report {} from host={} rejected: {}", report->report_id, host_id,
                 outcome.response->status);
    return *outcome.response;
  }

  if (outcome.inventory_changed) {
    spdlog::info("host={} sent a new inventory ({} packages) in report {}", host_id,
                 report->inventory->packages.size(), report->report_id);
  }
  return respond(options, outcome);
}

}  // namespace

void describeCheckinMetrics(Metrics& metrics) {
  metrics.describe(kCheckinsMetric, Metrics::Type::kCounter,
                   "Check-in reports received, by result: accepted, duplicate, rejected, failed.");
}

Response handleReport(ServerContext& context, const HostRouteOptions& options, Request& request) {
  Outcome outcome;
  Response response = handle(context, options, request, outcome);
  context.metrics.increment(kCheckinsMetric,
                            {{"result", std::string(resultLabel(response, outcome))}});
  return response;
}

}  // namespace pk::server
