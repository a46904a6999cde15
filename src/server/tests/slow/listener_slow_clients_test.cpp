// The listener against a thousand clients that send nothing or trickle a
// byte at a time, over TLS and plain HTTP: real requests are still served,
// and the server closes every slow connection by its deadlines.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>

#include "server/http_listener.h"
#include "server/tls.h"
#include "tests/support/temporary_directory.h"

namespace pk::server {
namespace {

using test_support::TemporaryDirectory;
using Steady = std::chrono::steady_clock;

constexpr int kSlowClients = 1000;
constexpr int kReadTimeoutSeconds = 2;
// A correctness bound, not a performance goal: every slow client must be
// closed within four read timeouts of being opened.
constexpr auto kCloseBound = std::chrono::seconds(4 * kReadTimeoutSeconds);
constexpr auto kTrickleInterval = std::chrono::milliseconds(500);

Router makeRouter() {
  Router router([](const Request&) -> std::variant<Principal, Response> {
    return errorResponse(401, "unauthenticated", "No credentials in this test.");
  });
  router.add("GET", "/hello", Permission::kPublic, [](Request&) {
    return jsonResponse(200, {{"hello", "world"}});
  });
  return router;
}

// Each test uses two descriptors per slow client (its end and the
// server's), more than the common soft limit of 1,024.
void raiseOpenFileLimit() {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  limit.rlim_cur = limit.rlim_max;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
  ASSERT_GE(limit.rlim_cur, static_cast<rlim_t>(2 * kSlowClients + 256))
      << "the hard limit on open files is too low for this test";
}

// The bytes of a real TLS ClientHello, as a client would send them first.
std::string clientHello() {
  SSL_CTX* context = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(context);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);
  SSL_set_connect_state(ssl);
  static_cast<void>(SSL_do_handshake(ssl));
  std::string hello(static_cast<std::size_t>(BIO_pending(out)), '\0');
  const int read = BIO_read(out, hello.data(), static_cast<int>(hello.size()));
  hello.resize(read > 0 ? static_cast<std::size_t>(read) : 0);
  SSL_free(ssl);
  SSL_CTX_free(context);
  return hello;
}

// Returns the value of the sample whose line starts with `series` and a
// space, or -1 when there is none.
double sampleValue(const std::string& metrics, const std::string& series) {
  std::istringstream lines(metrics);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

int connectTo(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

struct SlowClient {
  int fd = -1;
  bool trickles = false;  // sends a byte every kTrickleInterval, else nothing
  std::size_t sent = 0;
  bool closed = false;
};

// Reads what the server sent; returns true once it closed or reset.
bool serverClosed(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t count = ::recv(fd, buffer, sizeof buffer, 0);
    if (count == 0) return true;
    if (count < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

class SlowClients : public ::testing::Test {
 protected:
  void SetUp() override {
    raiseOpenFileLimit();
    auto directory = TemporaryDirectory::create("listener-slow");
    ASSERT_TRUE(directory) << directory.error().message;
    directory_.emplace(std::move(*directory));
    certificate_ = (directory_->path() / "server.crt").string();
    const auto key = (directory_->path() / "server.key").string();
    const auto generated =
        generateSelfSignedCertificate(certificate_, key, "localhost", clock_.now());
    ASSERT_TRUE(generated) << generated.error().message;

    options_.listen_address = "127.0.0.1";
    options_.port = 0;
    options_.certificate_path = certificate_;
    options_.private_key_path = key;
    options_.read_timeout_seconds = kReadTimeoutSeconds;
    options_.request_timeout_seconds = 3;
    options_.write_timeout_seconds = kReadTimeoutSeconds;
    options_.keep_alive_timeout_seconds = kReadTimeoutSeconds;
    options_.worker_threads = 4;
    options_.io_threads = 2;
    options_.access_log = "off";
  }

  void startListener() {
    listener_ = std::make_unique<HttpListener>(router_, metrics_, clock_, options_);
    const auto started = listener_->start();
    ASSERT_TRUE(started) << started.error().message;
  }

  double metric(const std::string& series) { return sampleValue(metrics_.render(), series); }

  // Waits until the sample `series` reaches `value`, or 30 s pass, and
  // returns whether it did. The server counts a timeout just after closing
  // the socket, so a client can see the close before the count.
  bool waitForMetric(const std::string& series, double value) {
    const auto limit = Steady::now() + std::chrono::seconds(30);
    while (Steady::now() < limit) {
      if (metric(series) == value) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << series << " did not reach " << value << ":\n" << metrics_.render();
    return false;
  }

  bool waitForOpenConnections(double count) {
    return waitForMetric("patchkeeper_http_open_connections", count);
  }

  // Opens the slow clients (even ones silent, odd ones trickling `trickle`),
  // runs real requests with `get` while they are open, and expects every
  // request to succeed and every slow client closed by the server within
  // kCloseBound.
  void runSlowClients(const std::string& trickle, const std::function<bool()>& get) {
    std::vector<SlowClient> clients(kSlowClients);
    for (int i = 0; i < kSlowClients; ++i) {
      clients[static_cast<std::size_t>(i)].fd = connectTo(listener_->port());
      ASSERT_GE(clients[static_cast<std::size_t>(i)].fd, 0) << "connection " << i;
      clients[static_cast<std::size_t>(i)].trickles = i % 2 == 1;
    }
    const auto opened = Steady::now();

    // Real clients, started while every slow client is still open.
    std::atomic<int> served{0};
    constexpr int kRequests = 40;
    std::thread requester([&] {
      for (int i = 0; i < kRequests; ++i) {
        if (get()) ++served;
      }
    });

    std::vector<pollfd> ready;
    auto next_trickle = opened;
    int open = kSlowClients;
    while (open > 0 && Steady::now() < opened + kCloseBound) {
      if (Steady::now() >= next_trickle) {
        next_trickle += kTrickleInterval;
        for (auto& client : clients) {
          if (client.closed || !client.trickles || client.sent >= trickle.size()) continue;
          if (::send(client.fd, trickle.data() + client.sent, 1, MSG_NOSIGNAL | MSG_DONTWAIT) ==
              1) {
            ++client.sent;
          }
        }
      }
      ready.clear();
      for (const auto& client : clients) {
        if (!client.closed) ready.push_back({client.fd, POLLIN, 0});
      }
      if (::poll(ready.data(), ready.size(), 50) <= 0) continue;
      for (std::size_t i = 0, j = 0; i < clients.size(); ++i) {
        auto& client = clients[i];
        if (client.closed) continue;
        const auto events = ready[j++].revents;
        if (events != 0 && serverClosed(client.fd)) {
          client.closed = true;
          --open;
        }
      }
    }
    requester.join();
    for (const auto& client : clients) ::close(client.fd);

    EXPECT_EQ(open, 0) << "slow clients still open " << kCloseBound.count()
                       << " s after they connected";
    EXPECT_EQ(served.load(), kRequests);
    for (const auto& client : clients) {
      if (client.trickles) {
        // Proves that trickling clients were cut by the total deadline, not
        // by a per-read timeout that each byte would reset.
        EXPECT_GE(client.sent, 2u);
        EXPECT_LT(client.sent, trickle.size());
        break;
      }
    }
  }

  std::optional<TemporaryDirectory> directory_;
  std::string certificate_;
  SystemClock clock_;
  Metrics metrics_;
  Router router_ = makeRouter();
  ListenerOptions options_;
  std::unique_ptr<HttpListener> listener_;
};

TEST_F(SlowClients, TlsClosesSlowClients) {
  startListener();
  const auto hello = clientHello();
  ASSERT_GT(hello.size(), 100u);
  runSlowClients(hello, [this] {
    httplib::SSLClient client("127.0.0.1", listener_->port());
    client.set_ca_cert_path(certificate_.c_str());
    client.enable_server_certificate_verification(true);
    client.set_read_timeout(10, 0);
    const auto result = client.Get("/hello");
    return result && result->status == 200 && result->body == "{\"hello\":\"world\"}";
  });
  // The handshake and the headers share one deadline, so every slow client
  // counts as a handshake timeout.
  EXPECT_TRUE(waitForMetric("patchkeeper_http_connection_timeouts_total{kind=\"handshake\"}",
                            kSlowClients));
  EXPECT_TRUE(waitForOpenConnections(0));
}

TEST_F(SlowClients, PlainHttpClosesSlowClients) {
  options_.plain_http = true;
  startListener();
  runSlowClients("GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n\r\n", [this] {
    httplib::Client client("127.0.0.1", listener_->port());
    client.set_read_timeout(10, 0);
    const auto result = client.Get("/hello");
    return result && result->status == 200 && result->body == "{\"hello\":\"world\"}";
  });
  EXPECT_TRUE(
      waitForMetric("patchkeeper_http_connection_timeouts_total{kind=\"headers\"}", kSlowClients));
  EXPECT_TRUE(waitForOpenConnections(0));
}

// A raw plain-HTTP connection, for the single-client deadline tests below.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(connectTo(port)) {}
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;
  bool connected() const { return fd_ >= 0; }
  bool send(std::string_view text) const {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // Returns whether the server closed the connection within `limit`.
  bool closedWithin(std::chrono::milliseconds limit) const {
    const auto end = Steady::now() + limit;
    while (Steady::now() < end) {
      pollfd ready{fd_, POLLIN, 0};
      if (::poll(&ready, 1, 50) > 0 && serverClosed(fd_)) return true;
    }
    return false;
  }

 private:
  int fd_;
};

TEST_F(SlowClients, StalledBodyIsCutByReadTimeout) {
  options_.plain_http = true;
  startListener();
  RawClient client(listener_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\""));
  EXPECT_TRUE(client.closedWithin(kCloseBound));
  EXPECT_TRUE(waitForMetric("patchkeeper_http_connection_timeouts_total{kind=\"body\"}", 1));
}

TEST_F(SlowClients, TricklingBodyIsCutByRequestTimeout) {
  options_.plain_http = true;
  startListener();
  RawClient client(listener_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"));
  // Each byte arrives well within the read timeout; only the three-second
  // request timeout can end this.
  bool closed = false;
  const auto end = Steady::now() + kCloseBound;
  while (!closed && Steady::now() < end) {
    if (!client.send("x")) {
      closed = true;
      break;
    }
    closed = client.closedWithin(kTrickleInterval);
  }
  EXPECT_TRUE(closed);
  EXPECT_TRUE(waitForMetric("patchkeeper_http_connection_timeouts_total{kind=\"request\"}", 1));
}

TEST_F(SlowClients, IdleKeepAliveConnectionIsClosed) {
  options_.plain_http = true;
  startListener();
  RawClient client(listener_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_TRUE(client.closedWithin(kCloseBound));
  EXPECT_TRUE(waitForMetric("patchkeeper_http_connection_timeouts_total{kind=\"idle\"}", 1));
  EXPECT_TRUE(waitForMetric(
      "patchkeeper_http_requests_total{method=\"GET\",route=\"/hello\",status=\"200\"}", 1));
}

TEST_F(SlowClients, ConnectionsOverTheCapAreClosedAtOnce) {
  options_.plain_http = true;
  options_.max_connections = 3;
  options_.read_timeout_seconds = 30;  // so that the first three stay open
  startListener();
  std::vector<std::unique_ptr<RawClient>> open_clients;
  for (int i = 0; i < 3; ++i) {
    open_clients.push_back(std::make_unique<RawClient>(listener_->port()));
    ASSERT_TRUE(open_clients.back()->connected());
  }
  ASSERT_TRUE(waitForOpenConnections(3));
  RawClient extra(listener_->port());
  ASSERT_TRUE(extra.connected());
  EXPECT_TRUE(extra.closedWithin(std::chrono::seconds(10)));
  EXPECT_EQ(metric("patchkeeper_http_connections_rejected_total"), 1);
  EXPECT_FALSE(open_clients.front()->closedWithin(std::chrono::milliseconds(100)));
}

}  // namespace
}  // namespace pk::server
