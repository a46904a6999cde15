#pragma once

// The web console: its static files (HTML, CSS and ES modules from a
// folder, see docs/WEB.md) and the cookie sessions a browser uses.
//
// A browser logs in with POST /api/v1/web/login. The response sets two
// cookies: `pk_session`, the session token (HttpOnly, SameSite=Strict, and
// Secure when the server speaks TLS), and `pk_csrf`, a token derived from
// the session token that the page reads and sends back in the
// `X-CSRF-Token` header. A request that carries the session cookie without
// a matching header is rejected before any handler runs, so the cookie alone
// never authenticates anything. Bearer tokens work as before; a request
// with an Authorization header is judged by it alone.
//
//   POST /api/v1/web/login    public; {"username","password"} as for
//                             POST /api/v1/sessions. 201 {"expires_at",
//                             "csrf_token"} with the two cookies; the
//                             session token itself is never in the body.
//                             Needs the header "X-Requested-With:
//                             patchkeeper", which a cross-site form cannot
//                             send.
//   POST /api/v1/web/logout   ends the cookie's session and clears both
//                             cookies (204).
//   GET  /, GET /<file>       the console's files, with strict security
//                             headers; 404 for folders, hidden names,
//                             ".." and anything outside the folder.

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "server/http.h"

namespace pk::server {

// The route pattern of the console's static files: every GET path outside
// /api/ and /calendar/. It is not part of the API, so OpenAPI leaves it out.
inline constexpr std::string_view kWebConsolePattern =
    "/|/((?!api/|calendar/)[A-Za-z0-9._/-]{1,512})";

struct WebConsoleOptions {
  // The folder with index.html and the console's modules. Empty: the
  // static routes return 404 with a sentence naming the web_dir setting.
  std::filesystem::path web_dir;
  // Add "Secure" to the cookies; true when the server speaks TLS.
  bool secure_cookies = true;
  // The cookies' Max-Age, the session lifetime.
  std::chrono::seconds session_ttl{12 * 3600};
};

// The name of the session cookie and of the readable CSRF cookie.
inline constexpr std::string_view kSessionCookie = "pk_session";
inline constexpr std::string_view kCsrfCookie = "pk_csrf";
// The header that must carry the CSRF token on cookie-authenticated requests.
inline constexpr std::string_view kCsrfHeader = "x-csrf-token";

// Returns the CSRF token that belongs to `session_token`: 64 hex digits of
// a BLAKE2b-256 hash, which cannot be computed without the session token.
// Stateless, so every server node agrees on it.
std::string csrfTokenFor(std::string_view session_token);

// Returns the value of cookie `name` in the request's Cookie header, or "".
std::string cookieValue(const Request& request, std::string_view name);

// Wraps `bearer`, the bearer-token authenticator. A request with an
// Authorization header goes to `bearer` unchanged. A request with only a
// `pk_session` cookie gets 403 `csrf_token_missing` without an
// X-CSRF-Token header and 403 `csrf_token_invalid` when the header does not
// match; otherwise its cookie is checked as a bearer session token.
Authenticate withSessionCookies(Authenticate bearer);

// Adds the two web routes and the static file route to `router`. The
// static route matches every GET path outside /api/ and /calendar/, so it
// must be added after every other route. `router` must outlive its routes.
void addWebConsoleRoutes(Router& router, const WebConsoleOptions& options);

// The headers every console file carries: a Content-Security-Policy that
// allows only the server's own scripts and styles (no inline script), no
// framing, no MIME sniffing and no referrer.
void addSecurityHeaders(Response& response);

}  // namespace pk::server
