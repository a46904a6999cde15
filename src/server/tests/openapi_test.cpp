#include "server/openapi.h"

#include <set>

#include <gtest/gtest.h>

#include "server/http.h"
#include "server/system_routes.h"

namespace pk::server {
namespace {

std::variant<Principal, Response> rejectAll(const Request&) {
  return errorResponse(401, "unauthenticated", "No credentials in this test.");
}

Response unused(Request&) {
  return jsonResponse(200, nlohmann::json::object());
}

// Every route of API v1, with patterns shaped as the domain route files
// write them.
const std::vector<std::pair<std::string, std::string>> kApiRoutes = {
    {"GET", "/healthz"},
    {"GET", "/readyz"},
    {"GET", "/metrics"},
    {"GET", "/api/v1/openapi\\.json"},
    {"POST", "/api/v1/enrol"},
    {"POST", "/api/v1/hosts/(h-[0-9a-f]{16})/reports"},
    {"POST", "/api/v1/hosts/(h-[0-9a-f]{16})/restart-state"},
    {"GET", "/api/v1/hosts/(h-[0-9a-f]{16})/restart-events"},
    {"GET", "/api/v1/hosts"},
    {"GET", "/api/v1/hosts/(h-[0-9a-f]{16})"},
    {"PATCH", "/api/v1/hosts/(h-[0-9a-f]{16})"},
    {"POST", "/api/v1/hosts/(h-[0-9a-f]{16})/revoke"},
    {"POST", "/api/v1/hosts/(h-[0-9a-f]{16})/approve-reenrolment"},
    {"GET", "/api/v1/enrolment-secrets"},
    {"POST", "/api/v1/enrolment-secrets"},
    {"DELETE", "/api/v1/enrolment-secrets/([0-9]+)"},
    {"GET", "/api/v1/reports/compliance"},
    {"POST", "/api/v1/sessions"},
    {"DELETE", "/api/v1/sessions/current"},
    {"POST", "/api/v1/web/login"},
    {"POST", "/api/v1/web/logout"},
    {"GET", "/api/v1/dashboard"},
    {"GET", "/api/v1/jobs"},
    {"GET", "/api/v1/hosts/(h-[0-9a-f]{16})/packages"},
    {"GET", "/api/v1/me"},
    {"GET", "/api/v1/users"},
    {"POST", "/api/v1/users"},
    {"GET", "/api/v1/users/([a-z0-9][a-z0-9._@-]{0,63})"},
    {"PATCH", "/api/v1/users/([a-z0-9][a-z0-9._@-]{0,63})"},
    {"GET", "/api/v1/tokens"},
    {"POST", "/api/v1/tokens"},
    {"DELETE", "/api/v1/tokens/([0-9]{1,18})"},
    {"GET", "/api/v1/audit"},
    {"GET", "/api/v1/findings"},
    {"GET", "/api/v1/hosts/(h-[0-9a-f]{16})/findings"},
    {"GET", "/api/v1/feeds"},
    {"POST", "/api/v1/feeds/([A-Za-z0-9._-]{1,100})/sync"},
    {"POST", "/api/v1/feeds/([A-Za-z0-9._-]{1,100})/confirm"},
    {"POST", "/api/v1/tickets"},
    {"GET", "/api/v1/tickets"},
    {"GET", "/api/v1/tickets/([0-9]{1,18})"},
    {"POST", "/api/v1/tickets/([0-9]{1,18})/comments"},
    {"PUT", "/api/v1/tickets/([0-9]{1,18})/external-reference"},
    {"POST", "/api/v1/tickets/([0-9]{1,18})/approve"},
    {"POST", "/api/v1/tickets/([0-9]{1,18})/refuse"},
    {"GET", "/api/v1/webhooks"},
    {"POST", "/api/v1/webhooks"},
    {"DELETE", "/api/v1/webhooks/([0-9]{1,18})"},
    {"GET", "/api/v1/webhooks/([0-9]{1,18})/deliveries"},
    {"GET", "/api/v1/windows"},
    {"POST", "/api/v1/windows"},
    {"GET", "/api/v1/windows/(w-[0-9a-f]{16})"},
    {"PUT", "/api/v1/windows/(w-[0-9a-f]{16})"},
    {"DELETE", "/api/v1/windows/(w-[0-9a-f]{16})"},
    {"GET", "/api/v1/windows/(w-[0-9a-f]{16})/occurrences"},
    {"GET", "/api/v1/hosts/(h-[0-9a-f]{16})/window"},
    {"PUT", "/api/v1/hosts/(h-[0-9a-f]{16})/window"},
    {"GET", "/api/v1/calendar"},
    {"GET", "/api/v1/calendar/feed-tokens"},
    {"POST", "/api/v1/calendar/feed-tokens"},
    {"DELETE", "/api/v1/calendar/feed-tokens/([0-9]{1,18})"},
    {"GET", "/calendar/([0-9a-f]{64})/all\\.ics"},
    {"GET", "/calendar/([0-9a-f]{64})/windows/(w-[0-9a-f]{16})\\.ics"},
    {"GET", "/calendar/([0-9a-f]{64})/hosts/(h-[0-9a-f]{16})\\.ics"},
    {"GET", "/calendar/([0-9a-f]{64})/collections/([^/]{1,255})\\.ics"},
    {"GET", "/calendar/([0-9a-f]{64})/deployments\\.ics"},
    {"GET", "/api/v1/reports/servers-by-window"},
    {"GET", "/api/v1/reports/windows"},
    {"GET", "/api/v1/reports/servers-without-window"},
    {"GET", "/api/v1/reports/compliance-summary"},
    {"GET", "/api/v1/reports/compliance-history"},
    {"GET", "/api/v1/reports/overdue"},
    {"GET", "/api/v1/patches"},
    {"GET", "/api/v1/patches/(p-[0-9a-f]{16})"},
    {"POST", "/api/v1/patches/(p-[0-9a-f]{16})/decision"},
    {"GET", "/api/v1/approval-rules"},
    {"POST", "/api/v1/approval-rules"},
    {"DELETE", "/api/v1/approval-rules/([0-9]{1,18})"},
    {"GET", "/api/v1/deployments"},
    {"POST", "/api/v1/deployments"},
    {"GET", "/api/v1/deployments/(d-[0-9a-f]{16})"},
    {"GET", "/api/v1/deployments/(d-[0-9a-f]{16})/jobs"},
    {"POST", "/api/v1/deployments/(d-[0-9a-f]{16})/approve"},
    {"POST", "/api/v1/deployments/(d-[0-9a-f]{16})/cancel"},
    {"GET", "/api/v1/jobs/(j-[0-9a-f]{16})"},
    {"GET", "/api/v1/hosts/(h-[0-9a-f]{16})/jobs"},
    {"POST", "/api/v1/hosts/(h-[0-9a-f]{16})/jobs/(j-[0-9a-f]{16})/events"},
    {"GET", "/api/v1/collections"},
    {"POST", "/api/v1/collections"},
    {"GET", "/api/v1/collections/([a-z0-9-]{1,64})"},
    {"PUT", "/api/v1/collections/([a-z0-9-]{1,64})"},
    {"DELETE", "/api/v1/collections/([a-z0-9-]{1,64})"},
    {"GET", "/api/v1/collections/([a-z0-9-]{1,64})/hosts"},
    {"GET", "/api/v1/ring-sequences"},
    {"POST", "/api/v1/ring-sequences"},
    {"GET", "/api/v1/ring-sequences/([a-z0-9-]{1,64})"},
    {"PUT", "/api/v1/ring-sequences/([a-z0-9-]{1,64})"},
    {"DELETE", "/api/v1/ring-sequences/([a-z0-9-]{1,64})"},
    {"GET", "/api/v1/restart-policy-bounds"},
    {"PUT", "/api/v1/restart-policy-bounds"},
    {"GET", "/api/v1/deployment-rules"},
    {"POST", "/api/v1/deployment-rules"},
    {"DELETE", "/api/v1/deployment-rules/(r-[0-9a-f]{16})"},
};

const std::set<std::string> kMethods = {"get", "put", "post", "delete", "options", "head", "patch"};

// Collects every "$ref" value in `node`.
void collectRefs(const nlohmann::ordered_json& node, std::vector<std::string>& refs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) {
        refs.push_back(value.get<std::string>());
      } else {
        collectRefs(value, refs);
      }
    }
  } else if (node.is_array()) {
    for (const auto& value : node) collectRefs(value, refs);
  }
}

