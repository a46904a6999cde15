// The patchkeeper command: offline tools (scan, version) and administration
// through the server's API (login, hosts, findings, feeds, users, ...).

#include <CLI/CLI.hpp>

#include "cli/admin_commands.h"
#include "cli/exit_codes.h"
#include "cli/restart_policy_command.h"
#include "cli/scan_command.h"
#include "cli/version_command.h"
#include "cli/windows_command.h"
#include "common/clock.h"

int main(int argc, char** argv) {
  CLI::App app{"patchkeeper: find, evaluate, deploy and confirm security patches"};
  app.require_subcommand(1);

  int exit_status = pk::cli::kExitOk;
  pk::cli::ScanOptions scan_options;
  pk::cli::addScanCommand(app, scan_options, exit_status);
  pk::cli::VersionCompareOptions version_options;
  pk::cli::addVersionCommand(app, version_options, exit_status);
  pk::cli::WindowPreviewOptions windows_options;
  pk::cli::addWindowsCommand(app, windows_options, exit_status);
  pk::cli::RestartPreviewOptions restart_options;
  pk::cli::addRestartPolicyCommand(app, restart_options, exit_status);
  pk::SystemClock clock;
  pk::cli::AdminRunner admin_runner(exit_status);
  pk::cli::addAdminCommands(app, admin_runner, clock);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    int status = app.exit(error);
    // Usage errors share the invalid-input status; --help stays 0.
    return status == 0 ? pk::cli::kExitOk : pk::cli::kExitInvalidInput;
  }
  return exit_status;
}
