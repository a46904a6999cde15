// The listener against real clients on 127.0.0.1: HTTPS with a generated
// certificate that the client verifies, body limits, timeouts, and load.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "server/http_listener.h"
#include "server/tls.h"
#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

using test_support::TemporaryDirectory;

Principal viewer() {
  Principal principal;
  principal.username = "vera";
  principal.roles = {Role::kViewer};
  return principal;
}

std::variant<Principal, Response> bearerGoodIsViewer(const Request& request) {
  if (request.header("authorization") == "Bearer good-token-value") return viewer();
  return errorResponse(401, "unauthenticated", "Send a valid bearer token.");
}

Router makeRouter() {
  Router router(bearerGoodIsViewer);
  router.add("GET", "/hello", Permission::kPublic, [](Request&) {
    return jsonResponse(200, {{"hello", "world"}});
  });
  router.add("POST", "/echo", Permission::kPublic, [](Request& request) {
    auto body = parseJsonBody(request);
    if (auto* error = std::get_if<Response>(&body)) return *error;
    return jsonResponse(200, std::get<nlohmann::json>(body));
  });
  router.add("GET", "/secure", Permission::kReadHosts, [](Request& request) {
    return jsonResponse(200, {{"user", request.principal->username}});
  });
  return router;
}

std::string errorCode(const std::string& body) {
  return nlohmann::json::parse(body).at("error").at("code").get<std::string>();
}

// A raw TCP connection to the listener, for clients that misbehave.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  void send(std::string_view text) const {
    ASSERT_EQ(::send(fd_, text.data(), text.size(), 0), static_cast<ssize_t>(text.size()));
  }
  // Sends without checking: the server may have closed the connection.
  void trySend(std::string_view text) const {
    static_cast<void>(::send(fd_, text.data(), text.size(), MSG_NOSIGNAL));
  }
  // Reads until the received text contains `marker`, the server closes the
  // connection, or `limit` passes without data.
  std::string readUntil(std::string_view marker, std::chrono::milliseconds limit) const {
    std::string received;
    while (received.find(marker) == std::string::npos) {
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(limit.count())) <= 0) break;
      char buffer[4096];
      const ssize_t count = ::recv(fd_, buffer, sizeof buffer, 0);
      if (count <= 0) break;
      received.append(buffer, static_cast<std::size_t>(count));
    }
    return received;
  }
  // Reads until the server closes the connection or `limit` passes without
  // data; returns what arrived and whether the server closed.
  std::pair<std::string, bool> readUntilClosed(std::chrono::milliseconds limit) const {
    std::string received;
    for (;;) {
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(limit.count())) <= 0) return {received, false};
      char buffer[4096];
      const ssize_t count = ::recv(fd_, buffer, sizeof buffer, 0);
      if (count <= 0) return {received, true};
      received.append(buffer, static_cast<std::size_t>(count));
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class Listener : public ::testing::Test {
 protected:
  void SetUp() override {
    auto directory = TemporaryDirectory::create("listener");
    ASSERT_TRUE(directory) << directory.error().message;
    directory_.emplace(std::move(*directory));
    certificate_ = (directory_->path() / "server.crt").string();
    key_ = (directory_->path() / "server.key").string();
    const auto generated =
        generateSelfSignedCertificate(certificate_, key_, "localhost", clock_.now());
    ASSERT_TRUE(generated) << generated.error().message;

    options_.listen_address = "127.0.0.1";
    options_.port = 0;
    options_.certificate_path = certificate_;
    options_.private_key_path = key_;
    options_.max_body_bytes = 4096;
    options_.read_timeout_seconds = 1;
    options_.write_timeout_seconds = 1;
    options_.keep_alive_timeout_seconds = 1;
    options_.worker_threads = 16;
    options_.access_log = (directory_->path() / "access.log").string();
  }

  void startListener() {
    listener_ = std::make_unique<HttpListener>(router_, metrics_, clock_, options_);
    const auto started = listener_->start();
    ASSERT_TRUE(started) << started.error().message;
    ASSERT_GT(listener_->port(), 0);
  }

  // A client that verifies the server against the generated certificate.
  std::unique_ptr<httplib::SSLClient> client() const {
    auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", listener_->port());
    client->set_ca_cert_path(certificate_.c_str());
    client->enable_server_certificate_verification(true);
    client->set_read_timeout(10, 0);
    return client;
  }

  std::string accessLog() const {
    std::ifstream file(options_.access_log);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

  std::optional<TemporaryDirectory> directory_;
  std::string certificate_;
  std::string key_;
  SystemClock clock_;
  Metrics metrics_;
  Router router_ = makeRouter();
  ListenerOptions options_;
  std::unique_ptr<HttpListener> listener_;
};

TEST_F(Listener, ServesRequestOverVerifiedTls) {
  startListener();
  const auto result = client()->Get("/hello");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(result->body), nlohmann::json({{"hello", "world"}}));

  const auto metrics = metrics_.render();
  EXPECT_NE(metrics.find("patchkeeper_http_requests_total{method=\"GET\",route=\"/hello\","
                         "status=\"200\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("patchkeeper_http_request_duration_seconds_count{method=\"GET\","
                         "route=\"/hello\"} 1\n"),
            std::string::npos)
      << metrics;
}

TEST_F(Listener, RejectsClientThatDistrustsCertificate) {
  startListener();
  httplib::SSLClient client("127.0.0.1", listener_->port());
  client.enable_server_certificate_verification(true);
  client.set_ca_cert_path("/nonexistent-ca.pem");
  const auto result = client.Get("/hello");
  EXPECT_FALSE(result);
  // The server keeps serving clients that trust it.
  const auto trusted = this->client()->Get("/hello");
  ASSERT_TRUE(trusted);
  EXPECT_EQ(trusted->status, 200);
}

TEST_F(Listener, ErrorsKeepJsonShape) {
  startListener();
  auto client = this->client();

  const auto missing = client->Get("/nowhere");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(errorCode(missing->body), "not_found");

  const auto wrong_method = client->Delete("/hello");
  ASSERT_TRUE(wrong_method);
  EXPECT_EQ(wrong_method->status, 405);
  EXPECT_EQ(wrong_method->get_header_value("Allow"), "GET, HEAD");

  const auto unauthenticated = client->Get("/secure");
  ASSERT_TRUE(unauthenticated);
  EXPECT_EQ(unauthenticated->status, 401);
  EXPECT_EQ(errorCode(unauthenticated->body), "unauthenticated");

  const auto malformed = client->Post("/echo", "{not json", "application/json");
  ASSERT_TRUE(malformed);
  EXPECT_EQ(malformed->status, 400);
  EXPECT_EQ(errorCode(malformed->body), "invalid_json");

  const auto metrics = metrics_.render();
  EXPECT_NE(metrics.find("{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"),
            std::string::npos)
      << metrics;
}

TEST_F(Listener, HeadHasNoBody) {
  startListener();
  const auto result = client()->Head("/hello");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_TRUE(result->body.empty());
}

TEST_F(Listener, AccessLogHidesSecrets) {
  startListener();
  const auto result =
      client()->Get("/secure?token=query-secret-value&limit=5",
                    {{"Authorization", "Bearer good-token-value"}, {"User-Agent", "pk-test"}});
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200);

  const auto log = accessLog();
  ASSERT_FALSE(log.empty());
  const auto line = nlohmann::json::parse(log.substr(0, log.find('\n')));
  EXPECT_EQ(line.at("remote"), "127.0.0.1");
  EXPECT_EQ(line.at("method"), "GET");
  EXPECT_EQ(line.at("path"), "/secure");
  EXPECT_EQ(line.at("query_keys"), nlohmann::json::array({"limit", "token"}));
  EXPECT_EQ(line.at("route"), "/secure");
  EXPECT_EQ(line.at("status"), 200);
  EXPECT_EQ(line.at("bytes"), result->body.size());
  EXPECT_GE(line.at("duration_ms").get<double>(), 0.0);
  EXPECT_EQ(line.at("principal"), "user:vera");
  EXPECT_EQ(line.at("user_agent"), "pk-test");
  EXPECT_TRUE(parseRfc3339(line.at("time").get<std::string>()).has_value());
  EXPECT_EQ(log.find("good-token-value"), std::string::npos) << log;
  EXPECT_EQ(log.find("query-secret-value"), std::string::npos) << log;
}

