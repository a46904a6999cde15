#include "server/compliance_report_routes.h"

#include <charconv>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/compliance_summary.h"
#include "server/overdue_hosts.h"
#include "server/report_routes.h"
#include "store/compliance_history_repository.h"

namespace pk::server {
namespace {

enum class Format { kJson, kCsv, kHtml };

constexpr std::int64_t kDefaultHistoryDays = 90;
constexpr std::int64_t kMaxHistoryDays = 3660;

Response internalError() {
  return errorResponse(500, "internal_error",
                       "The server failed to handle the request. The error has been logged; try "
                       "again, and tell the administrator if it persists.");
}

Response invalidQuery(std::string_view name, std::string_view hint) {
  return errorResponse(400, "invalid_query",
                       fmt::format("Query parameter \"{}\" is invalid: {}", name, hint));
}

std::optional<Format> parseFormat(const Request& request) {
  const auto format = request.queryValue("format");
  if (!format || *format == "json") return Format::kJson;
  if (*format == "csv") return Format::kCsv;
  if (*format == "html") return Format::kHtml;
  return std::nullopt;
}

constexpr std::string_view kGroupingHint =
    "use \"collection\", \"window\", \"ring\", \"owner\" or \"fleet\".";

std::optional<ComplianceGrouping> groupingOf(const Request& request) {
  const auto by = request.queryValue("by");
  if (!by) return ComplianceGrouping::kFleet;
  return parseComplianceGrouping(*by);
}

std::string percentText(const std::optional<double>& percent) {
  if (!percent) return "";
  return fmt::format("{:.1f}", *percent);
}

nlohmann::json percentJson(const std::optional<double>& percent) {
  if (!percent) return nullptr;
  return *percent;
}

// A table for CSV and the printable HTML page.
struct Table {
  std::string title;
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

Response csvResponse(const Table& table, std::string_view file_name) {
  std::string body = csvRecord(table.columns);
  for (const auto& row : table.rows) body += csvRecord(row);
  Response response;
  response.content_type = "text/csv; charset=utf-8";
  response.body = std::move(body);
  response.headers.emplace_back("Content-Disposition",
                                fmt::format("attachment; filename=\"{}.csv\"", file_name));
  return response;
}

Response htmlResponse(const Table& table, SystemTime now) {
  std::string body =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      escapeHtml(table.title) +
      "</title>\n<style>\nbody{font-family:sans-serif;margin:1.5em}table{border-collapse:"
      "collapse;width:100%}th,td{border:1px solid #999;padding:.25em .5em;text-align:left}"
      "th{background:#eee}@media print{body{margin:0}tr{page-break-inside:avoid}}\n</style>\n"
      "</head>\n<body>\n";
  body += "<h1>" + escapeHtml(table.title) + "</h1>\n";
  body += "<p>Generated " + escapeHtml(formatRfc3339(now)) + ".</p>\n";
  if (table.rows.empty()) {
    body += "<p>None.</p>\n";
  } else {
    body += "<table>\n<thead><tr>";
    for (const auto& column : table.columns) body += "<th>" + escapeHtml(column) + "</th>";
    body += "</tr></thead>\n<tbody>\n";
    for (const auto& row : table.rows) {
      body += "<tr>";
      for (const auto& cell : row) body += "<td>" + escapeHtml(cell) + "</td>";
      body += "</tr>\n";
    }
    body += "</tbody>\n</table>\n";
  }
  body += "</body>\n</html>\n";
  Response response;
  response.content_type = "text/html; charset=utf-8";
  response.body = std::move(body);
  return response;
}

Response render(Format format, nlohmann::json json, const Table& table, std::string_view file_name,
                SystemTime now) {
  switch (format) {
    case Format::kCsv:
      return csvResponse(table, file_name);
    case Format::kHtml:
      return htmlResponse(table, now);
    case Format::kJson:
      break;
  }
  json["generated_at"] = formatRfc3339(now);
  return jsonResponse(200, json);
}

Response complianceSummary(ServerContext& context, std::chrono::days stale_after,
                           const Request& request) {
  const auto format = parseFormat(request);
  if (!format) return invalidQuery("format", "use \"json\", \"csv\" or \"html\".");
  const auto grouping = groupingOf(request);
  if (!grouping) return invalidQuery("by", kGroupingHint);

  ComplianceSummaryQuery query;
  query.grouping = *grouping;
  query.stale_after = stale_after;
  if (auto sequence = request.queryValue("ring_sequence")) query.ring_sequence_id = *sequence;
  if (!request.principal->seesAllHosts()) query.owner = request.principal->username;

  const SystemTime now = context.clock.now();
  std::optional<Result<std::vector<ComplianceGroup>>> groups;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    groups = summarizeCompliance(session, now, query);
    return {};
  });
  if (read && groups && !*groups && (*groups).error().code == ErrorCode::kNotFound) {
    return errorResponse(404, "not_found", (*groups).error().message);
  }
  if (!read || !groups || !*groups) {
    spdlog::error("compliance summary by={} failed: {}", complianceGroupingName(*grouping),
                  read ? (*groups).error().message : read.error().message);
    return internalError();
  }

