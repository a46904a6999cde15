#include "protocol/api_client.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "protocol/tests/loopback_server.h"
#include "tests/support/temporary_directory.h"

namespace pk::protocol {
namespace {

using test_support::LoopbackServer;
using test_support::makeSelfSignedCertificate;
using test_support::TlsFiles;

std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A TLS server with one certificate, counting the requests that reach its
// handlers and echoing what it received.
class ApiClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto folder = pk::test_support::TemporaryDirectory::create("api-client");
    ASSERT_TRUE(folder) << folder.error().message;
    folder_ = std::make_unique<pk::test_support::TemporaryDirectory>(std::move(*folder));
    auto files = makeSelfSignedCertificate(folder_->path(), "server");
    ASSERT_TRUE(files) << files.error().message;
    files_ = *files;
    auto pin = publicKeyPinFromPem(readText(files_.certificate));
    ASSERT_TRUE(pin) << pin.error().message;
    pin_ = *pin;
  }

  void addEchoRoutes(httplib::Server& server) {
    auto echo = [this](const httplib::Request& request, httplib::Response& response) {
      ++requests_;
      response.set_content(fmt::format("{} {} auth=[{}] type=[{}] body=[{}]", request.method,
                                       request.path, request.get_header_value("Authorization"),
                                       request.get_header_value("Content-Type"), request.body),
                           "text/plain");
      response.status = request.path == "/missing" ? 404 : 200;
    };
    server.Get(".*", echo);
    server.Post(".*", echo);
    server.Patch(".*", echo);
    server.Delete(".*", echo);
  }

  std::unique_ptr<pk::test_support::TemporaryDirectory> folder_;
  TlsFiles files_;
  std::string pin_;
  std::atomic<int> requests_{0};
};

TEST_F(ApiClientTest, PinMatchesTheOpensslCommand) {
  auto expected = test_support::pinWithOpensslCommand(files_);
  ASSERT_TRUE(expected) << expected.error().message;
  EXPECT_EQ(pin_, *expected);
  EXPECT_TRUE(isPublicKeyPin(pin_));
}

TEST_F(ApiClientTest, PinnedKeyConnects) {
  LoopbackServer server(files_);
  addEchoRoutes(server.server());
  ASSERT_TRUE(server.start());

  auto client = ApiClient::create({.base_url = server.url("https"), .server_pin = pin_});
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->get("/api/v1/me");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /api/v1/me auth=[] type=[] body=[]");
  EXPECT_EQ(requests_, 1);
}

TEST_F(ApiClientTest, WrongPinFailsTheHandshake) {
  LoopbackServer server(files_);
  addEchoRoutes(server.server());
  ASSERT_TRUE(server.start());

  auto other = makeSelfSignedCertificate(folder_->path(), "other");
  ASSERT_TRUE(other) << other.error().message;
  auto other_pin = publicKeyPinFromPem(readText(other->certificate));
  ASSERT_TRUE(other_pin) << other_pin.error().message;
  ASSERT_NE(*other_pin, pin_);

  auto client = ApiClient::create({.base_url = server.url("https"), .server_pin = *other_pin});
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->post("/api/v1/hosts/h-0000000000000000/reports", "{\"secret\":1}");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kIoError);
  EXPECT_NE(response.error().message.find(pin_), std::string::npos) << response.error().message;
  EXPECT_NE(response.error().message.find(*other_pin), std::string::npos)
      << response.error().message;
  // The handshake failed, so no request reached the server.
  EXPECT_EQ(requests_, 0);
}

TEST_F(ApiClientTest, WrongPinFailsOnEveryAttempt) {
  LoopbackServer server(files_);
  addEchoRoutes(server.server());
  ASSERT_TRUE(server.start());

  const std::string wrong_pin = "sha256:" + std::string(64, '0');
  auto client = ApiClient::create({.base_url = server.url("https"), .server_pin = wrong_pin});
  ASSERT_TRUE(client) << client.error().message;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto response = client->get("/api/v1/me");
    ASSERT_FALSE(response);
    EXPECT_NE(response.error().message.find(wrong_pin), std::string::npos);
  }
  EXPECT_EQ(requests_, 0);
}

