#include "server/web_console.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "server/credentials.h"

namespace pk::server {
namespace {

// Console files are small; a larger one is a mistake in the folder.
constexpr std::uintmax_t kMaxFileBytes = 8 * 1024 * 1024;

// The pattern of the static route: the root, or a path of safe characters
// outside the API and the calendar feeds. Other GET routes are matched
// before it, since the Router takes the first route that matches.

const std::map<std::string, std::string, std::less<>>& contentTypes() {
  static const std::map<std::string, std::string, std::less<>> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  return types;
}

Response notFound(std::string_view path) {
  auto response = errorResponse(404, "not_found", fmt::format("No resource at {}.", path));
  addSecurityHeaders(response);
  return response;
}

// Returns whether each segment of `relative` names a visible file or
// folder: no empty segment, none starting with a dot (so no "." or "..",
// and no hidden files such as .git).
bool safeSegments(std::string_view relative) {
  std::size_t start = 0;
  while (start <= relative.size()) {
    const std::size_t end = std::min(relative.find('/', start), relative.size());
    const std::string_view segment = relative.substr(start, end - start);
    if (segment.empty() || segment.front() == '.') return false;
    start = end + 1;
  }
  return true;
}

Response serveFile(const WebConsoleOptions& options, const Request& request) {
  if (options.web_dir.empty()) {
    auto response = errorResponse(404, "web_console_off",
                                  "The web console is not configured on this server. Set "
                                  "web_dir to the folder of its files.");
    addSecurityHeaders(response);
    return response;
  }
  const std::string relative =
      request.path == "/" ? std::string("index.html") : request.path.substr(1);
  if (!safeSegments(relative)) return notFound(request.path);

  // The canonical path must stay inside the canonical folder, so a
  // symbolic link cannot lead out of it either.
  std::error_code error;
  const auto root = std::filesystem::canonical(options.web_dir, error);
  if (error) return notFound(request.path);
  const auto file = std::filesystem::canonical(root / relative, error);
  if (error) return notFound(request.path);
  const auto inside = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (inside.first != root.end()) return notFound(request.path);
  // Folders are never listed.
  if (!std::filesystem::is_regular_file(file, error)) return notFound(request.path);
  const auto size = std::filesystem::file_size(file, error);
  if (error || size > kMaxFileBytes) return notFound(request.path);

  const auto type = contentTypes().find(file.extension().string());
  if (type == contentTypes().end()) return notFound(request.path);

  std::ifstream stream(file, std::ios::binary);
  std::ostringstream body;
  body << stream.rdbuf();
  if (!stream) return notFound(request.path);

  Response response;
  response.status = 200;
  response.content_type = type->second;
  response.body = std::move(body).str();
  // Files change with each release; the browser asks again each time and
  // gets them from the server's memory-cheap read.
  response.headers.emplace_back("Cache-Control", "no-cache");
  addSecurityHeaders(response);
  return response;
}

std::string cookieAttributes(const WebConsoleOptions& options, std::chrono::seconds max_age,
                             bool http_only) {
  return fmt::format("; Path=/; Max-Age={}; SameSite=Strict{}{}", max_age.count(),
                     http_only ? "; HttpOnly" : "", options.secure_cookies ? "; Secure" : "");
}

void setCookies(Response& response, const WebConsoleOptions& options, std::string_view session,
                std::string_view csrf, std::chrono::seconds max_age) {
  response.headers.emplace_back(
      "Set-Cookie",
      fmt::format("{}={}{}", kSessionCookie, session, cookieAttributes(options, max_age, true)));
  response.headers.emplace_back(
      "Set-Cookie",
      fmt::format("{}={}{}", kCsrfCookie, csrf, cookieAttributes(options, max_age, false)));
}

std::optional<Response> requireWebHeader(const Request& request) {
  if (request.header("x-requested-with") == "patchkeeper") return std::nullopt;
  return errorResponse(403, "web_header_missing",
                       "This request must come from the patchkeeper web console, which sends "
                       "\"X-Requested-With: patchkeeper\".");
}

Response webLogin(const Router& router, const WebConsoleOptions& options, const Request& request) {
  if (auto rejected = requireWebHeader(request)) return *rejected;

  // The API's own login checks the password, throttles and audits.
  Request inner = request;
  inner.path = "/api/v1/sessions";
  Response answer = router.dispatch(inner);
  if (answer.status != 201) return answer;

  const auto body = nlohmann::json::parse(answer.body, nullptr, false);
  if (!body.is_object() || !body.contains("token") || !body["token"].is_string()) {
    spdlog::error("web login: the session response has no token: {}", answer.body.substr(0, 200));
    return serverErrorResponse();
  }
  const std::string token = body["token"].get<std::string>();
  const std::string csrf = csrfTokenFor(token);
  Response response = jsonResponse(
      201, {{"expires_at", body.value("expires_at", nlohmann::json())}, {"csrf_token", csrf}});
  setCookies(response, options, token, csrf, options.session_ttl);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

Response webLogout(const Router& router, const WebConsoleOptions& options, const Request& request) {
  if (auto rejected = requireWebHeader(request)) return *rejected;
  Request inner = request;
  inner.method = "DELETE";
  inner.path = "/api/v1/sessions/current";
  Response answer = router.dispatch(inner);
  if (answer.status != 204) return answer;
  setCookies(answer, options, "", "", std::chrono::seconds(0));
  return answer;
}

}  // namespace

std::string csrfTokenFor(std::string_view session_token) {
  return hashToken(fmt::format("patchkeeper-csrf:{}", session_token));
}

std::string cookieValue(const Request& request, std::string_view name) {
  const std::string header = request.header("cookie");
  std::string_view rest = header;
  while (!rest.empty()) {
    const std::size_t end = std::min(rest.find(';'), rest.size());
    std::string_view pair = rest.substr(0, end);
    rest.remove_prefix(end == rest.size() ? end : end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    if (pair.substr(0, equals) == name) return std::string(pair.substr(equals + 1));
  }
  return "";
}

Authenticate withSessionCookies(Authenticate bearer) {
  return [bearer = std::move(bearer)](const Request& request) -> std::variant<Principal, Response> {
    if (!request.header("authorization").empty()) return bearer(request);
    const std::string session = cookieValue(request, kSessionCookie);
    if (session.empty()) return bearer(request);

    const std::string sent = request.header(kCsrfHeader);
    if (sent.empty()) {
      return errorResponse(403, "csrf_token_missing",
                           "A request authenticated by the session cookie must send the "
                           "X-CSRF-Token header. Reload the console, or log in again.");
    }
    const std::string expected = csrfTokenFor(session);
    if (sent.size() != expected.size() ||
        sodium_memcmp(sent.data(), expected.data(), expected.size()) != 0) {
      return errorResponse(403, "csrf_token_invalid",
                           "The X-CSRF-Token header does not match the session cookie. Reload "
                           "the console, or log in again.");
    }

    Request with_token = request;
    with_token.headers["authorization"] = "Bearer " + session;
    return bearer(with_token);
  };
}

void addSecurityHeaders(Response& response) {
  response.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
      "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
      "frame-ancestors 'none'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

void addWebConsoleRoutes(Router& router, const WebConsoleOptions& options) {
  router.add("POST", "/api/v1/web/login", Permission::kPublic,
             [&router, options](Request& request) { return webLogin(router, options, request); });
  router.add("POST", "/api/v1/web/logout", Permission::kManageOwnTokens,
             [&router, options](Request& request) { return webLogout(router, options, request); });
  router.add("GET", std::string(kWebConsolePattern), Permission::kPublic,
             [options](Request& request) { return serveFile(options, request); });
}

}  // namespace pk::server