  Table table;
  table.title = fmt::format("Compliance by {}", complianceGroupingName(*grouping));
  table.columns = {"group_id",      "group_name", "position", "compliant",
                   "not_compliant", "unknown",    "total",    "percent_compliant"};
  nlohmann::json items = nlohmann::json::array();
  for (const auto& group : **groups) {
    nlohmann::json item = {{"id", group.id},
                           {"name", group.name},
                           {"compliant", group.compliant},
                           {"not_compliant", group.not_compliant},
                           {"unknown", group.unknown},
                           {"total", group.total()},
                           {"percent_compliant", percentJson(group.percentCompliant())}};
    if (*grouping == ComplianceGrouping::kRing) item["position"] = group.position;
    items.push_back(std::move(item));
    table.rows.push_back(
        {group.id, group.name,
         *grouping == ComplianceGrouping::kRing ? std::to_string(group.position) : std::string(),
         std::to_string(group.compliant), std::to_string(group.not_compliant),
         std::to_string(group.unknown), std::to_string(group.total()),
         percentText(group.percentCompliant())});
  }
  nlohmann::json json = {{"by", complianceGroupingName(*grouping)},
                         {"groups", std::move(items)},
                         {"stale_after_days", stale_after.count()}};
  if (*grouping == ComplianceGrouping::kRing) json["ring_sequence"] = query.ring_sequence_id;
  return render(*format, std::move(json), table,
                fmt::format("compliance-by-{}", complianceGroupingName(*grouping)), now);
}

std::optional<std::int64_t> parseDays(const std::string& text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  if (value < 1 || value > kMaxHistoryDays) return std::nullopt;
  return value;
}

Response complianceHistory(ServerContext& context, const Request& request) {
  const auto format = parseFormat(request);
  if (!format) return invalidQuery("format", "use \"json\", \"csv\" or \"html\".");
  const auto grouping = groupingOf(request);
  if (!grouping) return invalidQuery("by", kGroupingHint);
  std::int64_t days = kDefaultHistoryDays;
  if (auto text = request.queryValue("days")) {
    auto parsed = parseDays(*text);
    if (!parsed) {
      return invalidQuery("days",
                          fmt::format("use a whole number of days from 1 to {}.", kMaxHistoryDays));
    }
    days = *parsed;
  }

  const SystemTime now = context.clock.now();
  // The window includes today, so days=1 returns today's snapshot only.
  const std::string first_day = utcDay(now - std::chrono::days(days - 1));
  std::vector<store::ComplianceSnapshotRow> rows;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto listed =
        store::listComplianceSnapshots(session, complianceGroupingName(*grouping), first_day);
    if (!listed) return tl::unexpected(listed.error());
    rows = std::move(*listed);
    return {};
  });
  if (!read) {
    spdlog::error("compliance history by={} failed: {}", complianceGroupingName(*grouping),
                  read.error().message);
    return internalError();
  }

  Table table;
  table.title = fmt::format("Compliance history by {}", complianceGroupingName(*grouping));
  table.columns = {"group_id",      "group_name", "day",   "compliant",
                   "not_compliant", "unknown",    "total", "percent_compliant"};
  // Rows arrive ordered by group id, then day: one series per group.
  nlohmann::json series = nlohmann::json::array();
  for (const auto& row : rows) {
    ComplianceGroup counts;
    counts.compliant = row.compliant;
    counts.not_compliant = row.not_compliant;
    counts.unknown = row.unknown;
    if (series.empty() || series.back()["id"] != row.group_id) {
      series.push_back({{"id", row.group_id}, {"points", nlohmann::json::array()}});
    }
    // The latest name wins, so a renamed group shows its current name.
    series.back()["name"] = row.group_name;
    series.back()["points"].push_back(
        {{"day", row.day},
         {"compliant", row.compliant},
         {"not_compliant", row.not_compliant},
         {"unknown", row.unknown},
         {"total", counts.total()},
         {"percent_compliant", percentJson(counts.percentCompliant())}});
    table.rows.push_back({row.group_id, row.group_name, row.day, std::to_string(row.compliant),
                          std::to_string(row.not_compliant), std::to_string(row.unknown),
                          std::to_string(counts.total()), percentText(counts.percentCompliant())});
  }
  nlohmann::json json = {{"by", complianceGroupingName(*grouping)},
                         {"days", days},
                         {"first_day", first_day},
                         {"series", std::move(series)}};
  return render(*format, std::move(json), table,
                fmt::format("compliance-history-by-{}", complianceGroupingName(*grouping)), now);
}

