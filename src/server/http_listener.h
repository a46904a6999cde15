#pragma once

// Serves a Router over HTTPS (or plain HTTP for loopback tests) with
// Boost.Beast and Asio. The listener owns everything about the wire: TLS,
// the threads, the listen backlog, timeouts, body limits, the access log and
// the request and connection metrics. Handlers see only Request and Response
// (http.h).
//
// A few I/O threads (io_threads) accept, run TLS handshakes, read and write
// asynchronously, so an open connection that sends nothing costs memory, not
// a thread. Router::dispatch runs on a separate pool of worker_threads,
// because handlers block on the database. Every wait has a server-side
// deadline, and connections over max_connections are closed at once.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "server/config.h"
#include "server/http.h"
#include "server/metrics.h"

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
  // The TLS handshake and a request's headers must arrive within this time
  // in total, counted from the accept (or from the first byte of a later
  // request on a kept-alive connection). Each read of the body must also
  // return data within it.
  int read_timeout_seconds = 10;
  // A whole request, headers and body, must arrive within this time.
  int request_timeout_seconds = 60;
  // A response must be written within this time in total.
  int write_timeout_seconds = 10;
  int io_threads = 2;       // threads running the sockets
  int worker_threads = 16;  // threads running Router::dispatch
  int listen_backlog = 1024;
  // Connections accepted beyond this many open ones are closed at once.
  int max_connections = 10000;
  // A connection is closed after this many requests, or when idle this long
  // between requests.
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
  // patchkeeper_http_request_duration_seconds{method,route}, and the
  // connection metrics patchkeeper_http_open_connections (gauge),
  // patchkeeper_http_connections_rejected_total (closed at once over
  // max_connections) and patchkeeper_http_connection_timeouts_total{kind},
  // where kind is "handshake" (TLS handshake unfinished within the read
  // timeout), "headers" (request headers unfinished within it), "body" (a
  // body read without data for the read timeout), "request" (the request
  // unfinished within request_timeout_seconds), "idle" (no new request
  // within the keep-alive timeout) or "write" (response unwritten within the
  // write timeout).
  HttpListener(const Router& router, Metrics& metrics, Clock& clock, ListenerOptions options);
  // Stops the listener when it is running.
  ~HttpListener();
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Opens the access log, loads TLS, binds and starts serving on the I/O and
  // worker threads; returns once connections are accepted. Ignores SIGPIPE
  // for the whole process, because a client that closes its connection early
  // would otherwise end the process during a write. Raises the soft limit on
  // open files to the hard limit, because every connection uses a
  // descriptor. Fails with kInvalidArgument
  // when already started or the options are unusable, kMalformedInput when
  // the TLS pair cannot be used, and kIoError when the address cannot be
  // bound (in use, not local) or the access log cannot be opened.
  Result<void> start();

  // Stops accepting, closes connections waiting for a request, lets requests
  // in progress finish (each bounded by the request, handler and write
  // time), and joins the threads. Harmless when not running. Not thread-safe
  // with start().
  void stop();

  // Returns the bound port (the chosen one when the options set 0), or 0
  // before start() succeeds.
  int port() const { return port_; }

 private:
  // The Asio state of one start() to stop() run, kept out of this header so
  // that users of the listener do not compile Boost.
  class Engine;

  const Router& router_;
  Metrics& metrics_;
  Clock& clock_;
  ListenerOptions options_;
  std::unique_ptr<Engine> engine_;
  int port_ = 0;
};

}  // namespace pk::server
