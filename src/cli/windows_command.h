#pragma once

// `patchkeeper windows preview`: prints the occurrences a maintenance window
// rule produces, so an administrator can check a rule before using it.

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

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

}  // namespace pk::cli
