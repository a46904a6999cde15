#include "server/http.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace pk::server {
namespace {

Principal viewer() {
  Principal principal;
  principal.kind = Principal::Kind::kUser;
  principal.user_id = 7;
  principal.username = "vera";
  principal.roles = {Role::kViewer};
  return principal;
}

// Accepts "Bearer good" as the viewer above and rejects everything else.
std::variant<Principal, Response> bearerGoodIsViewer(const Request& request) {
  if (request.header("authorization") == "Bearer good") return viewer();
  return errorResponse(401, "unauthenticated", "Send a valid bearer token.");
}

Request makeRequest(std::string method, std::string path, std::string token = "good") {
  Request request;
  request.method = std::move(method);
  request.path = std::move(path);
  if (!token.empty()) request.headers["authorization"] = "Bearer " + token;
  return request;
}

std::string errorCode(const Response& response) {
  return nlohmann::json::parse(response.body).at("error").at("code").get<std::string>();
}

std::string headerValue(const Response& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

Handler echoRoute(std::string name) {
  return [name](Request& request) {
    nlohmann::json params = request.path_params;
    return jsonResponse(200, {{"route", name},
                              {"params", params},
                              {"user", request.principal ? request.principal->username : ""}});
  };
}

// A router with the shapes the API uses: public, permission-checked,
// captured ids, and one path served under two methods.
Router makeRouter() {
  Router router(bearerGoodIsViewer);
  router.add("GET", "/healthz", Permission::kPublic, echoRoute("health"));
  router.add("GET", "/api/v1/hosts", Permission::kReadHosts, echoRoute("list-hosts"));
  router.add("GET", "/api/v1/hosts/(h-[0-9a-f]{16})", Permission::kReadHosts,
             echoRoute("show-host"));
  router.add("PATCH", "/api/v1/hosts/(h-[0-9a-f]{16})", Permission::kManageHosts,
             echoRoute("patch-host"));
  router.add("DELETE", "/api/v1/tokens/([0-9]+)", Permission::kManageOwnTokens,
             echoRoute("delete-token"));
  router.add("GET", "/boom", Permission::kPublic,
             [](Request&) -> Response { throw std::runtime_error("database path /secret/x"); });
  router.add("GET", "/boom-int", Permission::kPublic, [](Request&) -> Response { throw 42; });
  return router;
}

struct DispatchCase {
  const char* method;
  const char* path;
  const char* token;
  int status;
  const char* route_or_code;  // the route name on success, the error code otherwise
};

TEST(Router, DispatchesFromTable) {
  const DispatchCase cases[] = {
      {"GET", "/healthz", "", 200, "health"},
      {"HEAD", "/healthz", "", 200, "health"},
      {"GET", "/api/v1/hosts", "good", 200, "list-hosts"},
      {"GET", "/api/v1/hosts/h-0123456789abcdef", "good", 200, "show-host"},
      {"GET", "/api/v1/hosts/", "good", 404, "not_found"},
      {"GET", "/api/v1/hosts/h-0123456789abcdef/extra", "good", 404, "not_found"},
      {"GET", "/api/v1/hosts/h-0123456789ABCDEF", "good", 404, "not_found"},
      {"GET", "/nowhere", "", 404, "not_found"},
      {"GET", "/HEALTHZ", "", 404, "not_found"},
      {"GET", "/api/v1/hosts", "", 401, "unauthenticated"},
      {"GET", "/api/v1/hosts", "bad", 401, "unauthenticated"},
      {"PATCH", "/api/v1/hosts/h-0123456789abcdef", "good", 403, "forbidden"},
      {"PATCH", "/api/v1/hosts/h-0123456789abcdef", "", 401, "unauthenticated"},
      {"DELETE", "/api/v1/tokens/12", "good", 200, "delete-token"},
      {"POST", "/api/v1/hosts", "good", 405, "method_not_allowed"},
      {"DELETE", "/healthz", "", 405, "method_not_allowed"},
      {"GET", "/boom", "", 500, "internal_error"},
      {"GET", "/boom-int", "", 500, "internal_error"},
  };
  const Router router = makeRouter();
  for (const auto& test_case : cases) {
    SCOPED_TRACE(std::string(test_case.method) + " " + test_case.path +
                 " token=" + test_case.token);
    auto request = makeRequest(test_case.method, test_case.path, test_case.token);
    const auto response = router.dispatch(request);
    EXPECT_EQ(response.status, test_case.status);
    EXPECT_EQ(response.content_type, "application/json");
    const auto body = nlohmann::json::parse(response.body);
    if (test_case.status == 200) {
      EXPECT_EQ(body.at("route"), test_case.route_or_code);
    } else {
      EXPECT_EQ(body.at("error").at("code"), test_case.route_or_code);
      EXPECT_FALSE(body.at("error").at("message").get<std::string>().empty());
    }
  }
}

TEST(Router, CapturesPathParameters) {
  const Router router = makeRouter();
  auto request = makeRequest("GET", "/api/v1/hosts/h-00000000000000ff");
  const auto response = router.dispatch(request);
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(request.path_params, std::vector<std::string>{"h-00000000000000ff"});
  EXPECT_EQ(request.route, "/api/v1/hosts/(h-[0-9a-f]{16})");
  EXPECT_EQ(nlohmann::json::parse(response.body).at("params"),
            nlohmann::json::array({"h-00000000000000ff"}));
}

TEST(Router, FillsPrincipalOnlyForProtectedRoutes) {
  const Router router = makeRouter();

  auto protected_request = makeRequest("GET", "/api/v1/hosts");
  ASSERT_EQ(router.dispatch(protected_request).status, 200);
  ASSERT_TRUE(protected_request.principal.has_value());
  EXPECT_EQ(protected_request.principal->username, "vera");

  auto public_request = makeRequest("GET", "/healthz");
  ASSERT_EQ(router.dispatch(public_request).status, 200);
  EXPECT_FALSE(public_request.principal.has_value());
}

TEST(Router, MethodNotAllowedListsAllowedMethods) {
  const Router router = makeRouter();
  auto request = makeRequest("POST", "/api/v1/hosts/h-0123456789abcdef");
  const auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(headerValue(response, "Allow"), "GET, HEAD, PATCH");
  EXPECT_EQ(request.route, "");
}

TEST(Router, ForbiddenNamesMissingPermission) {
  const Router router = makeRouter();
  auto request = makeRequest("PATCH", "/api/v1/hosts/h-0123456789abcdef");
  const auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 403);
  const auto message = nlohmann::json::parse(response.body).at("error").at("message");
  EXPECT_NE(message.get<std::string>().find("manage_hosts"), std::string::npos) << message;
}

TEST(Router, HostPrincipalCannotUseUserRoutes) {
  Router router([](const Request&) -> std::variant<Principal, Response> {
    Principal host;
    host.kind = Principal::Kind::kHost;
    host.host_id = "h-0123456789abcdef";
    return host;
  });
  router.add("GET", "/api/v1/hosts", Permission::kReadHosts, echoRoute("list-hosts"));
  router.add("POST", "/api/v1/hosts/(h-[0-9a-f]{16})/reports", Permission::kAgent,
             echoRoute("report"));

  auto user_route = makeRequest("GET", "/api/v1/hosts");
  EXPECT_EQ(router.dispatch(user_route).status, 403);

  auto agent_route = makeRequest("POST", "/api/v1/hosts/h-0123456789abcdef/reports");
  EXPECT_EQ(router.dispatch(agent_route).status, 200);
}

TEST(Router, InternalErrorHidesExceptionText) {
  const Router router = makeRouter();
  auto request = makeRequest("GET", "/boom");
  const auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body.find("/secret/x"), std::string::npos) << response.body;
}

