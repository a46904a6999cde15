#pragma once

// `patchkeeper restart-policy preview` runs the endpoint restart manager
// (restart/manager.h) over a simulated clock. It prints what a user of one
// endpoint experiences after an install: the notices with the actions they
// offer, the snoozes given with --defer, the sleep given with --offline,
// the final countdown and the restart. The manager is the agent's, so the
// preview and the agent cannot disagree.

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace pk::cli {

struct RestartPreviewOptions {
  std::string installed_at;          // RFC 3339, or a local date-time in `zone`
  std::string zone;                  // IANA zone for display and local inputs
  std::vector<std::string> defers;   // AT=DURATION: 1h, 4h or "countdown"
  std::vector<std::string> offline;  // FROM/TO: asleep between the two instants
  std::string deadline = "24h";      // policy: install to forced restart
  std::string countdown = "90m";     // policy: the final countdown
  std::string reminder = "4h";       // policy: interval between reminders
  std::string format = "table";      // table or json
};

// Adds `restart-policy preview` to `app`; the callback stores its exit
// status in `exit_status`.
void addRestartPolicyCommand(CLI::App& app, RestartPreviewOptions& options, int& exit_status);

// Simulates the restart and prints it to `out`. Returns kExitOk, or
// kExitInvalidInput after printing the reason to `err` for an invalid
// instant, zone, duration, overlapping or reversed --offline span, or a
// --defer that the manager rejects (during the countdown, while asleep).
//
// JSON form: {"deadline_utc", "countdown_start_utc", "restart_utc",
// "events": [{"at_utc", "kind", "offered"}]}. Event kinds are the notice
// kinds (installed, reminder, countdown, restarting), the snoozes
// (snooze-1h, snooze-4h, snooze-until-countdown), and asleep and awake.
int runRestartPreview(const RestartPreviewOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pk::cli
