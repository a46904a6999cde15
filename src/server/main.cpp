// patchkeeper-server: serve the API, create the first admin, print the
// version. Exit statuses: 0 success, 2 invalid command line or
// configuration (or a database newer than this build), 3 runtime failure.

#include <pthread.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "common/clock.h"
#include "server/app.h"

namespace {

constexpr const char* kDefaultConfig = "/etc/patchkeeper/server.toml";

void addConfigOverrides(CLI::App& command, pk::server::ConfigOverrides& overrides) {
  command.add_option("--port", overrides.port, "TCP port to listen on; 0 picks a free one");
  command.add_option("--database", overrides.database,
                     "Database connection string, sqlite:///path/patchkeeper.db");
  command.add_option("--data-dir", overrides.data_dir,
                     "Folder for the SQLite database and generated TLS files");
  command.add_option("--listen", overrides.listen_address,
                     "IPv4 or IPv6 address to listen on, 0.0.0.0 for every interface");
  command.add_flag("--allow-plain-http", overrides.allow_plain_http,
                   "Serve plain HTTP instead of HTTPS (loopback tests only)");
}

int fail(const pk::Error& error) {
  std::cerr << "patchkeeper-server: " << error.message << "\n";
  return pk::server::exitStatusFor(error);
}

#ifdef PK_TEST_CLOCK
// The end-to-end tests' hook: with PK_TEST_CLOCK_SHIFT_FILE set, the server
// runs on a ShiftedClock and, on SIGUSR1, reads from that file the whole
// seconds to shift it by. Only test builds have it (CMake PK_TEST_CLOCK).
constexpr const char* kClockShiftVariable = "PK_TEST_CLOCK_SHIFT_FILE";

void readClockShift(const std::string& path, pk::ShiftedClock& clock) {
  std::ifstream file(path);
  long long seconds = 0;
  if (!(file >> seconds)) {
    spdlog::error("test clock: {} does not contain a whole number of seconds; the shift stays {} s",
                  path, std::chrono::duration_cast<std::chrono::seconds>(clock.shift()).count());
    return;
  }
  if (!clock.setShift(std::chrono::seconds(seconds))) {
    spdlog::error(
        "test clock: rejected a shift of {} s because it would move time back; it stays {} s",
        seconds, std::chrono::duration_cast<std::chrono::seconds>(clock.shift()).count());
    return;
  }
  spdlog::warn("test clock: time is shifted forward by {} s", seconds);
}
#endif

// Runs the server until SIGTERM or SIGINT.
int serve(const std::string& config_path, const pk::server::ConfigOverrides& overrides) {
  auto config = pk::server::loadConfig(config_path, overrides);
  if (!config) return fail(config.error());

  // The signals are blocked before any thread starts, so that every thread
  // inherits the mask and only sigwait() below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);

  pk::SystemClock system_clock;
  pk::ShiftedClock shifted_clock(system_clock);
  pk::Clock* clock = &system_clock;
  std::optional<std::string> shift_file;
#ifdef PK_TEST_CLOCK
  if (const char* path = std::getenv(kClockShiftVariable); path && *path) {
    shift_file = path;
    clock = &shifted_clock;
    sigaddset(&signals, SIGUSR1);
    spdlog::warn(
        "test clock: {} is set, so SIGUSR1 shifts this server's time; never use this "
        "outside tests",
        kClockShiftVariable);
    readClockShift(*shift_file, shifted_clock);
  }
#endif
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  pk::server::ServerApp app(std::move(*config), *clock);
  if (auto started = app.start(std::cout); !started) return fail(started.error());

  int received = 0;
  for (;;) {
    sigwait(&signals, &received);
    if (received != SIGUSR1) break;
#ifdef PK_TEST_CLOCK
    if (shift_file) {
      readClockShift(*shift_file, shifted_clock);
      app.wakeScheduledJobs();
    }
#endif
  }
  spdlog::info("Received {}, stopping", received == SIGTERM ? "SIGTERM" : "SIGINT");
  app.stop();
  return pk::server::kExitOk;
}

int init(const std::string& config_path, const pk::server::ConfigOverrides& overrides,
         const std::string& username, const std::string& password_file) {
  auto config = pk::server::loadConfig(config_path, overrides);
  if (!config) return fail(config.error());

  pk::SystemClock clock;
  if (auto created = pk::server::runInit(*config, username, password_file, clock); !created) {
    return fail(created.error());
  }
  std::cout << "Created the admin user " << username << ".\n";
  return pk::server::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Diagnostics go to standard error, so that standard output carries only
  // the TLS pin and, with access_log = "stdout", the access log's JSON lines.
  spdlog::set_default_logger(spdlog::stderr_color_mt("patchkeeper-server"));

  CLI::App app{"patchkeeper-server: the patchkeeper API server"};
  app.require_subcommand(1);

  std::string config_path = kDefaultConfig;
  pk::server::ConfigOverrides overrides;

  auto* serve_command = app.add_subcommand("serve", "Serve the API until SIGTERM or SIGINT");
  serve_command->add_option("--config", config_path, "Configuration file (TOML)")
      ->capture_default_str();
  addConfigOverrides(*serve_command, overrides);

  std::string username;
  std::string password_file;
  auto* init_command =
      app.add_subcommand("init", "Create the first admin user of a new installation");
  init_command->add_option("--config", config_path, "Configuration file (TOML)")
      ->capture_default_str();
  init_command->add_option("--username", username, "The admin's username")->required();
  init_command
      ->add_option("--password-file", password_file,
                   "File containing the admin's password (one trailing newline is ignored)")
      ->required();
  addConfigOverrides(*init_command, overrides);

  auto* version_command = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    // --help exits 0; every other parse error is a usage error.
    return status == 0 ? pk::server::kExitOk : pk::server::kExitUsage;
  }

  if (*version_command) {
    std::cout << "patchkeeper-server " << pk::server::kServerVersion << "\n";
    return pk::server::kExitOk;
  }
  if (*init_command) return init(config_path, overrides, username, password_file);
  return serve(config_path, overrides);
}