TEST(Router, AuthenticatorThatThrowsGives500) {
  Router router([](const Request&) -> std::variant<Principal, Response> {
    throw std::runtime_error("database is locked");
  });
  router.add("GET", "/api/v1/hosts", Permission::kReadHosts, echoRoute("list-hosts"));
  auto request = makeRequest("GET", "/api/v1/hosts");
  const auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(errorCode(response), "internal_error");
}

TEST(Router, FirstMatchingRouteWins) {
  Router router(bearerGoodIsViewer);
  router.add("GET", "/api/v1/users/me", Permission::kPublic, echoRoute("literal"));
  router.add("GET", "/api/v1/users/([^/]+)", Permission::kPublic, echoRoute("pattern"));
  auto literal = makeRequest("GET", "/api/v1/users/me");
  EXPECT_EQ(nlohmann::json::parse(router.dispatch(literal).body).at("route"), "literal");
  auto other = makeRequest("GET", "/api/v1/users/alice");
  EXPECT_EQ(nlohmann::json::parse(router.dispatch(other).body).at("route"), "pattern");
}

TEST(Router, RejectsOverlongPath) {
  Router router(bearerGoodIsViewer);
  router.add("GET", "/files/(.*)", Permission::kPublic, echoRoute("files"));
  auto request = makeRequest("GET", "/files/" + std::string(5000, 'a'));
  const auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 414);
  EXPECT_EQ(errorCode(response), "uri_too_long");
}

