#pragma once

// The server's view of HTTP, independent of the library that serves it, so
// that request handlers are tested and fuzzed without sockets. The
// cpp-httplib adapter (http_listener.h) turns each wire request into a
// Request and writes back the Response.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/principal.h"

namespace pk::server {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string, "/api/v1/hosts/h-12"
  std::multimap<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string remote_address;
  // Filled by the Router: the capture groups of the matched route pattern.
  std::vector<std::string> path_params;
  // Filled by the Router: the matched route's pattern, "" when no route
  // matched. Metrics and logs label requests with it, not the raw path.
  std::string route;
  // Filled by the Router before the handler runs: who is calling. Empty only
  // for routes with Permission::kPublic.
  std::optional<Principal> principal;

  // The header's value, or "" when absent. `name` is matched in any case.
  std::string header(std::string_view name) const;
  // The first value of a query parameter, or nullopt.
  std::optional<std::string> queryValue(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A JSON response.
Response jsonResponse(int status, const nlohmann::json& body);

// An error response, the one shape every failure takes:
//   {"error": {"code": "invalid_json", "message": "..."}}
// `code` is a stable snake_case word for programs, `message` a sentence for
// people saying what was wrong and what to do.
Response errorResponse(int status, std::string_view code, std::string_view message);

// The 500 response to send when the store or another part failed; the
// cause goes to the log, never to the caller.
Response serverErrorResponse();

// Parses a request body as a JSON object. On failure returns the 400
// response to send: code "invalid_json" with the parser's message and byte
// position (also for nesting deeper than 64 levels), or "not_an_object".
std::variant<nlohmann::json, Response> parseJsonBody(const Request& request);

using Handler = std::function<Response(Request&)>;

// Decides who is calling. Returns the principal, or the 401 response to
// send (missing, unknown, expired or revoked credential).
using Authenticate = std::function<std::variant<Principal, Response>(const Request&)>;

// Routes requests by method and path, and enforces permissions in one
// place: a route names the permission it needs; the Router authenticates
// the caller and answers 403 when the principal's roles lack it.
class Router {
 public:
  explicit Router(Authenticate authenticate);

  // `pattern` is an ECMAScript regular expression matched against the
  // whole path; its capture groups become Request::path_params. The first
  // route added that matches wins. Throws std::regex_error for an invalid
  // pattern, a programming error found at start-up.
  void add(std::string method, std::string pattern, Permission permission, Handler handler);

  // Dispatches `request`: 404 for no matching path, 405 with an Allow
  // header when the path matches under another method, 401/403 as above,
  // 414 for a path longer than 2048 bytes. GET routes also serve HEAD. A
  // handler (or the Authenticate function) that throws gets a 500
  // response without the exception's text, which is logged. Thread-safe
  // once every route is added.
  Response dispatch(Request& request) const;

  // Routes as (method, pattern) in the order added, for docs and tests.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::regex regex;
    Permission permission;
    Handler handler;
  };
  Authenticate authenticate_;
  std::vector<Route> routes_;
};

}  // namespace pk::server