TEST_F(ApiClientTest, SendsMethodBodyAndBearerToken) {
  LoopbackServer server(files_);
  addEchoRoutes(server.server());
  ASSERT_TRUE(server.start());

  auto client = ApiClient::create(
      {.base_url = server.url("https") + "/prefix/", .server_pin = pin_, .bearer_token = "t0k"});
  ASSERT_TRUE(client) << client.error().message;

  auto posted = client->post("/a", R"({"x":1})");
  ASSERT_TRUE(posted) << posted.error().message;
  EXPECT_EQ(posted->body,
            R"(POST /prefix/a auth=[Bearer t0k] type=[application/json] body=[{"x":1}])");

  auto patched = client->patch("/b", "{}");
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_EQ(patched->body, "PATCH /prefix/b auth=[Bearer t0k] type=[application/json] body=[{}]");

  client->setBearerToken("other");
  auto deleted = client->del("/c");
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->body.substr(0, 37), "DELETE /prefix/c auth=[Bearer other] ");
  EXPECT_EQ(deleted->content_type, "text/plain");

  client->setBearerToken("");
  auto anonymous = client->get("/d");
  ASSERT_TRUE(anonymous) << anonymous.error().message;
  EXPECT_EQ(anonymous->body, "GET /prefix/d auth=[] type=[] body=[]");
}

TEST_F(ApiClientTest, ErrorStatusIsAResponse) {
  LoopbackServer server(files_);
  addEchoRoutes(server.server());
  ASSERT_TRUE(server.start());

  auto client = ApiClient::create({.base_url = server.url("https"), .server_pin = pin_});
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->get("/missing");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 404);
}

TEST_F(ApiClientTest, CaFileTrustsTheServer) {
  LoopbackServer server(files_);
  addEchoRoutes(server.server());
  ASSERT_TRUE(server.start());

  // The self-signed certificate is its own CA and names 127.0.0.1.
  auto client =
      ApiClient::create({.base_url = server.url("https"), .ca_file = files_.certificate.string()});
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->get("/api/v1/me");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(ApiClientTest, OtherCaFileIsRejected) {
  LoopbackServer server(files_);
  addEchoRoutes(server.server());
  ASSERT_TRUE(server.start());

  auto other = makeSelfSignedCertificate(folder_->path(), "other");
  ASSERT_TRUE(other) << other.error().message;
  auto client =
      ApiClient::create({.base_url = server.url("https"), .ca_file = other->certificate.string()});
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->get("/api/v1/me");
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("was not trusted"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(requests_, 0);
}

TEST_F(ApiClientTest, SystemStoreRejectsSelfSigned) {
  LoopbackServer server(files_);
  addEchoRoutes(server.server());
  ASSERT_TRUE(server.start());

  auto client = ApiClient::create({.base_url = server.url("https")});
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->get("/api/v1/me");
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message.find("was not trusted"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(requests_, 0);
}

TEST_F(ApiClientTest, PlainHttpWorksOnlyWhenAllowed) {
  LoopbackServer server;
  addEchoRoutes(server.server());
  ASSERT_TRUE(server.start());

  auto refused = ApiClient::create({.base_url = server.url("http")});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("allow_plain_http"), std::string::npos);

  auto client = ApiClient::create({.base_url = server.url("http"), .allow_plain_http = true});
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->get("/x");
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 200);
}

TEST_F(ApiClientTest, StoppedServerIsAnIoError) {
  int port = 0;
  {
    LoopbackServer server(files_);
    ASSERT_TRUE(server.start());
    port = server.port();
  }
  auto client = ApiClient::create(
      {.base_url = fmt::format("https://127.0.0.1:{}", port), .server_pin = pin_});
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->get("/api/v1/me");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kIoError);
  EXPECT_NE(
      response.error().message.find(fmt::format("could not connect to https://127.0.0.1:{}", port)),
      std::string::npos)
      << response.error().message;
}

// A server that completes the TLS handshake, half-closes, and resets the
// connection once the client is sending a large body. The client's next
// write(2) after the reset fails with EPIPE and raises SIGPIPE, which ends
// the process unless the signal is ignored.
TEST_F(ApiClientTest, ServerClosingMidUploadIsAnIoError) {
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);

  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context(SSL_CTX_new(TLS_server_method()),
                                                            &SSL_CTX_free);
  ASSERT_TRUE(context);
  ASSERT_EQ(
      SSL_CTX_use_certificate_file(context.get(), files_.certificate.c_str(), SSL_FILETYPE_PEM), 1);
  ASSERT_EQ(
      SSL_CTX_use_PrivateKey_file(context.get(), files_.private_key.c_str(), SSL_FILETYPE_PEM), 1);

  std::thread server([&] {
    int connection = ::accept(listener, nullptr, nullptr);
    if (connection < 0) return;
    SSL* tls = SSL_new(context.get());
    SSL_set_fd(tls, connection);
    if (SSL_accept(tls) == 1) {
      // The FIN puts the client's socket in CLOSE_WAIT, where a reset sets
      // EPIPE rather than ECONNRESET.
      ::shutdown(connection, SHUT_WR);
      std::array<char, 512> start{};
      ::recv(connection, start.data(), start.size(), MSG_WAITALL);
    }
    // A zero linger time makes close() send a reset.
    linger reset{.l_onoff = 1, .l_linger = 0};
    ::setsockopt(connection, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    SSL_free(tls);
    ::close(connection);
  });

  auto client = ApiClient::create(
      {.base_url = fmt::format("https://127.0.0.1:{}", port), .server_pin = pin_});
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->post("/api/v1/upload", std::string(32U << 20U, 'x'));
  server.join();
  ::close(listener);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kIoError);
}

