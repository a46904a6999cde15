// The whole server in one process: configuration, database, TLS and the
// listener, reached by a real HTTPS client on 127.0.0.1.

#include <sstream>

#include <gtest/gtest.h>
#include <httplib.h>

#include "server/app.h"
#include "server/openapi.h"
#include "store/migrations.h"
#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

using test_support::TemporaryDirectory;

class App : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = TemporaryDirectory::create("server-app");
    ASSERT_TRUE(directory) << directory.error().message;
    directory_.emplace(std::move(*directory));
    config_.listen_address = "127.0.0.1";
    config_.port = 0;
    config_.data_dir = (directory_->path() / "data").string();
    config_.access_log = "off";
  }

  std::unique_ptr<httplib::SSLClient> client(const ServerApp& app) const {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", app.port());
    client->set_ca_cert_path(app.tls()->certificate_path.c_str());
    client->enable_server_certificate_verification(true);
    return client;
  }

  std::optional<TemporaryDirectory> directory_;
  ServerConfig config_;
  SystemClock clock_;
};

TEST_F(App, FirstStartGeneratesTlsAndPrintsPin) {
  ServerApp app(config_, clock_);
  std::ostringstream out;
  const auto started = app.start(out);
  ASSERT_TRUE(started) << started.error().message;
  ASSERT_TRUE(app.tls().has_value());

  const auto certificate = (directory_->path() / "data" / "tls" / "server.crt").string();
  const auto pin = spkiPinFromPemFile(certificate);
  ASSERT_TRUE(pin) << pin.error().message;
  EXPECT_NE(out.str().find("Generated a self-signed TLS certificate: " + certificate + "\n"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("TLS public key pin: " + *pin + "\n"), std::string::npos) << out.str();

  const auto health = client(app)->Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  const auto ready = client(app)->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  const auto metrics = client(app)->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("patchkeeper_build_info{version=\"" + std::string(kServerVersion) +
                               "\"} 1"),
            std::string::npos)
      << metrics->body;
}

TEST_F(App, RestartKeepsPin) {
  std::string first_pin;
  {
    ServerApp first(config_, clock_);
    std::ostringstream out;
    ASSERT_TRUE(first.start(out));
    first_pin = first.tls()->pin;
  }
  ServerApp second(config_, clock_);
  std::ostringstream out;
  const auto started = second.start(out);
  ASSERT_TRUE(started) << started.error().message;
  EXPECT_EQ(second.tls()->pin, first_pin);
  EXPECT_EQ(out.str(), "TLS public key pin: " + first_pin + "\n");
}

TEST_F(App, ServesOpenApiDescribingEveryRoute) {
  ServerApp app(config_, clock_);
  std::ostringstream out;
  ASSERT_TRUE(app.start(out));
  const auto document = client(app)->Get("/api/v1/openapi.json");
  ASSERT_TRUE(document);
  ASSERT_EQ(document->status, 200);
  const auto parsed = nlohmann::ordered_json::parse(document->body);
  EXPECT_EQ(parsed.at("info").at("version"), kServerVersion);

  const auto missing = routesMissingFromOpenApi(parsed, app.router().routes());
  for (const auto& [method, pattern] : missing) ADD_FAILURE() << method << " " << pattern;
}

TEST_F(App, NewerDatabaseIsUsageError) {
  std::filesystem::create_directories(config_.data_dir);
  {
    auto database = store::openDatabase(config_.databaseUrl());
    ASSERT_TRUE(database) << database.error().message;
    ASSERT_TRUE(store::migrate(**database, clock_));
    const auto inserted = (*database)->write([](store::Session& session) {
      return session.execute(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
          {store::latestSchemaVersion() + 1, std::string("from a newer build"), std::int64_t{0}});
    });
    ASSERT_TRUE(inserted) << inserted.error().message;
  }

  ServerApp app(config_, clock_);
  std::ostringstream out;
  const auto started = app.start(out);
  ASSERT_FALSE(started);
  EXPECT_EQ(exitStatusFor(started.error()), kExitUsage) << started.error().message;
  EXPECT_EQ(app.port(), 0);
  EXPECT_TRUE(out.str().empty());
}

TEST_F(App, PortInUseIsRuntimeFailure) {
  ServerApp first(config_, clock_);
  std::ostringstream out;
  ASSERT_TRUE(first.start(out));

  auto config = config_;
  config.port = first.port();
  ServerApp second(config, clock_);
  const auto started = second.start(out);
  ASSERT_FALSE(started);
  EXPECT_EQ(exitStatusFor(started.error()), kExitFailure) << started.error().message;
}

TEST_F(App, PlainHttpPrintsNoPin) {
  config_.allow_plain_http = true;
  ServerApp app(config_, clock_);
  std::ostringstream out;
  ASSERT_TRUE(app.start(out));
  EXPECT_FALSE(app.tls().has_value());
  EXPECT_TRUE(out.str().empty());
  EXPECT_FALSE(std::filesystem::exists(directory_->path() / "data" / "tls"));
  httplib::Client client("127.0.0.1", app.port());
  const auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(App, InitCreatesFirstAdminOnce) {
  ASSERT_TRUE(
      test_support::writeFile(directory_->path(), "password", "correct horse battery staple\n"));
  const auto password_file = (directory_->path() / "password").string();
  const auto created = runInit(config_, "admin", password_file, clock_);
  ASSERT_TRUE(created) << created.error().message;

  const auto again = runInit(config_, "second", password_file, clock_);
  ASSERT_FALSE(again);
  EXPECT_EQ(exitStatusFor(again.error()), kExitUsage) << again.error().message;
}

}  // namespace
}  // namespace pk::server
