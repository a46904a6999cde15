#pragma once

// `patchkeeper version compare ECOSYSTEM A B`

#include <iosfwd>
#include <string>

#include <CLI/CLI.hpp>

namespace pk::cli {

struct VersionCompareOptions {
  std::string ecosystem;
  std::string a;
  std::string b;
};

// Adds the `version` command and its `compare` subcommand to `app`. The
// callback stores its exit status in `exit_status`.
void addVersionCommand(CLI::App& app, VersionCompareOptions& options, int& exit_status);

// Compares two versions and prints "<", "=" or ">" to `out`. Returns 0, or
// kExitInvalidInput after printing the reason to `err`.
int runVersionCompare(const VersionCompareOptions& options, std::ostream& out, std::ostream& err);

}  // namespace pk::cli
