#include "server/system_routes.h"

#include <gtest/gtest.h>

#include "store/migrations.h"
#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

using namespace std::chrono_literals;
using test_support::TemporaryDirectory;

// A database whose every transaction fails, as one behind a broken network
// or a full disk would; only the readiness check's handling is under test.
class UnreachableDatabase final : public store::Database {
 public:
  store::Backend backend() const override { return store::Backend::kPostgresql; }
  Result<void> write(const std::function<Result<void>(store::Session&)>&) override {
    return fail(ErrorCode::kIoError, "connection to db.internal:5432 refused");
  }
  Result<void> read(const std::function<Result<void>(store::Session&)>&) override {
    return fail(ErrorCode::kIoError, "connection to db.internal:5432 refused");
  }
};

std::variant<Principal, Response> rejectAll(const Request&) {
  return errorResponse(401, "unauthenticated", "No credentials in this test.");
}

Response get(const Router& router, std::string path) {
  Request request;
  request.method = "GET";
  request.path = std::move(path);
  return router.dispatch(request);
}

class SystemRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = TemporaryDirectory::create("system-routes");
    ASSERT_TRUE(directory) << directory.error().message;
    directory_.emplace(std::move(*directory));
    auto database =
        store::openDatabase("sqlite://" + (directory_->path() / "patchkeeper.db").string());
    ASSERT_TRUE(database) << database.error().message;
    database_ = std::move(*database);
    context_.emplace(ServerContext{*database_, clock_, metrics_});
    addSystemRoutes(router_, *context_, {.openapi_json = R"({"openapi":"3.0.3"})"});
  }

  std::optional<TemporaryDirectory> directory_;
  std::unique_ptr<store::Database> database_;
  FakeClock clock_{SystemTime{} + 24h * 20000};
  Metrics metrics_;
  std::optional<ServerContext> context_;
  Router router_{rejectAll};
};

TEST_F(SystemRoutes, HealthzAlwaysOk) {
  const auto response = get(router_, "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(nlohmann::json::parse(response.body), nlohmann::json({{"status", "ok"}}));
}

TEST_F(SystemRoutes, ReadyOnlyAfterMigration) {
  const auto before = get(router_, "/readyz");
  EXPECT_EQ(before.status, 503);
  const auto error = nlohmann::json::parse(before.body).at("error");
  EXPECT_EQ(error.at("code"), "not_ready");
  EXPECT_NE(error.at("message").get<std::string>().find("version 0"), std::string::npos) << error;

  const auto migrated = store::migrate(*database_, clock_);
  ASSERT_TRUE(migrated) << migrated.error().message;
  const auto after = get(router_, "/readyz");
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(nlohmann::json::parse(after.body), nlohmann::json({{"status", "ready"}}));
}

TEST_F(SystemRoutes, NotReadyOnNewerSchema) {
  ASSERT_TRUE(store::migrate(*database_, clock_));
  const auto newer = store::latestSchemaVersion() + 1;
  const auto inserted = database_->write([newer](store::Session& session) {
    return session.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        {newer, std::string("from the future"), std::int64_t{0}});
  });
  ASSERT_TRUE(inserted) << inserted.error().message;

  const auto response = get(router_, "/readyz");
  EXPECT_EQ(response.status, 503);
  const auto message =
      nlohmann::json::parse(response.body).at("error").at("message").get<std::string>();
  EXPECT_NE(message.find("newer"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(newer)), std::string::npos) << message;
}

TEST_F(SystemRoutes, UnreachableDatabaseHidesDetails) {
  UnreachableDatabase unreachable;
  ServerContext context{unreachable, clock_, metrics_};
  Router router(rejectAll);
  addSystemRoutes(router, context, {});
  const auto response = get(router, "/readyz");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(nlohmann::json::parse(response.body).at("error").at("code"), "not_ready");
  EXPECT_EQ(response.body.find("db.internal"), std::string::npos) << response.body;
}

TEST_F(SystemRoutes, MetricsInExpositionFormat) {
  metrics_.describe("patchkeeper_test_total", Metrics::Type::kCounter, "A test counter.");
  metrics_.increment("patchkeeper_test_total");
  const auto response = get(router_, "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(response.body.find("# TYPE patchkeeper_test_total counter\npatchkeeper_test_total 1\n"),
            std::string::npos)
      << response.body;
}

TEST_F(SystemRoutes, OpenApiServedAsGiven) {
  const auto response = get(router_, "/api/v1/openapi.json");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"openapi":"3.0.3"})");
  // The dot is literal in the route pattern.
  EXPECT_EQ(get(router_, "/api/v1/openapiXjson").status, 404);
}

TEST_F(SystemRoutes, AllPublic) {
  ASSERT_TRUE(store::migrate(*database_, clock_));
  for (const char* path : {"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json"}) {
    EXPECT_EQ(get(router_, path).status, 200) << path;
  }
}

}  // namespace
}  // namespace pk::server
