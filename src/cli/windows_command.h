#pragma once

// `patchkeeper windows preview`: prints the occurrences a maintenance window
// rule produces, so an administrator can check a rule before using it.
// `patchkeeper windows list|show|create|update|delete|assign|occurrences`
// and `patchkeeper reports ...`: the stored windows and the window reports
// through the server's API (docs/WINDOWS.md, docs/REPORTS.md). Each run
// function makes one API call, prints the result and returns kExitOk,
// kExitInvalidInput (nothing sent) or kExitError (the server's error
// printed).

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/admin_api.h"

namespace pk::cli {

struct WindowPreviewOptions {
  std::string rrule;                  // RFC 5545 RRULE value
  std::string start;                  // local date-time, YYYY-MM-DDTHH:MM[:SS]
  std::string zone;                   // IANA zone name
  std::string duration;               // window length, such as 4h or PT4H
  int offset_days = 0;                // days added to each expanded date
  std::vector<std::string> excludes;  // local dates, YYYY-MM-DD
  std::string from;                   // local date or date-time in the zone
  int count = 10;                     // how many occurrences to print
  std::string format = "table";       // table or json
};

// Adds the `windows` command and its `preview` subcommand to `app`. The
// callback stores its exit status in `exit_status`.
void addWindowsCommand(CLI::App& app, WindowPreviewOptions& options, int& exit_status);

// Prints the first `count` occurrences that start at or after `from` to
// `out`. Returns kExitOk, or kExitInvalidInput after printing the reason to
// `err` when an option is invalid.
int runWindowPreview(const WindowPreviewOptions& options, std::ostream& out, std::ostream& err);

class AdminRunner;

// The fields of a window to create or change. Unset fields are not sent,
// so an update keeps their stored values.
struct WindowFieldsOptions {
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<std::string> rrule;
  std::optional<std::string> start;     // local date-time
  std::optional<std::string> zone;      // IANA zone
  std::optional<std::string> duration;  // wall-clock length, 4h or PT4H
  std::optional<int> offset_days;
  std::optional<std::vector<std::string>> excludes;   // local dates
  std::optional<std::vector<std::string>> blackouts;  // "START/END" local date-times
};

struct WindowOccurrencesOptions {
  std::string window_id;
  std::string from;  // RFC 3339 or YYYY-MM-DD; "" for now
  std::string to;    // "" for the server's default
  int count = 0;     // 0: use the range
};

// GET /api/v1/windows
int runWindowsList(AdminContext& ctx);
// GET /api/v1/windows/{id}
int runWindowsShow(const std::string& window_id, AdminContext& ctx);
// POST /api/v1/windows, or PUT /api/v1/windows/{id} when `window_id` is
// set. Returns kExitInvalidInput, sending nothing, for a blackout that is
// not "START/END" and for an update without any field.
int runWindowsSave(const std::optional<std::string>& window_id, const WindowFieldsOptions& options,
                   AdminContext& ctx);
// DELETE /api/v1/windows/{id}
int runWindowsDelete(const std::string& window_id, AdminContext& ctx);
// PUT /api/v1/hosts/{id}/window; `window_id` nullopt takes the server out
// of every window.
int runWindowsAssign(const std::string& host_id, const std::optional<std::string>& window_id,
                     const std::string& reason, AdminContext& ctx);
// GET /api/v1/windows/{id}/occurrences
int runWindowsOccurrences(const WindowOccurrencesOptions& options, AdminContext& ctx);
// GET /api/v1/reports/{name}?format=; writes the body as the server sends
// it (JSON, CSV or HTML).
int runReport(const std::string& name, const std::string& format, AdminContext& ctx);

// Adds the API subcommands to the `windows` command (creating it if
// needed) and the `reports` command to `app`.
void addWindowAdminCommands(CLI::App& app, AdminRunner& runner);

}  // namespace pk::cli
