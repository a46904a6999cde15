#pragma once

// Serves a Router over HTTPS (or plain HTTP for loopback tests) with
// cpp-httplib. The listener owns everything about the wire: TLS, the worker
// pool, the listen backlog, timeouts, body limits, the access log and the
// request metrics. Handlers see only Request and Response (http.h).
//
// cpp-httplib 0.11.4 serves one connection per worker thread for as long as
// the connection stays open, so worker_threads is also the limit on open
// connections, and idle clients are cut by the read and keep-alive timeouts.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "server/config.h"
#include "server/http.h"
#include "server/metrics.h"

namespace spdlog {
class logger;
}

namespace httplib {
class Server;
}

namespace pk::server {

struct ListenerOptions {
  std::string listen_address = "127.0.0.1";  // an IPv4 or IPv6 literal
  int port = 0;                              // 0 picks a free port
  // HTTPS with this PEM pair unless plain_http.
  bool plain_http = false;
  std::string certificate_path;
  std::string private_key_path;
  // Larger bodies get 413 body_too_large, checked against Content-Length
  // before the body is read and while reading a chunked body.
  std::int64_t max_body_bytes = 32 * 1024 * 1024;
  int read_timeout_seconds = 10;   // waiting for a request, including the TLS handshake
  int write_timeout_seconds = 10;  // waiting for the client to take response bytes
  int worker_threads = 16;
  int listen_backlog = 1024;
  // A connection is closed after this many requests, or when idle this long
  // between requests, so that idle clients release their worker thread.
  int keep_alive_max_requests = 100;
  int keep_alive_timeout_seconds = 5;
  // "stdout", "off" or a file path (appended to).
  std::string access_log = "stdout";

  // Returns the options ServerConfig sets, with the TLS paths of `config`.
  static ListenerOptions fromConfig(const ServerConfig& config);
};

// One access log line's fields. `principal` is "user:<name>" or
// "host:<id>" when the Router authenticated the caller, else "".
struct AccessLogEntry {
  SystemTime time{};
  std::string remote_address;
  std::string method;
  std::string path;                     // without the query string
  std::vector<std::string> query_keys;  // names only: values may be secrets
  std::string route;                    // the matched pattern, "" when none matched
  int status = 0;
  std::size_t bytes = 0;  // response body bytes
  double duration_ms = 0;
  std::string principal;
  std::string user_agent;
};

// Returns the entry as one line of JSON without a line feed, e.g.
// {"time":"2026-12-04T23:24:08Z","remote":"127.0.0.1","method":"GET",...}.
// Empty route, principal, user_agent and query_keys are left out.
std::string formatAccessLogLine(const AccessLogEntry& entry);

// Returns the label a request metric carries for `method`: the method
// itself for the standard ones, "OTHER" for anything else, so that clients
// cannot create unbounded label sets.
std::string methodLabel(std::string_view method);

class HttpListener {
 public:
  // `router`, `metrics` and `clock` must outlive the listener. Declares the
  // request metrics patchkeeper_http_requests_total{method,route,status} and
  // patchkeeper_http_request_duration_seconds{method,route}.
  HttpListener(const Router& router, Metrics& metrics, Clock& clock, ListenerOptions options);
  // Stops the listener when it is running.
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Opens the access log, loads TLS, binds and starts serving on worker
  // threads; returns once connections are accepted. Ignores SIGPIPE for the
  // whole process, because a client that closes its connection early would
  // otherwise end the process during a write. Fails with kInvalidArgument
  // when already started or the options are unusable, kMalformedInput when
  // the TLS pair cannot be used, and kIoError when the address cannot be
  // bound (in use, not local) or the access log cannot be opened.
  Result<void> start();

  // Stops accepting, lets requests in progress finish, and joins the
  // threads. Harmless when not running. Not thread-safe with start().
  void stop();

  // Returns the bound port (the chosen one when the options set 0), or 0
  // before start() succeeds.
  int port() const { return port_; }

 private:
  Result<void> createServer();
  void configureServer();
  Result<void> bind();

  const Router& router_;
  Metrics& metrics_;
  Clock& clock_;
  ListenerOptions options_;
  std::shared_ptr<spdlog::logger> access_log_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int socket_ = -1;
  int port_ = 0;
};

}  // namespace pk::server