Response overdueReport(ServerContext& context, const Request& request) {
  const auto format = parseFormat(request);
  if (!format) return invalidQuery("format", "use \"json\", \"csv\" or \"html\".");
  std::optional<std::string> owner;
  if (!request.principal->seesAllHosts()) owner = request.principal->username;

  const SystemTime now = context.clock.now();
  std::vector<OverdueHost> hosts;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto listed = listOverdueHosts(session, now, owner);
    if (!listed) return tl::unexpected(listed.error());
    hosts = std::move(*listed);
    return {};
  });
  if (!read) {
    spdlog::error("overdue hosts report failed: {}", read.error().message);
    return internalError();
  }

  Table table;
  table.title = "Hosts overdue for a deployment";
  table.columns = {"host_id",         "hostname",      "owner",           "window_id",
                   "window_name",     "deployment_id", "deployment_name", "deadline",
                   "overdue_seconds", "job_id",        "job_state",       "reasons"};
  nlohmann::json items = nlohmann::json::array();
  for (const auto& host : hosts) {
    const auto overdue_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(host.overdue).count();
    std::string reasons;
    for (const auto& reason : host.reasons) {
      if (!reasons.empty()) reasons += "; ";
      reasons += reason;
    }
    nlohmann::json window = nullptr;
    if (host.window_id) window = {{"id", *host.window_id}, {"name", host.window_name}};
    items.push_back(
        {{"host_id", host.job.host_id},
         {"hostname", host.job.hostname},
         {"owner", host.job.owner},
         {"window", std::move(window)},
         {"deployment", {{"id", host.job.deployment_id}, {"name", host.job.deployment_name}}},
         {"deadline", formatRfc3339(host.job.deadline)},
         {"overdue_seconds", overdue_seconds},
         {"job", {{"id", host.job.job_id}, {"state", host.job.job_state}}},
         {"reasons", host.reasons}});
    table.rows.push_back({host.job.host_id, host.job.hostname, host.job.owner,
                          host.window_id.value_or(""), host.window_name, host.job.deployment_id,
                          host.job.deployment_name, formatRfc3339(host.job.deadline),
                          std::to_string(overdue_seconds), host.job.job_id, host.job.job_state,
                          reasons});
  }
  return render(*format, {{"hosts", std::move(items)}}, table, "overdue", now);
}

}  // namespace

void addComplianceReportRoutes(Router& router, ServerContext& context,
                               std::chrono::days stale_after) {
  ServerContext* ctx = &context;
  router.add("GET", "/api/v1/reports/compliance-summary", Permission::kReadReports,
             [ctx, stale_after](Request& request) {
               return complianceSummary(*ctx, stale_after, request);
             });
  router.add("GET", "/api/v1/reports/compliance-history", Permission::kReadReports,
             [ctx](Request& request) { return complianceHistory(*ctx, request); });
  router.add("GET", "/api/v1/reports/overdue", Permission::kReadReports,
             [ctx](Request& request) { return overdueReport(*ctx, request); });
}

}  // namespace pk::server