TEST(OpenApi, DocumentsEveryApiRoute) {
  Router router(rejectAll);
  for (const auto& [method, pattern] : kApiRoutes) {
    router.add(method, pattern, Permission::kPublic, unused);
  }
  const auto missing = routesMissingFromOpenApi(openApiDocument("test"), router.routes());
  for (const auto& [method, pattern] : missing) ADD_FAILURE() << method << " " << pattern;
  EXPECT_TRUE(missing.empty());
}

TEST(OpenApi, DocumentsSystemRoutesAsRegistered) {
  auto database = store::openDatabase("sqlite::memory:");
  ASSERT_TRUE(database) << database.error().message;
  FakeClock clock{SystemTime{}};
  Metrics metrics;
  ServerContext context{**database, clock, metrics};
  Router router(rejectAll);
  addSystemRoutes(router, context, {});
  EXPECT_EQ(router.routes().size(), 4u);
  EXPECT_TRUE(routesMissingFromOpenApi(openApiDocument("test"), router.routes()).empty());
}

TEST(OpenApi, ReportsUndocumentedRoutes) {
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/api/v1/hosts"},
      {"DELETE", "/api/v1/hosts"},  // documented path, undocumented method
      {"GET", "/api/v1/secret-admin-panel"},
      {"GET", "/api/v1/hosts/(h-[0-9a-f]{16})/extra"},
  };
  const auto missing = routesMissingFromOpenApi(openApiDocument("test"), routes);
  ASSERT_EQ(missing.size(), 3u);
  EXPECT_EQ(missing[0], routes[1]);
  EXPECT_EQ(missing[1], routes[2]);
  EXPECT_EQ(missing[2], routes[3]);
}

