#pragma once

// `patchkeeper scan`: find the vulnerable packages of one host, given its
// root directory, from advisory feeds and from the host's own security
// archives.

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/scan_output.h"

namespace pk::cli {

struct ScanOptions {
  std::string root = "/";
  // A Windows inventory document to scan instead of a root directory.
  std::string windows_inventory;
  std::vector<std::string> advisories;  // feed files, archives or folders
  bool download = false;                // fetch .debs to read changelogs
  bool apt_security = true;             // check the host's own security archives
  std::string format = "table";
  std::string running_kernel;  // for rpm roots other than "/", the running kernel release
  bool quiet = false;          // no progress on stderr
};

// Adds the `scan` command to `app`; its callback stores its exit status.
void addScanCommand(CLI::App& app, ScanOptions& options, int& exit_status);

// Runs a scan and writes the report to `out`, progress and problems to
// `err`. Returns kExitOk (nothing found), kExitFindings, kExitInvalidInput
// or kExitError.
int runScan(const ScanOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pk::cli
