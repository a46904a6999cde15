#pragma once

// patchkeeper-server as a whole: the configuration with its flag overrides,
// the database, TLS, the Router with every route, and the listener. main.cpp
// only parses the command line and waits for signals. Everything else is
// here, so that tests can start and stop a whole server in one process.

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/error.h"
#include "server/config.h"
#include "server/context.h"
#include "server/domain.h"
#include "server/http.h"
#include "server/http_listener.h"
#include "server/metrics.h"
#include "server/tls.h"
#include "store/database.h"

namespace pk::server {

// The server's version, shown by `patchkeeper-server version` and in the
// OpenAPI document: the project VERSION of the top-level CMakeLists.txt.
inline constexpr std::string_view kServerVersion = PK_PROJECT_VERSION;

// Exit statuses of patchkeeper-server.
inline constexpr int kExitOk = 0;
// The command line or the configuration is invalid, or the database is newer
// than this build.
inline constexpr int kExitUsage = 2;
// The server could not start or run: the database, TLS files or port failed.
inline constexpr int kExitFailure = 3;

// Returns the exit status for a failure of loadConfig(), ServerApp::start()
// or runInit(): kExitUsage for kInvalidArgument, kUnsupported and kNotFound
// (a bad value, a newer database, a missing configuration or password
// file), kExitFailure otherwise.
int exitStatusFor(const Error& error);

// Command-line values that replace the configuration file's.
struct ConfigOverrides {
  std::optional<int> port;
  std::optional<std::string> database;
  std::optional<std::string> data_dir;
  std::optional<std::string> listen_address;
  bool allow_plain_http = false;  // only switches plain HTTP on, never off
};

// Loads the configuration file at `path`, applies `overrides`, and
// validates the result. Fails as loadServerConfig() and
// ServerConfig::validate() do; an override's error names the flag.
Result<ServerConfig> loadConfig(const std::string& path, const ConfigOverrides& overrides);

class ServerApp {
 public:
  // `clock` must outlive the app.
  ServerApp(ServerConfig config, Clock& clock);
  // Stops the app when it is running.
  ~ServerApp();
  ServerApp(const ServerApp&) = delete;
  ServerApp& operator=(const ServerApp&) = delete;

  // Creates the data folder when missing (mode 0700), opens and migrates the
  // database, loads the TLS pair or generates it on first start, builds the
  // Router and starts serving. Writes to `out` the TLS public key pin
  // ("TLS public key pin: sha256:...") on every start and the certificate's
  // path when it was generated. Fails with kUnsupported when the database is
  // newer than this build, kInvalidArgument for an unusable connection
  // string, kMalformedInput for an unusable TLS pair, and kIoError when the
  // folder, database, TLS files or port fail. Call once.
  Result<void> start(std::ostream& out);

  // Stops the listener, letting requests in progress finish. Harmless when
  // not running.
  void stop();

  // Makes the scheduled jobs re-check their due times, as after the clock
  // moved. Harmless before start().
  void wakeScheduledJobs();

  // Returns the bound port, 0 before start() succeeds.
  int port() const { return listener_ ? listener_->port() : 0; }
  // The TLS identity in use; nullopt with plain HTTP or before start().
  const std::optional<TlsIdentity>& tls() const { return tls_; }
  // The Router with every route; valid after start() succeeds.
  const Router& router() const { return *router_; }
  const ServerConfig& config() const { return config_; }

 private:
  Result<void> openDatabase();
  Result<void> prepareTls(std::ostream& out);
  void buildRouter();

  ServerConfig config_;
  Clock& clock_;
  Metrics metrics_;
  std::unique_ptr<store::Database> database_;
  std::unique_ptr<ServerContext> context_;
  std::optional<TlsIdentity> tls_;
  std::unique_ptr<Domain> domain_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpListener> listener_;
};

// `patchkeeper-server init`: opens and migrates the configured database and
// creates the first admin `username` with the password read from
// `password_file` (see initFirstAdmin and readPasswordFile). Fails as they
// do, and as ServerApp::start() does for the database.
Result<void> runInit(const ServerConfig& config, const std::string& username,
                     const std::string& password_file, const Clock& clock);

}  // namespace pk::server