TEST(OpenApi, DocumentIsWellFormed) {
  const auto document = openApiDocument("1.2.3");
  // It survives a round trip through text, as clients read it.
  const auto reparsed = nlohmann::ordered_json::parse(document.dump());
  EXPECT_EQ(reparsed.at("openapi"), "3.0.3");
  EXPECT_EQ(reparsed.at("info").at("version"), "1.2.3");
  EXPECT_EQ(reparsed.at("components").at("securitySchemes").at("bearerAuth").at("scheme"),
            "bearer");

  std::set<std::string> operation_ids;
  for (const auto& [path, item] : reparsed.at("paths").items()) {
    for (const auto& [method, operation] : item.items()) {
      SCOPED_TRACE(method + " " + path);
      EXPECT_TRUE(kMethods.contains(method));
      EXPECT_TRUE(operation_ids.insert(operation.at("operationId").get<std::string>()).second);
      EXPECT_FALSE(operation.at("responses").empty());
      ASSERT_TRUE(operation.contains("x-permission"));
      const bool is_public = operation.at("x-permission") == "public";
      EXPECT_EQ(operation.at("security").empty(), is_public);
      // Public routes may still return 401 (a wrong password or enrolment
      // secret), and protected ones always may.
      if (!is_public) {
        EXPECT_TRUE(operation.at("responses").contains("401"));
        EXPECT_TRUE(operation.at("responses").contains("403"));
      }

      // Each {name} in the path has a path parameter.
      std::set<std::string> declared;
      if (operation.contains("parameters")) {
        for (const auto& parameter : operation.at("parameters")) {
          if (parameter.at("in") == "path") declared.insert(parameter.at("name"));
        }
      }
      std::set<std::string> in_path;
      for (std::size_t open = path.find('{'); open != std::string::npos;
           open = path.find('{', open + 1)) {
        in_path.insert(path.substr(open + 1, path.find('}', open) - open - 1));
      }
      EXPECT_EQ(declared, in_path);
    }
  }
  EXPECT_EQ(operation_ids.size(), kApiRoutes.size());
}

