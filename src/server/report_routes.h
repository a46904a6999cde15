#pragma once

// The maintenance window reports, each as JSON, CSV or a printable HTML
// page (?format=json|csv|html, JSON by default):
//
//   GET /api/v1/reports/servers-by-window         read_reports
//   GET /api/v1/reports/windows                   read_reports
//   GET /api/v1/reports/servers-without-window    read_reports
//
// Servers are active hosts of kind "server". A server's window is the one it
// is in at the request's time, so a due pending move counts as applied. A
// server without a window is not compliant, whatever its findings: the
// policy patches servers only inside windows. CSV cells that a spreadsheet
// would run as a formula (starting with =, +, -, @, tab or carriage return)
// get a leading apostrophe, and every HTML text is escaped.
// docs/REPORTS.md shows each report's fields.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "server/context.h"
#include "server/http.h"

namespace pk::server {

// The number of occurrences the windows report lists per window.
inline constexpr std::size_t kReportOccurrences = 12;

// Writes one CSV record (RFC 4180, CRLF) with formula-injection protection.
std::string csvRecord(const std::vector<std::string>& cells);

// Escapes text for HTML element content and attribute values.
std::string escapeHtml(std::string_view text);

// Registers the routes above. `stale_after` is the compliance staleness
// limit (HostRouteOptions::stale_after). `context` must outlive `router`.
void addReportRoutes(Router& router, ServerContext& context, std::chrono::days stale_after);

}  // namespace pk::server