TEST(Router, ListsRoutesInOrderAdded) {
  const Router router = makeRouter();
  const auto routes = router.routes();
  ASSERT_EQ(routes.size(), 7u);
  EXPECT_EQ(routes[0], std::make_pair(std::string("GET"), std::string("/healthz")));
  EXPECT_EQ(routes[3],
            std::make_pair(std::string("PATCH"), std::string("/api/v1/hosts/(h-[0-9a-f]{16})")));
}

TEST(Router, InvalidPatternThrowsAtAdd) {
  Router router(bearerGoodIsViewer);
  EXPECT_THROW(router.add("GET", "/broken/(", Permission::kPublic, echoRoute("x")),
               std::regex_error);
}

struct BodyCase {
  const char* body;
  int status;  // 0 when the body parses
  const char* code;
};

TEST(ParseJsonBody, FromTable) {
  const BodyCase cases[] = {
      {R"({"name": "web", "collections": ["a"]})", 0, ""},
      {"{}", 0, ""},
      {"  {\"a\": 1}\n", 0, ""},
      {"", 400, "invalid_json"},
      {"{", 400, "invalid_json"},
      {R"({"a": })", 400, "invalid_json"},
      {R"({"a": 1} trailing)", 400, "invalid_json"},
      {"{'a': 1}", 400, "invalid_json"},
      {"[1, 2]", 400, "not_an_object"},
      {"\"text\"", 400, "not_an_object"},
      {"42", 400, "not_an_object"},
      {"null", 400, "not_an_object"},
      {R"({"collections": 52e509})", 400, "invalid_json"},
      {R"({"a": -1e999})", 400, "invalid_json"},
  };
  for (const auto& test_case : cases) {
    SCOPED_TRACE(test_case.body);
    Request request;
    request.body = test_case.body;
    const auto result = parseJsonBody(request);
    if (test_case.status == 0) {
      ASSERT_TRUE(std::holds_alternative<nlohmann::json>(result));
      EXPECT_TRUE(std::get<nlohmann::json>(result).is_object());
    } else {
      ASSERT_TRUE(std::holds_alternative<Response>(result));
      const auto& response = std::get<Response>(result);
      EXPECT_EQ(response.status, test_case.status);
      EXPECT_EQ(errorCode(response), test_case.code);
    }
  }
}

TEST(ParseJsonBody, InvalidJsonNamesPosition) {
  Request request;
  request.body = "{\"name\": \"web\",\n \"kind\": tru}";
  const auto result = parseJsonBody(request);
  ASSERT_TRUE(std::holds_alternative<Response>(result));
  const auto message = nlohmann::json::parse(std::get<Response>(result).body)
                           .at("error")
                           .at("message")
                           .get<std::string>();
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("byte"), std::string::npos) << message;
  EXPECT_EQ(message.find("json.exception"), std::string::npos) << message;
}

TEST(ParseJsonBody, RejectsDeepNesting) {
  Request request;
  request.body = "{\"a\": " + std::string(100, '[') + std::string(100, ']') + "}";
  const auto result = parseJsonBody(request);
  ASSERT_TRUE(std::holds_alternative<Response>(result));
  EXPECT_EQ(errorCode(std::get<Response>(result)), "invalid_json");

  // Brackets inside strings do not count.
  request.body = "{\"a\": \"" + std::string(100, '[') + "\"}";
  EXPECT_TRUE(std::holds_alternative<nlohmann::json>(parseJsonBody(request)));
}

TEST(Request, HeaderLookupIgnoresCase) {
  Request request;
  request.headers["content-type"] = "application/json";
  EXPECT_EQ(request.header("content-type"), "application/json");
  EXPECT_EQ(request.header("Content-Type"), "application/json");
  EXPECT_EQ(request.header("x-missing"), "");
}

TEST(Request, QueryValueReturnsFirst) {
  Request request;
  request.query.emplace("status", "open");
  request.query.emplace("status", "fixed");
  request.query.emplace("empty", "");
  EXPECT_EQ(request.queryValue("status"), "open");
  EXPECT_EQ(request.queryValue("empty"), "");
  EXPECT_EQ(request.queryValue("missing"), std::nullopt);
}

TEST(Responses, ErrorShape) {
  const auto response = errorResponse(409, "conflict", "The host is already enrolled.");
  EXPECT_EQ(response.status, 409);
  EXPECT_EQ(response.content_type, "application/json");
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body,
            nlohmann::json::parse(
                R"({"error": {"code": "conflict", "message": "The host is already enrolled."}})"));
}

TEST(Responses, JsonReplacesInvalidUtf8) {
  const auto response = jsonResponse(200, {{"name", std::string("bad\xff")}});
  EXPECT_EQ(response.status, 200);
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_EQ(body.at("name"), "bad\xEF\xBF\xBD");
}

}  // namespace
}  // namespace pk::server
