#include "server/report_routes.h"

#include <map>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/calendar.h"
#include "server/compliance.h"
#include "server/window_assignment.h"
#include "store/finding_repository.h"
#include "store/host_repository.h"
#include "store/patch_repository.h"
#include "store/window_repository.h"

namespace pk::server {
namespace {

enum class Format { kJson, kCsv, kHtml };

constexpr std::string_view kNoWindowReason =
    "no maintenance window: servers are patched only inside a window";

Response internalError() {
  return errorResponse(500, "internal_error",
                       "The server failed to handle the request. The error has been logged; try "
                       "again, and tell the administrator if it persists.");
}

std::optional<Format> parseFormat(const Request& request) {
  const auto format = request.queryValue("format");
  if (!format || *format == "json") return Format::kJson;
  if (*format == "csv") return Format::kCsv;
  if (*format == "html") return Format::kHtml;
  return std::nullopt;
}

// A report laid out as sections of rows, for CSV and HTML.
struct Section {
  std::string heading;               // HTML only
  std::vector<std::string> leading;  // CSV cells before each row's own
  std::vector<std::vector<std::string>> rows;
};

struct Layout {
  std::string title;
  std::vector<std::string> notes;  // sentences above the tables
  std::vector<std::string> leading_columns;
  std::vector<std::string> columns;
  std::vector<Section> sections;
};

Response csvResponse(const Layout& layout, std::string_view file_name) {
  std::vector<std::string> header = layout.leading_columns;
  header.insert(header.end(), layout.columns.begin(), layout.columns.end());
  std::string body = csvRecord(header);
  for (const auto& section : layout.sections) {
    if (section.rows.empty()) {
      std::vector<std::string> cells = section.leading;
      cells.resize(header.size());
      body += csvRecord(cells);
      continue;
    }
    for (const auto& row : section.rows) {
      std::vector<std::string> cells = section.leading;
      cells.insert(cells.end(), row.begin(), row.end());
      body += csvRecord(cells);
    }
  }
  Response response;
  response.content_type = "text/csv; charset=utf-8";
  response.body = std::move(body);
  response.headers.emplace_back("Content-Disposition",
                                fmt::format("attachment; filename=\"{}.csv\"", file_name));
  return response;
}

Response htmlResponse(const Layout& layout, SystemTime now) {
  std::string body =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      escapeHtml(layout.title) +
      "</title>\n<style>\nbody{font-family:sans-serif;margin:1.5em}table{border-collapse:"
      "collapse;width:100%;margin-bottom:1.5em}th,td{border:1px solid #999;padding:.25em "
      ".5em;text-align:left}th{background:#eee}h2{page-break-after:avoid}"
      "@media print{body{margin:0}tr{page-break-inside:avoid}}\n</style>\n</head>\n<body>\n";
  body += "<h1>" + escapeHtml(layout.title) + "</h1>\n";
  body += "<p>Generated " + escapeHtml(formatRfc3339(now)) + ".</p>\n";
  for (const auto& note : layout.notes) body += "<p>" + escapeHtml(note) + "</p>\n";
  for (const auto& section : layout.sections) {
    if (!section.heading.empty()) body += "<h2>" + escapeHtml(section.heading) + "</h2>\n";
    if (section.rows.empty()) {
      body += "<p>None.</p>\n";
      continue;
    }
    body += "<table>\n<thead><tr>";
    for (const auto& column : layout.columns) body += "<th>" + escapeHtml(column) + "</th>";
    body += "</tr></thead>\n<tbody>\n";
    for (const auto& row : section.rows) {
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

// A server as the reports show it.
struct ServerLine {
  store::HostRecord host;
  Compliance compliance;
};

nlohmann::json serverJson(const ServerLine& line) {
  nlohmann::json data_age = nullptr;
  if (line.compliance.data_age) {
    data_age = std::chrono::duration_cast<std::chrono::seconds>(*line.compliance.data_age).count();
  }
  return {
      {"id", line.host.id},
      {"hostname", line.host.hostname},
      {"owner", line.host.owner},
      {"os", {{"pretty_name", line.host.os_pretty_name}, {"ecosystem", line.host.os_ecosystem}}},
      {"compliance",
       {{"status", complianceStatusName(line.compliance.status)},
        {"reason", line.compliance.reason}}},
      {"data_age_seconds", data_age}};
}

std::vector<std::string> serverCells(const ServerLine& line) {
  std::string data_age;
  if (line.compliance.data_age) {
    data_age = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(*line.compliance.data_age).count());
  }
  const std::string os =
      line.host.os_pretty_name.empty() ? line.host.os_ecosystem : line.host.os_pretty_name;
  return {line.host.hostname,
          line.host.id,
          line.host.owner,
          os,
          std::string(complianceStatusName(line.compliance.status)),
          line.compliance.reason,
          data_age};
}

const std::vector<std::string> kServerColumns = {
    "hostname", "host_id", "owner", "os", "compliance", "compliance_reason", "data_age_seconds"};

struct FleetState {
  std::vector<store::WindowRecord> windows;
  std::vector<ServerLine> servers;
  std::map<std::string, std::string> window_of;  // host id -> window id at now
};

Result<FleetState> loadFleet(store::Session& session, const Principal& principal, SystemTime now,
                             std::chrono::days stale_after) {
  FleetState state;
  auto windows = store::listWindows(session);
  if (!windows) return tl::unexpected(windows.error());
  state.windows = std::move(*windows);

  store::HostFilter filter;
  filter.kind = std::string(store::kHostKindServer);
  filter.status = std::string(store::kHostStatusActive);
  if (!principal.seesAllHosts()) filter.owner = principal.username;
  auto hosts = store::listHosts(session, filter);
  if (!hosts) return tl::unexpected(hosts.error());
  std::vector<std::string> ids;
  for (const auto& host : *hosts) ids.push_back(host.id);
  auto open = store::countOpenFindingsWithoutException(session, ids, now);
  if (!open) return tl::unexpected(open.error());
  auto window_of = currentWindowsAt(session, now);
  if (!window_of) return tl::unexpected(window_of.error());
  state.window_of = std::move(*window_of);

  for (auto& host : *hosts) {
    const auto count = open->find(host.id);
    ServerLine line;
    line.compliance = computeCompliance(
        complianceFactsOf(host, count == open->end() ? 0 : count->second), now, stale_after);
    if (state.window_of.count(host.id) == 0) {
      line.compliance.status = ComplianceStatus::kNotCompliant;
      line.compliance.reason = std::string(kNoWindowReason);
    }
    line.host = std::move(host);
    state.servers.push_back(std::move(line));
  }
  return state;
}

// Runs `build` on the fleet read at now and sends its result in the
// requested format.
using ReportBuilder = std::function<std::pair<nlohmann::json, Layout>(const FleetState&)>;

Response report(ServerContext& context, const Request& request, std::chrono::days stale_after,
                std::string_view file_name, const ReportBuilder& build) {
  const auto format = parseFormat(request);
  if (!format) {
    return errorResponse(400, "invalid_query",
                         "Query parameter \"format\": use \"json\", \"csv\" or \"html\".");
  }
  const SystemTime now = context.clock.now();
  std::optional<FleetState> state;
  auto read = context.database.read([&](store::Session& session) -> Result<void> {
    auto loaded = loadFleet(session, *request.principal, now, stale_after);
    if (!loaded) return tl::unexpected(loaded.error());
    state = std::move(*loaded);
    return {};
  });
  if (!read) {
    spdlog::error("building report {} failed: {}", file_name, read.error().message);
    return internalError();
  }
  auto [json, layout] = build(*state);
  switch (*format) {
    case Format::kCsv:
      return csvResponse(layout, file_name);
    case Format::kHtml:
      return htmlResponse(layout, now);
    case Format::kJson:
      break;
  }
  json["generated_at"] = formatRfc3339(now);
  return jsonResponse(200, json);
}

std::string occurrenceText(const std::optional<schedule::Occurrence>& occurrence) {
  if (!occurrence) return "none";
  return fmt::format(
      "{} to {}",
      schedule::formatLocalWithOffset(occurrence->local_start, occurrence->start_utc_offset),
      schedule::formatLocalWithOffset(occurrence->local_end, occurrence->end_utc_offset));
}

std::optional<schedule::Occurrence> nextOccurrenceOf(const store::WindowRecord& window,
                                                     SystemTime now) {
  auto rule = windowRuleOf(window);
  if (!rule) return std::nullopt;
  auto next = rule->nextOccurrence(now);
  if (!next || !*next) return std::nullopt;
  return **next;
}

std::pair<nlohmann::json, Layout> serversByWindow(const FleetState& state, SystemTime now) {
  Layout layout;
  layout.title = "Servers by maintenance window";
  layout.notes = {"Each window with its next occurrence, then each of its servers.",
                  "Servers without a window are listed last; they count as not compliant."};
  layout.leading_columns = {"window_id", "window_name", "next_start_local", "next_start_utc"};
  layout.columns = kServerColumns;

  nlohmann::json windows = nlohmann::json::array();
  for (const auto& window : state.windows) {
    const auto next = nextOccurrenceOf(window, now);
    Section section;
    section.heading =
        fmt::format("{} ({}), next: {}", window.name, window.zone, occurrenceText(next));
    section.leading = {
        window.id, window.name,
        next ? schedule::formatLocalWithOffset(next->local_start, next->start_utc_offset) : "",
        next ? schedule::formatUtc(next->start) : ""};
    nlohmann::json servers = nlohmann::json::array();
    for (const auto& line : state.servers) {
      const auto found = state.window_of.find(line.host.id);
      if (found == state.window_of.end() || found->second != window.id) continue;
      servers.push_back(serverJson(line));
      section.rows.push_back(serverCells(line));
    }
    windows.push_back({{"id", window.id},
                       {"name", window.name},
                       {"zone", window.zone},
                       {"next_occurrence", next ? occurrenceToJson(*next) : nlohmann::json()},
                       {"servers", std::move(servers)}});
    layout.sections.push_back(std::move(section));
  }

  Section without;
  without.heading = "Servers without a window (not compliant)";
  without.leading = {"", "(no window)", "", ""};
  nlohmann::json unassigned = nlohmann::json::array();
  for (const auto& line : state.servers) {
    if (state.window_of.count(line.host.id) != 0) continue;
    unassigned.push_back(serverJson(line));
    without.rows.push_back(serverCells(line));
  }
  layout.sections.push_back(std::move(without));
  return {{{"windows", std::move(windows)}, {"servers_without_window", std::move(unassigned)}},
          std::move(layout)};
}

std::pair<nlohmann::json, Layout> windowsReport(const FleetState& state, SystemTime now) {
  Layout layout;
  layout.title = "Maintenance windows";
  layout.notes = {
      fmt::format("Each window with its next {} occurrences. Times are on the "
                  "window's own wall clock with their UTC offset, then in UTC.",
                  kReportOccurrences)};
  layout.leading_columns = {"window_id", "window_name", "zone", "rrule"};
  layout.columns = {"number", "start_local", "end_local", "start_utc", "end_utc", "duration_s"};

  nlohmann::json windows = nlohmann::json::array();
  for (const auto& window : state.windows) {
    Section section;
    section.heading = fmt::format("{} ({}, {})", window.name, window.zone, window.rrule);
    section.leading = {window.id, window.name, window.zone, window.rrule};
    nlohmann::json occurrences = nlohmann::json::array();
    if (auto rule = windowRuleOf(window)) {
      if (auto found = rule->firstOccurrences(now, kReportOccurrences)) {
        std::size_t number = 0;
        for (const auto& occurrence : *found) {
          occurrences.push_back(occurrenceToJson(occurrence));
          section.rows.push_back(
              {std::to_string(++number),
               schedule::formatLocalWithOffset(occurrence.local_start, occurrence.start_utc_offset),
               schedule::formatLocalWithOffset(occurrence.local_end, occurrence.end_utc_offset),
               schedule::formatUtc(occurrence.start), schedule::formatUtc(occurrence.end),
               std::to_string(occurrence.duration().count())});
        }
      }
    }
    windows.push_back({{"id", window.id},
                       {"name", window.name},
                       {"zone", window.zone},
                       {"rrule", window.rrule},
                       {"occurrences", std::move(occurrences)}});
    layout.sections.push_back(std::move(section));
  }
  return {{{"windows", std::move(windows)}}, std::move(layout)};
}

std::pair<nlohmann::json, Layout> serversWithoutWindow(const FleetState& state) {
  Layout layout;
  layout.title = "Servers without a maintenance window";
  layout.notes = {
      "These servers count as not compliant: the policy patches servers only inside a "
      "maintenance window, so a server without one is not patched outside an emergency."};
  layout.columns = kServerColumns;
  Section section;
  nlohmann::json servers = nlohmann::json::array();
  for (const auto& line : state.servers) {
    if (state.window_of.count(line.host.id) != 0) continue;
    servers.push_back(serverJson(line));
    section.rows.push_back(serverCells(line));
  }
  layout.sections.push_back(std::move(section));
  return {{{"note", layout.notes.front()}, {"servers", std::move(servers)}}, std::move(layout)};
}

}  // namespace

std::string csvRecord(const std::vector<std::string>& cells) {
  std::string record;
  bool first = true;
  for (const auto& cell : cells) {
    if (!first) record += ',';
    first = false;
    std::string value = cell;
    if (!value.empty() &&
        (value.front() == '=' || value.front() == '+' || value.front() == '-' ||
         value.front() == '@' || value.front() == '\t' || value.front() == '\r')) {
      value.insert(value.begin(), '\'');
    }
    if (value.find_first_of(",\"\r\n") == std::string::npos) {
      record += value;
      continue;
    }
    record += '"';
    for (const char c : value) {
      if (c == '"') record += '"';
      record += c;
    }
    record += '"';
  }
  record += "\r\n";
  return record;
}

std::string escapeHtml(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped += c;
    }
  }
  return escaped;
}

void addReportRoutes(Router& router, ServerContext& context, std::chrono::days stale_after) {
  ServerContext* ctx = &context;
  router.add("GET", "/api/v1/reports/servers-by-window", Permission::kReadReports,
             [ctx, stale_after](Request& request) {
               const SystemTime now = ctx->clock.now();
               return report(
                   *ctx, request, stale_after, "servers-by-window",
                   [now](const FleetState& state) { return serversByWindow(state, now); });
             });
  router.add("GET", "/api/v1/reports/windows", Permission::kReadReports,
             [ctx, stale_after](Request& request) {
               const SystemTime now = ctx->clock.now();
               return report(*ctx, request, stale_after, "windows",
                             [now](const FleetState& state) { return windowsReport(state, now); });
             });
  router.add("GET", "/api/v1/reports/servers-without-window", Permission::kReadReports,
             [ctx, stale_after](Request& request) {
               return report(*ctx, request, stale_after, "servers-without-window",
                             [](const FleetState& state) { return serversWithoutWindow(state); });
             });
}

}  // namespace pk::server
