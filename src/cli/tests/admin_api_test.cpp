#include "cli/admin_api.h"

#include <gtest/gtest.h>

#include "cli/exit_codes.h"
#include "cli/tests/admin_fake_transport.h"

namespace pk::cli {
namespace {

using test::FakeContext;

TEST(AdminApiError, ReadsErrorShape) {
  ApiResponse response{403, R"({"error": {"code": "forbidden", "message": "needs manage_users"}})"};
  auto error = describeErrorResponse(response);
  EXPECT_EQ(error.code, "forbidden");
  EXPECT_EQ(error.message, "needs manage_users");
}

TEST(AdminApiError, NamesStatusWithoutErrorShape) {
  for (const std::string body : {"", "<html>bad gateway</html>", R"({"error": "text"})",
                                 R"({"error": {"code": 5, "message": "x"}})",
                                 R"({"error": {"code": "not_found", "message": ""}})",
                                 R"({"error": {"code": "", "message": "x"}})"}) {
    auto error = describeErrorResponse({502, body});
    EXPECT_EQ(error.code, "http_502") << body;
    EXPECT_EQ(error.message, "the server answered HTTP status 502 without an error description")
        << body;
  }
}

TEST(AdminApiCall, ReturnsParsedBodyOnSuccess) {
  FakeContext fake;
  fake.transport.respond(200, R"({"username": "alice"})");
  auto body = callApi(fake.ctx, "GET", "/api/v1/me");
  ASSERT_TRUE(body);
  EXPECT_EQ((*body)["username"], "alice");
  ASSERT_EQ(fake.transport.requests.size(), 1U);
  EXPECT_EQ(fake.transport.requests[0].method, "GET");
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/me");
  EXPECT_EQ(fake.transport.requests[0].body, "");
  EXPECT_EQ(fake.err.str(), "");
}

TEST(AdminApiCall, SendsJsonBody) {
  FakeContext fake;
  fake.transport.respond(204, "");
  auto body = callApi(fake.ctx, "PATCH", "/api/v1/users/bob", {{"disabled", true}});
  ASSERT_TRUE(body);
  EXPECT_TRUE(body->is_null());
  EXPECT_EQ(nlohmann::json::parse(fake.transport.requests[0].body),
            nlohmann::json({{"disabled", true}}));
}

TEST(AdminApiCall, PrintsServerErrorAsMessageAndCode) {
  FakeContext fake;
  fake.transport.respond(409, R"({"error": {"code": "conflict", "message": "user bob exists"}})");
  EXPECT_FALSE(callApi(fake.ctx, "POST", "/api/v1/users", {{"username", "bob"}}));
  EXPECT_EQ(fake.err.str(), "error: user bob exists (conflict)\n");
}

TEST(AdminApiCall, UnauthorizedSuggestsLogin) {
  FakeContext fake;
  fake.transport.respond(
      401, R"({"error": {"code": "expired_credential", "message": "the session has expired"}})");
  EXPECT_FALSE(callApi(fake.ctx, "GET", "/api/v1/hosts"));
  EXPECT_EQ(fake.err.str(),
            "error: the session has expired (expired_credential)\n"
            "hint: run `patchkeeper login` to start a new session, or pass a valid --token\n");
}

TEST(AdminApiCall, UnauthorizedWithoutHintWhenLoggingIn) {
  FakeContext fake;
  fake.ctx.suggest_login = false;
  fake.transport.respond(
      401, R"({"error": {"code": "invalid_credentials", "message": "wrong password"}})");
  EXPECT_FALSE(callApi(fake.ctx, "POST", "/api/v1/sessions"));
  EXPECT_EQ(fake.err.str(), "error: wrong password (invalid_credentials)\n");
}

TEST(AdminApiCall, ConnectionFailureUsesErrorCodeName) {
  FakeContext fake;
  fake.transport.failNext("cannot connect to 127.0.0.1:1: Connection refused");
  EXPECT_FALSE(callApi(fake.ctx, "GET", "/api/v1/me"));
  EXPECT_EQ(fake.err.str(),
            "error: cannot connect to 127.0.0.1:1: Connection refused (io_error)\n");
}

TEST(AdminApiCall, NonJsonSuccessIsInvalidResponse) {
  FakeContext fake;
  fake.transport.respond(200, "<html>");
  EXPECT_FALSE(callApi(fake.ctx, "GET", "/api/v1/me"));
  EXPECT_EQ(fake.err.str(),
            "error: the server's response to GET /api/v1/me is not JSON (invalid_response)\n");
}

TEST(AdminApiList, FollowsNextAfterId) {
  FakeContext fake;
  fake.transport.respond(200, R"({"items": [{"id": 1}, {"id": 2}], "next_after_id": 2})");
  fake.transport.respond(200, R"({"items": [{"id": 3}], "next_after_id": null})");

  auto items = fetchList(fake.ctx, "/api/v1/findings", {{"severity", "high"}});
  ASSERT_TRUE(items);
  EXPECT_EQ(items->size(), 3U);
  ASSERT_EQ(fake.transport.requests.size(), 2U);
  EXPECT_EQ(fake.transport.requests[0].target, "/api/v1/findings?severity=high");
  EXPECT_EQ(fake.transport.requests[1].target, "/api/v1/findings?severity=high&after_id=2");
}

TEST(AdminApiList, StopsAtLimit) {
  FakeContext fake;
  fake.transport.respond(200, R"({"items": [{"id": 1}, {"id": 2}], "next_after_id": 2})");
  auto items = fetchList(fake.ctx, "/api/v1/audit", {}, 2);
  ASSERT_TRUE(items);
  EXPECT_EQ(items->size(), 2U);
  EXPECT_EQ(fake.transport.requests.size(), 1U);

  FakeContext cut;
  cut.transport.respond(200, R"({"items": [{"id": 1}, {"id": 2}, {"id": 3}]})");
  EXPECT_EQ(fetchList(cut.ctx, "/api/v1/audit", {}, 2)->size(), 2U);
}

TEST(AdminApiList, StopsWhenNextIdRepeats) {
  FakeContext fake;
  fake.transport.respond(200, R"({"items": [{"id": 5}], "next_after_id": "5"})");
  fake.transport.respond(200, R"({"items": [{"id": 5}], "next_after_id": "5"})");
  auto items = fetchList(fake.ctx, "/api/v1/findings", {});
  ASSERT_TRUE(items);
  EXPECT_EQ(fake.transport.requests.size(), 2U);
  EXPECT_EQ(items->size(), 2U);
}

TEST(AdminApiList, RejectsPageWithoutItems) {
  FakeContext fake;
  fake.transport.respond(200, R"([{"id": 1}])");
  EXPECT_FALSE(fetchList(fake.ctx, "/api/v1/hosts", {}));
  EXPECT_EQ(fake.err.str(),
            "error: the server's response to GET /api/v1/hosts has no \"items\" list "
            "(invalid_response)\n");
}

TEST(AdminApiList, ShowListWritesTableOrError) {
  FakeContext fake;
  fake.transport.respond(200, R"({"items": [{"name": "osv"}]})");
  EXPECT_EQ(showList(fake.ctx, "/api/v1/feeds", {}, {{"NAME", "name"}}, "no feeds"), kExitOk);
  EXPECT_EQ(fake.out.str(), "NAME\nosv\n");

  FakeContext failing;
  failing.transport.respond(403, R"({"error": {"code": "forbidden", "message": "no"}})");
  EXPECT_EQ(showList(failing.ctx, "/api/v1/feeds", {}, {{"NAME", "name"}}, "no feeds"), kExitError);
  EXPECT_EQ(failing.out.str(), "");
}

TEST(AdminApiHostileResponses, NeverThrowAndEndInStatus) {
  // Bodies a broken or hostile server could send for a list.
  const std::string bodies[] = {
      "",
      "null",
      "\"text\"",
      "{\"items\": null}",
      "{\"items\": {\"id\": 1}}",
      "{\"items\": [1, \"two\", null, [3]]}",
      "{\"items\": [{\"name\": {\"deep\": [1, {\"x\": 2}]}}], \"next_after_id\": []}",
      "{\"items\": [{\"name\": \"\\udc00\"}]}",
      "{\"items\": [{\"name\": \"\\u001b]0;title\\u0007\"}]}",
      "{\"items\": [{\"name\": 1e400}]}",
      "{\"items\": [], \"next_after_id\": {\"x\": 1}}",
      std::string(100000, '['),
      "\xff\xfe{}",
  };
  const OutputFormat formats[] = {OutputFormat::kTable, OutputFormat::kJson, OutputFormat::kCsv};
  for (const auto& body : bodies) {
    for (auto format : formats) {
      FakeContext fake;
      fake.ctx.output.format = format;
      fake.transport.respond(200, body);
      int status = kExitOk;
      EXPECT_NO_THROW(status = showList(fake.ctx, "/api/v1/users", {}, {{"NAME", "name"}}, "none"))
          << body.substr(0, 80);
      EXPECT_TRUE(status == kExitOk || status == kExitError) << body.substr(0, 80);
      if (format == OutputFormat::kTable) {
        EXPECT_EQ(fake.out.str().find('\x1b'), std::string::npos) << body.substr(0, 80);
      }

      FakeContext object;
      object.ctx.output.format = format;
      object.transport.respond(200, body);
      EXPECT_NO_THROW(showObject(object.ctx, "GET", "/api/v1/me")) << body.substr(0, 80);

      FakeContext error;
      error.transport.respond(500, body);
      EXPECT_EQ(showObject(error.ctx, "GET", "/api/v1/me"), kExitError) << body.substr(0, 80);
      EXPECT_EQ(error.err.str().rfind("error: ", 0), 0U) << body.substr(0, 80);
    }
  }
}

}  // namespace
}  // namespace pk::cli
