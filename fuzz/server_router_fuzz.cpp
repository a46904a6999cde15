// Fuzzes the server's Router, parseJsonBody and the access log line with
// arbitrary requests, without sockets. The input is a request in a simple
// text form:
//   line 1: method          line 2: path
//   then "name: value" header lines up to an empty line, then the body.
// Checked properties: no crash; every response is one of the statuses the
// Router and the routes below produce, with a JSON body, and every error has
// the {"error": {"code", "message"}} shape; a 405 carries an Allow header; a
// handler runs only with the principal its route needs; parseJsonBody
// returns an object or a 400 with code invalid_json or not_an_object; an
// access log line is one line of valid JSON.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/http.h"
#include "server/http_listener.h"

namespace {

using pk::server::errorResponse;
using pk::server::jsonResponse;
using pk::server::Permission;
using pk::server::Principal;
using pk::server::Request;
using pk::server::Response;
using pk::server::Router;

void require(bool condition) {
  if (!condition) std::abort();
}

// "Bearer viewer" is a viewer, "Bearer host" a host, "Bearer throw" makes
// the authenticator fail, anything else is rejected.
std::variant<Principal, Response> authenticate(const Request& request) {
  const auto authorization = request.header("authorization");
  if (authorization == "Bearer viewer") {
    Principal viewer;
    viewer.username = "vera";
    viewer.roles = {pk::server::Role::kViewer};
    return viewer;
  }
  if (authorization == "Bearer host") {
    Principal host;
    host.kind = Principal::Kind::kHost;
    host.host_id = "h-0123456789abcdef";
    return host;
  }
  if (authorization == "Bearer throw") throw std::runtime_error("authenticator failed");
  return errorResponse(401, "unauthenticated", "Send a valid bearer token.");
}

// A handler that checks it runs with a principal exactly when its route
// needs one.
pk::server::Handler echo(bool needs_principal) {
  return [needs_principal](Request& request) {
    require(request.principal.has_value() == needs_principal);
    require(!request.route.empty());
    return jsonResponse(200, {{"params", request.path_params}});
  };
}

const Router& router() {
  static const Router instance = [] {
    Router built(authenticate);
    built.add("GET", "/healthz", Permission::kPublic, echo(false));
    built.add("GET", "/api/v1/hosts/(h-[0-9a-f]{16})", Permission::kReadHosts, echo(true));
    built.add("PATCH", "/api/v1/hosts/(h-[0-9a-f]{16})", Permission::kManageHosts, echo(true));
    built.add("POST", "/api/v1/hosts/(h-[0-9a-f]{16})/reports", Permission::kAgent, echo(true));
    built.add("DELETE", "/api/v1/tokens/([0-9]{1,18})", Permission::kManageOwnTokens, echo(true));
    built.add("GET", "/files/(.*)", Permission::kPublic, echo(false));
    built.add("POST", "/api/v1/things", Permission::kPublic, [](Request& request) {
      auto body = pk::server::parseJsonBody(request);
      if (auto* error = std::get_if<Response>(&body)) return *error;
      return jsonResponse(201, std::get<nlohmann::json>(body));
    });
    built.add("GET", "/boom", Permission::kPublic,
              [](Request&) -> Response { throw std::runtime_error("handler failed"); });
    return built;
  }();
  return instance;
}

Request parseInput(std::string_view text) {
  Request request;
  const auto nextLine = [&text]() {
    const auto end = text.find('\n');
    const auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    return std::string(line);
  };
  request.method = nextLine();
  request.path = nextLine();
  while (!text.empty()) {
    const auto line = nextLine();
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.erase(0, 1);
    request.headers.emplace(std::move(name), std::move(value));
  }
  request.body = std::string(text);
  request.remote_address = "127.0.0.1";
  return request;
}

void checkResponse(const Response& response) {
  static const std::set<int> kStatuses = {200, 201, 400, 401, 403, 404, 405, 414, 500};
  require(kStatuses.contains(response.status));
  require(nlohmann::json::accept(response.body));
  if (response.status < 400) return;

  const auto body = nlohmann::json::parse(response.body);
  require(body.is_object() && body.contains("error"));
  require(body["error"]["code"].is_string() && body["error"]["message"].is_string());
  if (response.status == 405) {
    bool has_allow = false;
    for (const auto& [name, value] : response.headers) has_allow |= name == "Allow";
    require(has_allow);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Request request = parseInput(text);

  const Response response = router().dispatch(request);
  checkResponse(response);
  if (response.status == 401 || response.status == 403) require(!request.principal);

  const auto parsed = pk::server::parseJsonBody(request);
  if (const auto* document = std::get_if<nlohmann::json>(&parsed)) {
    require(document->is_object());
  } else {
    const auto& error = std::get<Response>(parsed);
    require(error.status == 400);
    const auto code = nlohmann::json::parse(error.body)["error"]["code"];
    require(code == "invalid_json" || code == "not_an_object");
  }

  pk::server::AccessLogEntry entry;
  entry.method = request.method;
  entry.path = request.path;
  entry.user_agent = request.header("user-agent");
  entry.query_keys = {request.body.substr(0, 16)};
  entry.status = response.status;
  const auto line = pk::server::formatAccessLogLine(entry);
  require(line.find('\n') == std::string::npos);
  require(nlohmann::json::accept(line));
  return 0;
}