TEST(OpenApi, EveryRefResolves) {
  const auto document = openApiDocument("test");
  std::vector<std::string> refs;
  collectRefs(document, refs);
  ASSERT_FALSE(refs.empty());
  for (const auto& ref : refs) {
    SCOPED_TRACE(ref);
    ASSERT_EQ(ref.rfind("#/", 0), 0u);
    EXPECT_NO_THROW(static_cast<void>(document.at(nlohmann::json::json_pointer(ref.substr(1)))));
  }
}

TEST(OpenApi, PermissionsMatchTheContract) {
  const auto document = openApiDocument("test");
  const auto permission = [&](const char* path, const char* method) {
    return document.at("paths").at(path).at(method).at("x-permission").get<std::string>();
  };
  EXPECT_EQ(permission("/api/v1/enrol", "post"), "public");
  EXPECT_EQ(permission("/api/v1/sessions", "post"), "public");
  EXPECT_EQ(permission("/api/v1/hosts/{host_id}/reports", "post"), "agent");
  EXPECT_EQ(permission("/api/v1/hosts/{host_id}", "patch"), "manage_hosts");
  EXPECT_EQ(permission("/api/v1/audit", "get"), "read_audit");
  EXPECT_EQ(permission("/api/v1/feeds/{name}/confirm", "post"), "manage_feeds");
  EXPECT_EQ(permission("/api/v1/reports/compliance", "get"), "read_reports");
  EXPECT_EQ(permission("/api/v1/patches/{patch_id}/decision", "post"), "decide_patches");
}

// A sync whose download or parse fails returns 502, so clients must expect it.
TEST(OpenApi, FeedSyncAndConfirmDocumentUpstreamFailure) {
  const auto document = openApiDocument("test");
  for (const char* path : {"/api/v1/feeds/{name}/sync", "/api/v1/feeds/{name}/confirm"}) {
    SCOPED_TRACE(path);
    const auto& responses = document.at("paths").at(path).at("post").at("responses");
    ASSERT_TRUE(responses.contains("502"));
    EXPECT_EQ(responses.at("502").at("$ref"), "#/components/responses/FeedSyncFailed");
  }
}

TEST(OpenApi, ComparablePathsFromTable) {
  const struct {
    const char* pattern;
    const char* path;
  } cases[] = {
      {"/healthz", "/healthz"},
      {"/api/v1/openapi\\.json", "/api/v1/openapi.json"},
      {"/api/v1/hosts/(h-[0-9a-f]{16})", "/api/v1/hosts/{}"},
      {"/api/v1/hosts/(h-[0-9a-f]{16})/findings", "/api/v1/hosts/{}/findings"},
      {"/a/((x|y)+)/b/([0-9]+)", "/a/{}/b/{}"},
      {"/a/([()]+)/b", "/a/{}/b"},
      {"/a/(\\)+)/b", "/a/{}/b"},
  };
  for (const auto& test_case : cases) {
    EXPECT_EQ(comparablePathFromPattern(test_case.pattern), test_case.path) << test_case.pattern;
  }
  EXPECT_EQ(comparablePathFromTemplate("/api/v1/hosts/{host_id}/findings"),
            "/api/v1/hosts/{}/findings");
  EXPECT_EQ(comparablePathFromTemplate("/api/v1/feeds/{name}/sync"), "/api/v1/feeds/{}/sync");
}

}  // namespace
}  // namespace pk::server
