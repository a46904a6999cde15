// Feeds arbitrary bodies into the hosts routes through Router::dispatch(),
// without sockets, against a real in-memory SQLite database and the real
// authenticator. The first byte of the input picks the request:
//   0  POST /api/v1/hosts/{own id}/reports     with the host's own token
//   1  POST /api/v1/hosts/{other id}/reports   with the same token
//   2  POST /api/v1/enrol
//   3  PATCH /api/v1/hosts/{own id}            with an admin token
//   4  POST /api/v1/enrolment-secrets          with an admin token
// and the rest is the body. Whatever the body, every response must be JSON
// with a 2xx or 4xx status, because a 500 means a handler or the store failed
// on input it should have rejected. A report for another host must get 403,
// and an accepted report's response must parse. A violated property traps,
// so libFuzzer records the input.
//
// The seeds use the fixed enrolment secret kSecret below, so that the
// fuzzer starts from bodies that reach the enrolment logic.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "protocol/messages.h"
#include "server/context.h"
#include "server/credentials.h"
#include "server/enrolment.h"
#include "server/host_routes.h"
#include "server/http.h"
#include "server/metrics.h"
#include "store/database.h"
#include "store/enrolment_repository.h"
#include "store/host_repository.h"
#include "store/migrations.h"
#include "store/user_repository.h"

namespace {

constexpr std::string_view kOwnHost = "h-00000000000000a1";
constexpr std::string_view kOtherHost = "h-00000000000000b2";
constexpr std::string_view kSecret =
    "5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5ec5";

void require(bool property) {
  if (!property) __builtin_trap();
}

template <typename T>
T unwrap(pk::Result<T> result) {
  require(result.has_value());
  return std::move(*result);
}

void unwrap(pk::Result<void> result) {
  require(result.has_value());
}

// The server core every input runs against; built once per process.
struct Server {
  pk::FakeClock clock{
      pk::SystemTime(std::chrono::sys_days(std::chrono::year(2026) / std::chrono::December / 1))};
  pk::server::Metrics metrics;
  std::unique_ptr<pk::store::Database> database;
  std::unique_ptr<pk::server::ServerContext> context;
  std::unique_ptr<pk::server::Router> router;
  std::string host_token;
  std::string admin_token;

  Server() {
    spdlog::set_level(spdlog::level::off);
    database = unwrap(pk::store::openDatabase("sqlite::memory:"));
    unwrap(pk::store::migrate(*database, clock));
    context = std::make_unique<pk::server::ServerContext>(
        pk::server::ServerContext{*database, clock, metrics});
    router = std::make_unique<pk::server::Router>(pk::server::makeAuthenticator(*context));
    pk::server::addHostRoutes(*router, *context, pk::server::HostRouteOptions{});

    unwrap(database->write([&](pk::store::Session& session) -> pk::Result<void> {
      for (const auto id : {kOwnHost, kOtherHost}) {
        pk::store::HostRecord host;
        host.id = std::string(id);
        host.hostname = host.id;
        host.machine_id = "machine-" + host.id;
        host.kind = "server";
        host.enrolled_at = clock.now();
        unwrap(pk::store::insertHost(session, host));
      }
      host_token = unwrap(pk::server::issueHostToken(session, std::string(kOwnHost), clock.now()));

      pk::store::UserRecord admin;
      admin.username = "admin";
      admin.password_hash = "unused";
      admin.roles = {"admin"};
      const auto admin_id = unwrap(pk::store::insertUser(session, admin));
      admin_token =
          unwrap(pk::server::issueApiToken(session, admin_id, "fuzz", clock.now(), std::nullopt))
              .token;

      pk::store::EnrolmentSecretRecord secret;
      secret.secret_hash = pk::server::hashEnrolmentSecret(kSecret);
      secret.name = "fuzz";
      secret.kind = "endpoint";
      secret.created_by = "admin";
      secret.created_at = clock.now();
      secret.expires_at = clock.now() + std::chrono::hours(24 * 365);
      unwrap(pk::store::insertEnrolmentSecret(session, secret));
      return {};
    }));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Server server;
  if (size == 0) return 0;

  pk::server::Request request;
  request.remote_address = "127.0.0.1";
  request.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  const int route = data[0] % 5;
  switch (route) {
    case 0:
    case 1:
      request.method = "POST";
      request.path =
          "/api/v1/hosts/" + std::string(route == 0 ? kOwnHost : kOtherHost) + "/reports";
      request.headers["authorization"] = "Bearer " + server.host_token;
      break;
    case 2:
      request.method = "POST";
      request.path = "/api/v1/enrol";
      break;
    case 3:
      request.method = "PATCH";
      request.path = "/api/v1/hosts/" + std::string(kOwnHost);
      request.headers["authorization"] = "Bearer " + server.admin_token;
      break;
    default:
      request.method = "POST";
      request.path = "/api/v1/enrolment-secrets";
      request.headers["authorization"] = "Bearer " + server.admin_token;
      break;
  }

  const pk::server::Response response = server.router->dispatch(request);
  require(response.status >= 200 && response.status < 500);
  require(nlohmann::json::accept(response.body));
  if (route == 1) require(response.status == 403);
  if (route == 0 && response.status == 200) {
    require(pk::protocol::parseReportResponse(response.body).has_value());
  }

  // Later inputs see time pass, so expiries and ages vary.
  server.clock.advance(std::chrono::seconds(1));
  return 0;
}