// A kept-alive connection that the server closed in between (a restart, or
// its idle timeout while the agent collected a report) must not fail the
// next request.
TEST_F(ApiClientTest, RequestAfterServerRestartSucceeds) {
  auto server = std::make_unique<LoopbackServer>(files_);
  addEchoRoutes(server->server());
  ASSERT_TRUE(server->start());
  const int port = server->port();

  auto client = ApiClient::create({.base_url = server->url("https"), .server_pin = pin_});
  ASSERT_TRUE(client) << client.error().message;
  auto first = client->get("/one");
  ASSERT_TRUE(first) << first.error().message;

  server = std::make_unique<LoopbackServer>(files_);
  addEchoRoutes(server->server());
  ASSERT_TRUE(server->start(port));
  auto second = client->post("/two", "{}");
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(requests_, 2);
}

TEST_F(ApiClientTest, MissingCaFileIsNotFound) {
  auto client = ApiClient::create(
      {.base_url = "https://127.0.0.1:1", .ca_file = (folder_->path() / "none.pem").string()});
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kNotFound);
}

TEST_F(ApiClientTest, CaFileWithoutCertificateIsInvalid) {
  ASSERT_TRUE(pk::test_support::writeFile(folder_->path(), "junk.pem", "not a certificate\n"));
  auto client = ApiClient::create(
      {.base_url = "https://127.0.0.1:1", .ca_file = (folder_->path() / "junk.pem").string()});
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error().code, ErrorCode::kInvalidArgument);
}

TEST(ApiClientOptions, InvalidOptionsAreRejected) {
  const std::string pin = "sha256:" + std::string(64, 'a');
  const ApiClientOptions cases[] = {
      {.base_url = ""},
      {.base_url = "ftp://example.test"},
      {.base_url = "https://"},
      {.base_url = "https://:443"},
      {.base_url = "https://host:"},
      {.base_url = "https://host:0"},
      {.base_url = "https://host:65536"},
      {.base_url = "https://host:12ab"},
      {.base_url = "https://user@host"},
      {.base_url = "https://host/?q=1"},
      {.base_url = "https://[::1"},
      {.base_url = "https://[::1]x"},
      {.base_url = "http://127.0.0.1:80"},
      {.base_url = "https://host", .server_pin = "sha256:abc"},
      {.base_url = "https://host", .server_pin = "sha256:" + std::string(64, 'A')},
      {.base_url = "https://host", .server_pin = std::string(64, 'a')},
      {.base_url = "https://host", .server_pin = pin, .ca_file = "/etc/ssl/certs/ca.pem"},
  };
  for (const auto& options : cases) {
    SCOPED_TRACE(options.base_url + " " + options.server_pin);
    auto client = ApiClient::create(options);
    ASSERT_FALSE(client);
    EXPECT_EQ(client.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(ApiClientOptions, BaseUrlIsNormalized) {
  const std::string pin = "sha256:" + std::string(64, 'a');
  const std::pair<std::string, std::string> cases[] = {
      {"https://server.example", "https://server.example:443"},
      {"https://server.example:8443/", "https://server.example:8443"},
      {"https://server.example/pk//", "https://server.example:443/pk"},
      {"https://[::1]:9000", "https://[::1]:9000"},
  };
  for (const auto& [input, expected] : cases) {
    SCOPED_TRACE(input);
    auto client = ApiClient::create({.base_url = input, .server_pin = pin});
    ASSERT_TRUE(client) << client.error().message;
    EXPECT_EQ(client->baseUrl(), expected);
  }
}

TEST(ApiClientOptions, RelativePathIsRejected) {
  auto client = ApiClient::create(
      {.base_url = "https://127.0.0.1:1", .server_pin = "sha256:" + std::string(64, 'a')});
  ASSERT_TRUE(client) << client.error().message;
  auto response = client->get("api/v1/me");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kInvalidArgument);
}

TEST(PublicKeyPin, TextWithoutCertificateIsMalformed) {
  auto pin = publicKeyPinFromPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  ASSERT_FALSE(pin);
  EXPECT_EQ(pin.error().code, ErrorCode::kMalformedInput);
}

}  // namespace
}  // namespace pk::protocol
