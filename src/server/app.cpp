#include "server/app.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <ostream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/credentials.h"
#include "server/init_admin.h"
#include "server/openapi.h"
#include "server/system_routes.h"
#include "server/web_console.h"
#include "store/migrations.h"

namespace pk::server {
namespace {

// A certificate this close to its expiry gets a warning at every start.
constexpr auto kExpiryWarning = std::chrono::days(30);

std::string localHostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

Result<void> createDataDirectory(const std::string& path) {
  std::error_code error;
  if (std::filesystem::exists(path, error)) return {};
  std::filesystem::create_directories(path, error);
  if (error) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot create the data folder {}: {}. Create it, owned by the "
                            "user the server runs as, or set data_dir.",
                            path, error.message()));
  }
  // The folder contains the database and the TLS private key.
  std::filesystem::permissions(path, std::filesystem::perms::owner_all, error);
  return {};
}

Result<std::unique_ptr<store::Database>> openAndMigrate(const ServerConfig& config,
                                                        const Clock& clock) {
  auto created = createDataDirectory(config.data_dir);
  if (!created) return tl::unexpected(created.error());

  auto database = store::openDatabase(config.databaseUrl());
  if (!database) return tl::unexpected(database.error());

  const auto before = store::currentSchemaVersion(**database);
  auto migrated = store::migrate(**database, clock);
  if (!migrated) return tl::unexpected(migrated.error());
  if (before && *before < store::latestSchemaVersion()) {
    spdlog::info("Migrated the database schema from version {} to {}", *before,
                 store::latestSchemaVersion());
  }
  return std::move(*database);
}

}  // namespace

int exitStatusFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kUnsupported:
    case ErrorCode::kNotFound:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

Result<ServerConfig> loadConfig(const std::string& path, const ConfigOverrides& overrides) {
  auto config = loadServerConfig(path);
  if (!config) return config;

  if (overrides.port) config->port = *overrides.port;
  if (overrides.database) config->database = *overrides.database;
  if (overrides.data_dir) config->data_dir = *overrides.data_dir;
  if (overrides.listen_address) config->listen_address = *overrides.listen_address;
  if (overrides.allow_plain_http) config->allow_plain_http = true;

  // The file itself was valid, so a failure here comes from a flag.
  if (auto valid = config->validate(); !valid) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("Invalid command-line value: {}", valid.error().message));
  }
  return config;
}

ServerApp::ServerApp(ServerConfig config, Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

ServerApp::~ServerApp() {
  stop();
}

Result<void> ServerApp::openDatabase() {
  auto database = openAndMigrate(config_, clock_);
  if (!database) return tl::unexpected(database.error());
  database_ = std::move(*database);
  context_ = std::make_unique<ServerContext>(ServerContext{*database_, clock_, metrics_});
  return {};
}

Result<void> ServerApp::prepareTls(std::ostream& out) {
  if (config_.allow_plain_http) {
    spdlog::warn(
        "Serving plain HTTP (allow_plain_http): credentials cross the network "
        "unencrypted. Use this only on loopback for tests.");
    return {};
  }

  auto identity =
      loadOrGenerateTlsIdentity(config_.tlsCertificatePath(), config_.tlsPrivateKeyPath(),
                                config_.generatesTls(), localHostname(), clock_.now());
  if (!identity) return tl::unexpected(identity.error());

  if (identity->generated) {
    out << "Generated a self-signed TLS certificate: " << identity->certificate_path << "\n";
  }
  out << "TLS public key pin: " << identity->pin << "\n";
  out.flush();
  if (config_.generatesTls() && config_.usesPostgresql()) {
    spdlog::warn(
        "This node uses a TLS key generated under its own data folder. Nodes that share a "
        "PostgreSQL database must share one configured tls_certificate and tls_private_key, "
        "or agents pinned to one node's key will refuse the others.");
  }

  const auto now = clock_.now();
  if (identity->not_after <= now) {
    spdlog::warn(
        "The TLS certificate {} expired at {}; clients that check expiry will refuse "
        "it. Replace it (or delete a generated pair to generate a new one).",
        identity->certificate_path, formatRfc3339(identity->not_after));
  } else if (identity->not_after - now < kExpiryWarning) {
    spdlog::warn("The TLS certificate {} expires at {}. Replace it before then.",
                 identity->certificate_path, formatRfc3339(identity->not_after));
  }
  tls_ = std::move(*identity);
  return {};
}

void ServerApp::buildRouter() {
  domain_ = std::make_unique<Domain>(*context_, config_);
  // Browsers authenticate with the session cookie and its CSRF header;
  // everything else sends a bearer token.
  router_ = std::make_unique<Router>(withSessionCookies(domain_->authenticator()));

  addSystemRoutes(*router_, *context_, {.openapi_json = openApiDocument(kServerVersion).dump()});
  domain_->addRoutes(*router_);
  // Last: the console's static route matches every other GET path.
  addWebConsoleRoutes(*router_, WebConsoleOptions{
                                    .web_dir = config_.web_dir,
                                    .secure_cookies = !config_.allow_plain_http,
                                    .session_ttl = std::chrono::hours(config_.session_hours),
                                });

  metrics_.describe("patchkeeper_build_info", Metrics::Type::kGauge,
                    "Always 1; the version label names the running build.");
  metrics_.set("patchkeeper_build_info", {{"version", std::string(kServerVersion)}}, 1);
}

Result<void> ServerApp::start(std::ostream& out) {
  if (listener_) return fail(ErrorCode::kInvalidArgument, "The server is already running.");

  if (auto opened = openDatabase(); !opened) return opened;
  if (auto prepared = prepareTls(out); !prepared) return prepared;
  buildRouter();
  if (auto started = domain_->start(); !started) return started;

  auto options = ListenerOptions::fromConfig(config_);
  if (tls_) {
    options.certificate_path = tls_->certificate_path;
    options.private_key_path = tls_->private_key_path;
  }
  listener_ = std::make_unique<HttpListener>(*router_, metrics_, clock_, options);
  if (auto started = listener_->start(); !started) {
    listener_.reset();
    return started;
  }
  spdlog::info("patchkeeper-server {} started; database {}, data folder {}", kServerVersion,
               config_.database.empty() ? "SQLite in the data folder" : "as configured",
               config_.data_dir);
  return {};
}

void ServerApp::wakeScheduledJobs() {
  if (domain_) domain_->wakeJobs();
}

void ServerApp::stop() {
  if (!listener_) return;
  listener_->stop();
  listener_.reset();
  if (domain_) domain_->stop();
  spdlog::info("patchkeeper-server stopped");
}

Result<void> runInit(const ServerConfig& config, const std::string& username,
                     const std::string& password_file, const Clock& clock) {
  auto password = readPasswordFile(password_file);
  if (!password) return tl::unexpected(password.error());

  auto database = openAndMigrate(config, clock);
  if (!database) return tl::unexpected(database.error());

  return initFirstAdmin(**database, username, *password, clock.now());
}

}  // namespace pk::server