TEST_F(Listener, OversizedBodyGets413) {
  startListener();
  const std::string big = "{\"data\": \"" + std::string(5000, 'x') + "\"}";
  const auto result = client()->Post("/echo", big, "application/json");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 413);
  EXPECT_EQ(errorCode(result->body), "body_too_large");

  // A body just under the limit is accepted.
  const std::string fits = "{\"data\": \"" + std::string(4000, 'x') + "\"}";
  const auto accepted = client()->Post("/echo", fits, "application/json");
  ASSERT_TRUE(accepted) << httplib::to_string(accepted.error());
  EXPECT_EQ(accepted->status, 200);
}

TEST_F(Listener, OversizedChunkedBodyGets413) {
  startListener();
  const std::string chunk(1024, 'x');
  const auto result = client()->Post(
      "/echo",
      [&chunk](std::size_t offset, httplib::DataSink& sink) {
        if (offset < 8 * chunk.size()) {
          sink.write(chunk.data(), chunk.size());
        } else {
          sink.done();
        }
        return true;
      },
      "application/json");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 413);
  EXPECT_EQ(errorCode(result->body), "body_too_large");
}

TEST_F(Listener, DeclaredOversizedLengthClosesConnection) {
  options_.plain_http = true;
  startListener();
  RawConnection connection(listener_->port());
  ASSERT_TRUE(connection.connected());
  // The body is never sent: the declared length alone is rejected.
  connection.send(
      "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
      "Content-Length: 1000000\r\n\r\n");
  const auto [response, closed] = connection.readUntilClosed(std::chrono::seconds(10));
  EXPECT_TRUE(closed);
  EXPECT_EQ(response.rfind("HTTP/1.1 413", 0), 0u) << response;
  EXPECT_NE(response.find("body_too_large"), std::string::npos) << response;
}

