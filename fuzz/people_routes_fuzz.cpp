// Sends arbitrary requests through the Router with the people routes and
// the real authenticator, over an in-memory SQLite database that has one
// admin. The input is four lines (method, path, query string as
// "a=b&c=d", Authorization header) followed by the body; an empty header
// line uses the admin's session. Properties: no request gets a 500 response;
// every body is JSON (JSON lines for the audit export, empty for 204);
// every error has a code and a message; no response contains the admin's
// password hash. A violated property traps, so libFuzzer records the input.
//
// Logins, the admin's logout and bodies naming "password" are skipped: each would cost an
// Argon2id hash (about 0.1 s) and slow the fuzzer a thousandfold, while the
// JSON handling they share with the other routes is still reached.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "server/credentials.h"
#include "server/passwords.h"
#include "server/people_routes.h"
#include "store/migrations.h"
#include "store/user_repository.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

struct Fixture {
  pk::FakeClock clock{pk::SystemTime(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1))};
  pk::server::Metrics metrics;
  std::unique_ptr<pk::store::Database> database;
  std::optional<pk::server::ServerContext> context;
  std::optional<pk::server::Router> router;
  std::string admin_token;
  std::string admin_password_hash;
};

Fixture& fixture() {
  static Fixture* state = [] {
    auto* made = new Fixture();
    spdlog::set_level(spdlog::level::off);
    auto database = pk::store::openDatabase("sqlite::memory:");
    require(database.has_value());
    made->database = std::move(*database);
    require(pk::store::migrate(*made->database, made->clock).has_value());

    auto hash = pk::server::hashPassword("correct horse battery staple", "root");
    require(hash.has_value());
    made->admin_password_hash = *hash;
    auto written = made->database->write([&](pk::store::Session& session) -> pk::Result<void> {
      pk::store::UserRecord admin;
      admin.username = "root";
      admin.password_hash = *hash;
      admin.roles = {"admin"};
      admin.created_at = made->clock.now();
      admin.updated_at = made->clock.now();
      auto id = pk::store::insertUser(session, admin);
      if (!id) return tl::unexpected(id.error());
      auto issued =
          pk::server::issueSession(session, *id, made->clock.now(), std::chrono::hours(12));
      if (!issued) return tl::unexpected(issued.error());
      made->admin_token = issued->token;
      return {};
    });
    require(written.has_value());

    made->context.emplace(pk::server::ServerContext{*made->database, made->clock, made->metrics});
    made->router.emplace(pk::server::makeAuthenticator(*made->context));
    pk::server::addPeopleRoutes(*made->router, *made->context, pk::server::PeopleOptions{});
    return made;
  }();
  return *state;
}

// Splits off the text before the next '\n' of `rest`.
std::string_view nextLine(std::string_view& rest) {
  const auto end = rest.find('\n');
  const std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return line;
}

void addQuery(pk::server::Request& request, std::string_view query) {
  while (!query.empty()) {
    const auto end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    const auto equals = pair.find('=');
    request.query.emplace(
        std::string(pair.substr(0, equals)),
        equals == std::string_view::npos ? "" : std::string(pair.substr(equals + 1)));
  }
}

void checkJson(std::string_view text) {
  require(nlohmann::json::accept(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  Fixture& state = fixture();

  pk::server::Request request;
  request.method = std::string(nextLine(rest));
  request.path = std::string(nextLine(rest));
  addQuery(request, nextLine(rest));
  const std::string_view authorization = nextLine(rest);
  request.body = std::string(rest);
  request.remote_address = "192.0.2.1";
  request.headers["authorization"] =
      authorization.empty() ? "Bearer " + state.admin_token : std::string(authorization);

  if (request.path.starts_with("/api/v1/sessions") && request.method == "POST") return 0;
  // Logging out would end the admin's session for every later input.
  if (request.path.starts_with("/api/v1/sessions") && authorization.empty()) return 0;
  if (request.body.find("password") != std::string::npos) return 0;

  const pk::server::Response response = state.router->dispatch(request);
  require(response.status != 500);
  // Inputs may echo "$argon2" back in error messages; the stored hash itself
  // must never appear.
  require(response.body.find(state.admin_password_hash) == std::string::npos);

  if (response.status == 204) {
    require(response.body.empty());
  } else if (response.content_type == "application/x-ndjson") {
    std::string_view lines = response.body;
    while (!lines.empty()) checkJson(nextLine(lines));
  } else {
    checkJson(response.body);
    if (response.status >= 400) {
      const auto body = nlohmann::json::parse(response.body);
      require(body.contains("error"));
      require(body["error"].contains("code") && body["error"]["code"].is_string());
      require(body["error"].contains("message") && body["error"]["message"].is_string());
    }
  }
  return 0;
}
