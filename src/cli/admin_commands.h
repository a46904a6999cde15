#pragma once

// The administration commands of `patchkeeper`, which call the server's
// API: login, logout, whoami, hosts, findings, feeds, enrolment-secrets,
// users, tokens and audit. docs/CLI.md describes each one.
//
// Every command accepts --server, --pin, --ca-file and --token, which
// override the client configuration (admin_config.h) for one run, and the
// commands that print data accept --format table|json|csv. Exit statuses:
// 0 success, 2 a usage error (including a value rejected before any request
// is sent), 3 a failed request (the server's message is printed as
// "error: <message> (<code>)").

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "cli/admin_api.h"
#include "cli/admin_config.h"
#include "common/clock.h"

namespace pk::cli {

// The client configuration of one run.
struct LoadedConfig {
  std::filesystem::path path;  // the configuration file
  ClientConfig saved;          // the file's content ({} when missing)
  ClientConfig effective;      // `saved` with the flags and PATCHKEEPER_TOKEN applied
};

// Holds the options every administration command shares and runs a
// command's body with the context they select. One instance serves all
// commands of a parse; it must outlive CLI::App::parse.
class AdminRunner {
 public:
  explicit AdminRunner(int& exit_status) : exit_status_(exit_status) {}

  // Adds --server, --pin, --ca-file and --token to `command`.
  void addConnectionOptions(CLI::App* command);
  // Adds --format (table, json or csv; default table) to `command`.
  void addFormatOption(CLI::App* command);

  // Reads the configuration file and applies the flags and environment.
  // Fails as clientConfigPath and loadClientConfig do.
  Result<LoadedConfig> loadConfig() const;

  // Builds the context (checking the server URL and pin, creating the
  // transport), runs `command` and stores its exit status. A failure before
  // the command runs prints the error and stores 2 (no server configured,
  // bad URL or pin) or 3 (unreadable configuration, transport setup).
  void run(const std::function<int(AdminContext&)>& command);

  // Like run, also passing the configuration to `command`. With
  // `for_login`, no token is sent and a 401 brings no login hint.
  void runWithConfig(const std::function<int(AdminContext&, const LoadedConfig&)>& command,
                     bool for_login = false);

  // Stores a status directly, for commands that build their own context.
  void setExitStatus(int status) { exit_status_ = status; }

  const ConnectionFlags& connectionFlags() const { return connection_; }
  OutputOptions outputOptions() const;

 private:
  int& exit_status_;
  ConnectionFlags connection_;
  std::string format_ = "table";
};

// Adds every administration command to `app`. `runner` and `clock` (which
// resolves ages such as --since 7d) must outlive the parse.
void addAdminCommands(CLI::App& app, AdminRunner& runner, const Clock& clock);

}  // namespace pk::cli