TEST_F(Listener, UnreadBodyIsNeverParsedAsRequest) {
  options_.plain_http = true;
  startListener();
  RawConnection connection(listener_->port());
  ASSERT_TRUE(connection.connected());
  // The declared body is too large. Once the 413 has arrived, the client
  // sends body bytes that look like a second request; a proxy would forward
  // them as the body. No response may come for them.
  connection.send("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n");
  const auto first = connection.readUntil("body_too_large", std::chrono::seconds(10));
  ASSERT_EQ(first.rfind("HTTP/1.1 413", 0), 0u) << first;
  connection.trySend("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  const auto [rest, closed] = connection.readUntilClosed(std::chrono::seconds(10));
  EXPECT_TRUE(closed);
  EXPECT_EQ(rest.find("HTTP/1.1"), std::string::npos) << rest;
}

TEST_F(Listener, MultipartBodyRejected) {
  startListener();
  httplib::MultipartFormDataItems items = {{"file", "content", "a.txt", "text/plain"}};
  const auto result = client()->Post("/echo", items);
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 415);
  EXPECT_EQ(errorCode(result->body), "unsupported_media_type");
}

TEST_F(Listener, GetWithBodyIsNeverSplitIntoRequests) {
  options_.plain_http = true;
  startListener();
  RawConnection connection(listener_->port());
  ASSERT_TRUE(connection.connected());
  const std::string hidden = "GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  connection.send("GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                  std::to_string(hidden.size()) + "\r\n\r\n" + hidden);
  const auto [response, closed] = connection.readUntilClosed(std::chrono::seconds(10));
  EXPECT_EQ(response.find("HTTP/1.1 200"), std::string::npos) << response;
}

TEST_F(Listener, SilentClientIsCutAfterReadTimeout) {
  startListener();
  RawConnection silent(listener_->port());
  ASSERT_TRUE(silent.connected());
  // Sending nothing, not even a TLS ClientHello: the server must close the
  // connection once its one-second read timeout passes. The limit here is
  // generous so that a loaded machine does not fail the test.
  const auto [received, closed] = silent.readUntilClosed(std::chrono::seconds(15));
  EXPECT_TRUE(closed);
  EXPECT_TRUE(received.empty());

  const auto result = client()->Get("/hello");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST_F(Listener, MalformedRequestGets400) {
  options_.plain_http = true;
  startListener();
  RawConnection connection(listener_->port());
  ASSERT_TRUE(connection.connected());
  connection.send("NONSENSE\r\n\r\n");
  const auto [response, closed] = connection.readUntilClosed(std::chrono::seconds(10));
  EXPECT_EQ(response.rfind("HTTP/1.1 400", 0), 0u) << response;
  EXPECT_NE(response.find("bad_request"), std::string::npos) << response;
}

TEST_F(Listener, PlainHttpWhenAllowed) {
  options_.plain_http = true;
  startListener();
  httplib::Client client("127.0.0.1", listener_->port());
  const auto result = client.Get("/hello");
  ASSERT_TRUE(result) << httplib::to_string(result.error());
  EXPECT_EQ(result->status, 200);
}

TEST_F(Listener, SequentialAndConcurrentClients) {
  startListener();
  auto sequential = client();
  int sequential_ok = 0;
  for (int i = 0; i < 200; ++i) {
    const auto result = sequential->Get("/hello");
    if (result && result->status == 200) ++sequential_ok;
  }
  EXPECT_EQ(sequential_ok, 200);

  std::atomic<int> concurrent_ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([this, &concurrent_ok] {
      auto client = this->client();
      for (int i = 0; i < 25; ++i) {
        const auto result = client->Post("/echo", "{\"n\": 1}", "application/json");
        if (result && result->status == 200 && result->body == "{\"n\":1}") ++concurrent_ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(concurrent_ok.load(), 200);

  const auto metrics = metrics_.render();
  EXPECT_NE(metrics.find("{method=\"GET\",route=\"/hello\",status=\"200\"} 200\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("{method=\"POST\",route=\"/echo\",status=\"200\"} 200\n"),
            std::string::npos)
      << metrics;
}

TEST_F(Listener, PortInUseFailsToStart) {
  startListener();
  auto options = options_;
  options.port = listener_->port();
  HttpListener second(router_, metrics_, clock_, options);
  const auto started = second.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kIoError);
  EXPECT_NE(started.error().message.find(std::to_string(listener_->port())), std::string::npos)
      << started.error().message;
}

TEST_F(Listener, MissingCertificateFailsToStart) {
  options_.certificate_path = (directory_->path() / "absent.crt").string();
  HttpListener listener(router_, metrics_, clock_, options_);
  const auto started = listener.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(listener.port(), 0);
}

TEST_F(Listener, StopsAndRestarts) {
  startListener();
  listener_->stop();
  EXPECT_EQ(listener_->port(), 0);
  listener_->stop();  // harmless twice
  const auto restarted = listener_->start();
  ASSERT_TRUE(restarted) << restarted.error().message;
  const auto result = client()->Get("/hello");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

}  // namespace
}  // namespace pk::server
