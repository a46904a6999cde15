// g++ 12 with -O1 and the sanitizers (the ci preset) reports a false
// -Wmaybe-uninitialized inside libstdc++'s regex compiler, which Router::add
// instantiates. It must be silenced before <regex> is included.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include "server/http.h"

#include <algorithm>
#include <exception>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace pk::server {
namespace {

// libstdc++'s std::regex matcher recurses once per input character, so a
// very long path could exhaust a worker thread's stack. Real routes are far
// shorter than this.
constexpr std::size_t kMaxPathLength = 2048;

// Deeper documents are rejected before parsing: no request of the API nests
// anywhere near this, and handlers that walk or dump a document recurse.
constexpr int kMaxJsonDepth = 64;

// The parse error's text without nlohmann's "[json.exception...] " prefix,
// cut so that a huge last-read token does not end up in the response.
std::string describeParseError(const nlohmann::json::exception& error) {
  std::string_view text = error.what();
  if (const auto end = text.find("] "); end != std::string_view::npos) text.remove_prefix(end + 2);
  constexpr std::size_t kMaxLength = 200;
  std::string description(text.substr(0, kMaxLength));
  if (text.size() > kMaxLength) description += "...";
  return description;
}

// Returns whether brackets outside strings nest deeper than `max_depth`.
// The scan stays simple on malformed text; the parser rejects that anyway.
bool nestsDeeperThan(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

std::string lowerCase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// GET routes serve HEAD too; the listener drops the body.
bool methodMatches(std::string_view route_method, std::string_view request_method) {
  return route_method == request_method || (route_method == "GET" && request_method == "HEAD");
}

}  // namespace

std::string Request::header(std::string_view name) const {
  const auto found = headers.find(lowerCase(name));
  return found == headers.end() ? std::string() : found->second;
}

std::optional<std::string> Request::queryValue(std::string_view name) const {
  const auto found = query.find(std::string(name));
  if (found == query.end()) return std::nullopt;
  return found->second;
}

Response jsonResponse(int status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  // Strings from clients and hosts may hold invalid UTF-8; replacing it
  // keeps one bad byte from turning a response into an exception.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response errorResponse(int status, std::string_view code, std::string_view message) {
  return jsonResponse(status, {{"error", {{"code", code}, {"message", message}}}});
}

Response serverErrorResponse() {
  return errorResponse(500, "internal_error",
                       "The server failed to handle the request. The error has been logged; try "
                       "again, and tell the administrator if it persists.");
}

std::variant<nlohmann::json, Response> parseJsonBody(const Request& request) {
  if (nestsDeeperThan(request.body, kMaxJsonDepth)) {
    return errorResponse(400, "invalid_json",
                         fmt::format("The request body nests arrays or objects deeper than {} "
                                     "levels. Send a flatter JSON object.",
                                     kMaxJsonDepth));
  }

  nlohmann::json document;
  try {
    document = nlohmann::json::parse(request.body);
  } catch (const nlohmann::json::parse_error& error) {
    return errorResponse(400, "invalid_json",
                         fmt::format("The request body is not valid JSON: {} (byte {}).",
                                     describeParseError(error), error.byte));
  } catch (const nlohmann::json::out_of_range& error) {
    // A number too large for a double ("1e999") is reported this way.
    return errorResponse(
        400, "invalid_json",
        fmt::format("The request body is not valid JSON: {}.", describeParseError(error)));
  }

  if (!document.is_object()) {
    return errorResponse(400, "not_an_object",
                         fmt::format("The request body must be a JSON object, not {} {}.",
                                     document.is_array() ? "an" : "a", document.type_name()));
  }
  return document;
}

Router::Router(Authenticate authenticate) : authenticate_(std::move(authenticate)) {}

void Router::add(std::string method, std::string pattern, Permission permission, Handler handler) {
  std::regex regex(pattern, std::regex::ECMAScript);
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(regex), permission,
                          std::move(handler)});
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> list;
  list.reserve(routes_.size());
  for (const auto& route : routes_) list.emplace_back(route.method, route.pattern);
  return list;
}

Response Router::dispatch(Request& request) const {
  if (request.path.size() > kMaxPathLength) {
    return errorResponse(414, "uri_too_long",
                         fmt::format("The request path is longer than {} bytes.", kMaxPathLength));
  }

  // The first route whose pattern and method match wins; routes that match
  // the path under another method make up the Allow header of a 405.
  const Route* matched = nullptr;
  std::smatch captures;
  std::set<std::string> allowed;
  for (const auto& route : routes_) {
    std::smatch route_captures;
    if (!std::regex_match(request.path, route_captures, route.regex)) continue;
    if (methodMatches(route.method, request.method)) {
      matched = &route;
      captures = std::move(route_captures);
      break;
    }
    allowed.insert(route.method);
    if (route.method == "GET") allowed.insert("HEAD");
  }

  if (matched == nullptr && allowed.empty()) {
    return errorResponse(404, "not_found", fmt::format("No resource at {}.", request.path));
  }
  if (matched == nullptr) {
    const std::string allow = fmt::format("{}", fmt::join(allowed, ", "));
    auto response = errorResponse(
        405, "method_not_allowed",
        fmt::format("{} is not allowed on {}. Allowed: {}.", request.method, request.path, allow));
    response.headers.emplace_back("Allow", allow);
    return response;
  }

  request.route = matched->pattern;
  request.path_params.clear();
  for (std::size_t group = 1; group < captures.size(); ++group) {
    request.path_params.push_back(captures[group].str());
  }

  try {
    request.principal.reset();
    if (matched->permission != Permission::kPublic) {
      auto decision = authenticate_(request);
      if (auto* rejection = std::get_if<Response>(&decision)) return std::move(*rejection);
      auto& principal = std::get<Principal>(decision);
      if (!principal.has(matched->permission)) {
        return errorResponse(
            403, "forbidden",
            fmt::format("This request needs the {} permission, which your credential does not "
                        "grant.",
                        permissionName(matched->permission)));
      }
      request.principal = std::move(principal);
    }
    return matched->handler(request);
  } catch (const std::exception& error) {
    spdlog::error("{} {} (route {}) failed: {}", request.method, request.path, matched->pattern,
                  error.what());
  } catch (...) {
    spdlog::error("{} {} (route {}) failed with a non-standard exception", request.method,
                  request.path, matched->pattern);
  }
  return errorResponse(500, "internal_error",
                       "The server failed to handle the request. The error has been logged; try "
                       "again, and tell the administrator if it persists.");
}

}  // namespace pk::server
