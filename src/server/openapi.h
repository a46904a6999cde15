#pragma once

// The OpenAPI 3.0 description of API v1, served at /api/v1/openapi.json.
// It is written by hand beside the routes. The app's test checks that every
// route registered with the Router appears in it, so a new route without
// documentation fails the tests.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace pk::server {

// Returns the document: every route of API v1 with its method, parameters,
// request and response schemas in brief, the bearer security scheme, and
// the shared error shape. Each operation names the permission it needs in
// the extension field "x-permission". `server_version` fills info.version.
nlohmann::ordered_json openApiDocument(std::string_view server_version);

// Returns the path of a Router pattern in a form comparable across the
// Router and OpenAPI: each top-level capture group becomes "{}" and escaped
// characters lose their backslash, so "/api/v1/hosts/(h-[0-9a-f]{16})" and
// "/api/v1/openapi\\.json" become "/api/v1/hosts/{}" and
// "/api/v1/openapi.json".
std::string comparablePathFromPattern(std::string_view pattern);

// Returns an OpenAPI path with each "{name}" replaced by "{}".
std::string comparablePathFromTemplate(std::string_view path_template);

// Returns the (method, pattern) pairs of `routes` (as Router::routes()
// lists them) that `document` does not describe: no path with the same
// comparable form, or no operation for the method there.
std::vector<std::pair<std::string, std::string>> routesMissingFromOpenApi(
    const nlohmann::ordered_json& document,
    const std::vector<std::pair<std::string, std::string>>& routes);

}  // namespace pk::server
