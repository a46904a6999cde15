#include "server/system_routes.h"

#include <atomic>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/migrations.h"

namespace pk::server {
namespace {

// Returns "" when the database is ready, else the reason for the 503.
std::string findNotReadyReason(store::Database& database) {
  const auto answered = database.read([](store::Session& session) -> Result<void> {
    auto row = session.queryOne("SELECT 1");
    if (!row) return tl::unexpected(row.error());
    return {};
  });
  if (!answered) {
    // The backend's message may name files or hosts, so it goes to the log
    // and the public response names only the failed step.
    spdlog::warn("readiness check: the database query failed: {}", answered.error().message);
    return "The database query failed.";
  }

  const auto version = store::currentSchemaVersion(database);
  if (!version) {
    spdlog::warn("readiness check: cannot read the schema version: {}", version.error().message);
    return "The database schema version cannot be read.";
  }
  const auto latest = store::latestSchemaVersion();
  if (*version < latest) {
    return fmt::format(
        "The database schema is at version {}, older than version {} that this "
        "server needs. Restart the server to migrate it.",
        *version, latest);
  }
  if (*version > latest) {
    return fmt::format(
        "The database schema is at version {}, newer than version {} that this "
        "server knows. Upgrade patchkeeper-server.",
        *version, latest);
  }
  return "";
}

}  // namespace

void addSystemRoutes(Router& router, ServerContext& context, const SystemRouteOptions& options) {
  router.add("GET", "/healthz", Permission::kPublic, [](Request&) {
    return jsonResponse(200, {{"status", "ok"}});
  });

  // Load balancers poll this every few seconds; a change of state is logged
  // once rather than on every poll.
  auto was_ready = std::make_shared<std::atomic<bool>>(true);
  router.add("GET", "/readyz", Permission::kPublic, [&context, was_ready](Request&) {
    const auto reason = findNotReadyReason(context.database);
    const bool ready = reason.empty();
    if (was_ready->exchange(ready) != ready) {
      if (ready) {
        spdlog::info("readiness check: ready again");
      } else {
        spdlog::warn("readiness check: not ready: {}", reason);
      }
    }
    if (!ready) return errorResponse(503, "not_ready", reason);
    return jsonResponse(200, {{"status", "ready"}});
  });

  router.add("GET", "/metrics", Permission::kPublic, [&context](Request&) {
    Response response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = context.metrics.render();
    return response;
  });

  router.add("GET", "/api/v1/openapi\\.json", Permission::kPublic,
             [document = options.openapi_json](Request&) {
               Response response;
               response.body = document;
               return response;
             });
}

}  // namespace pk::server
