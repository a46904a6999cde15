#include "server/http_listener.h"

#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <nlohmann/json.hpp>

#include "server/request_target.h"
#include "server/tls.h"

namespace pk::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::string_view kRequestsTotal = "patchkeeper_http_requests_total";
constexpr std::string_view kRequestDuration = "patchkeeper_http_request_duration_seconds";
constexpr std::string_view kOpenConnections = "patchkeeper_http_open_connections";
constexpr std::string_view kConnectionsRejected = "patchkeeper_http_connections_rejected_total";
constexpr std::string_view kConnectionTimeouts = "patchkeeper_http_connection_timeouts_total";

// Matches Router's limit, checked here so that an over-long path gets 414
// before the Router runs its regular expressions over it.
constexpr std::size_t kMaxPathLength = 2048;
// The request line and header fields together; larger headers get 400.
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;
// After a response that closes the connection, request bytes the client
// already sent are read and dropped for at most this long (and this many
// bytes) before the socket is closed. Closing with unread bytes would send a
// TCP reset, which can destroy the response before the client reads it.
constexpr std::chrono::seconds kLingerTime{1};
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
// Accept failures such as EMFILE repeat at once, so the next accept waits.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

enum class TimeoutKind { kHandshake, kHeaders, kBody, kRequest, kIdle, kWrite };

std::string_view timeoutLabel(TimeoutKind kind) {
  switch (kind) {
    case TimeoutKind::kHandshake:
      return "handshake";
    case TimeoutKind::kHeaders:
      return "headers";
    case TimeoutKind::kBody:
      return "body";
    case TimeoutKind::kRequest:
      return "request";
    case TimeoutKind::kIdle:
      return "idle";
    case TimeoutKind::kWrite:
      return "write";
  }
  return "unknown";
}

std::string principalLabel(const std::optional<Principal>& principal) {
  if (!principal) return "";
  if (principal->isHost()) return "host:" + principal->host_id;
  return "user:" + principal->username;
}

std::string toString(beast::string_view text) {
  return std::string(text.data(), text.size());
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Result<std::shared_ptr<spdlog::logger>> openAccessLog(const std::string& destination) {
  if (destination == "off") return std::shared_ptr<spdlog::logger>();
  std::shared_ptr<spdlog::logger> logger;
  try {
    if (destination == "stdout") {
      logger = std::make_shared<spdlog::logger>("access",
                                                std::make_shared<spdlog::sinks::stdout_sink_mt>());
    } else {
      logger = std::make_shared<spdlog::logger>(
          "access", std::make_shared<spdlog::sinks::basic_file_sink_mt>(destination, false));
    }
  } catch (const spdlog::spdlog_ex& error) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot open the access log {}: {}. Check the access_log setting.",
                            destination, error.what()));
  }
  // The logger is not registered with spdlog, so several listeners (tests)
  // can each have one. Each line is the JSON object alone, flushed at once.
  logger->set_pattern("%v");
  logger->flush_on(spdlog::level::info);
  return logger;
}

// Raises the soft limit on open descriptors to the hard limit: the default
// soft limit of 1,024 is less than a thousand idle clients need.
void raiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  spdlog::info("Open file limit: {} descriptors", static_cast<std::uint64_t>(limit.rlim_cur));
}

// Facts about the request being served, for the access log and metrics.
struct RequestFacts {
  std::string method;
  std::string path;
  std::vector<std::string> query_keys;
  std::string user_agent;
  unsigned version = 11;
  bool keep_alive = false;
  bool head = false;
  Elapsed start{0};
};

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  // Closes the connection, on its own strand, unless it is reading a
  // request body, running a handler or writing a response.
  virtual void closeIfIdle() = 0;
};

// The state that the connections of one listener run share. Thread-safe
// where noted.
class ServerState {
 public:
  ServerState(const Router& shared_router, Metrics& shared_metrics, Clock& shared_clock,
              const ListenerOptions& listener_options,
              std::shared_ptr<spdlog::logger> access_logger)
      : router(shared_router),
        metrics(shared_metrics),
        clock(shared_clock),
        options(listener_options),
        access_log(std::move(access_logger)),
        too_large_message(
            fmt::format("The request body is larger than {} bytes, the server's max_body_bytes.",
                        listener_options.max_body_bytes)),
        workers(static_cast<std::size_t>(listener_options.worker_threads)),
        io(listener_options.io_threads) {}

  // Registers a new connection; thread-safe.
  void added(const std::shared_ptr<ConnectionBase>& connection) {
    std::lock_guard lock(mutex_);
    connections_.emplace(connection.get(), connection);
    metrics.set(kOpenConnections, {}, static_cast<double>(connections_.size()));
  }
  // Unregisters a connection from its destructor; thread-safe.
  void removed(ConnectionBase* connection) {
    std::lock_guard lock(mutex_);
    connections_.erase(connection);
    metrics.set(kOpenConnections, {}, static_cast<double>(connections_.size()));
    if (connections_.empty()) drained_.notify_all();
  }
  std::size_t openConnections() {
    std::lock_guard lock(mutex_);
    return connections_.size();
  }
  void closeIdleConnections() {
    // The connections are collected first, because releasing the last
    // reference to one runs its destructor, which takes the mutex.
    std::vector<std::shared_ptr<ConnectionBase>> open;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [key, weak] : connections_) {
        if (auto connection = weak.lock()) open.push_back(std::move(connection));
      }
    }
    for (const auto& connection : open) connection->closeIfIdle();
  }
  // Waits until no connection is open or `limit` passes; returns whether
  // every connection closed.
  bool waitUntilDrained(std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    return drained_.wait_for(lock, limit, [this] { return connections_.empty(); });
  }

  void countTimeout(TimeoutKind kind) {
    metrics.increment(kConnectionTimeouts, {{"kind", std::string(timeoutLabel(kind))}});
  }

  // Counts a served request and writes its access log line; thread-safe.
  void record(const RequestFacts& facts, const std::string& remote, int status,
              const std::string& route, const std::string& principal, std::size_t bytes) {
    const Elapsed duration = clock.elapsed() - facts.start;
    const double seconds = std::chrono::duration<double>(duration).count();
    const std::string route_label = route.empty() ? "unmatched" : route;
    const std::string method = methodLabel(facts.method);
    metrics.increment(
        kRequestsTotal,
        {{"method", method}, {"route", route_label}, {"status", std::to_string(status)}});
    metrics.observe(kRequestDuration, {{"method", method}, {"route", route_label}}, seconds);
    if (!access_log) return;
    AccessLogEntry entry;
    entry.time = clock.now();
    entry.remote_address = remote;
    entry.method = facts.method;
    entry.path = facts.path;
    entry.query_keys = facts.query_keys;
    entry.route = route;
    entry.status = status;
    entry.bytes = bytes;
    entry.duration_ms = seconds * 1000;
    entry.principal = principal;
    entry.user_agent = facts.user_agent;
    access_log->info(formatAccessLogLine(entry));
  }

  const Router& router;
  Metrics& metrics;
  Clock& clock;
  const ListenerOptions options;
  const std::shared_ptr<spdlog::logger> access_log;
  const std::string too_large_message;
  std::atomic<bool> stopping{false};
  std::optional<asio::ssl::context> tls;
  asio::thread_pool workers;
  // Declared last so that it is destroyed first: destroying it destroys the
  // handlers still queued, and with them the connections, whose destructors
  // use the members above.
  asio::io_context io;

 private:
  std::mutex mutex_;
  std::condition_variable drained_;
  std::unordered_map<ConnectionBase*, std::weak_ptr<ConnectionBase>> connections_;
};

// One client connection, over plain TCP (Stream = beast::tcp_stream) or TLS
// (beast::ssl_stream<beast::tcp_stream>). Every member runs on the
// connection's strand, except the handler, which runs on the worker pool
// with its own copy of the request.
template <class Stream>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Connection(ServerState& state, Tcp::socket&& socket, std::string remote)
      : state_(state),
        executor_(socket.get_executor()),
        stream_(makeStream(state, std::move(socket))),
        remote_(std::move(remote)) {}
  ~Connection() override { state_.removed(this); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void begin() {
    asio::dispatch(executor_, [self = this->shared_from_this()] { self->onBegin(); });
  }

  void closeIfIdle() override {
    asio::post(executor_, [self = this->shared_from_this()] {
      if (self->phase_ == Phase::kHandshake || self->phase_ == Phase::kHeaders ||
          self->phase_ == Phase::kIdle || self->phase_ == Phase::kClosing) {
        self->close();
      }
    });
  }

 private:
  enum class Phase { kHandshake, kHeaders, kBody, kHandling, kWriting, kIdle, kClosing };

  static Stream makeStream(ServerState& state, Tcp::socket&& socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *state.tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  auto shared() { return this->shared_from_this(); }

  void onBegin() {
    // The TLS handshake and the first request's headers share one deadline,
    // so a client trickling a byte at a time cannot hold the connection.
    startRequestClock();
    if constexpr (kTls) {
      phase_ = Phase::kHandshake;
      stream_.async_handshake(
          asio::ssl::stream_base::server,
          [self = shared()](beast::error_code error) { self->onHandshake(error); });
    } else {
      readHeaders();
    }
  }

  void startRequestClock() {
    const auto now = std::chrono::steady_clock::now();
    request_deadline_ = now + std::chrono::seconds(state_.options.request_timeout_seconds);
    tcp().expires_at(std::min(now + std::chrono::seconds(state_.options.read_timeout_seconds),
                              request_deadline_));
  }

  void onHandshake(beast::error_code error) {
    if (error) {
      if (error == beast::error::timeout) state_.countTimeout(TimeoutKind::kHandshake);
      close();
      return;
    }
    readHeaders();
  }

  void readHeaders() {
    phase_ = Phase::kHeaders;
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    // Bodies are limited after the headers, so that a declared length over
    // the limit gets 413 instead of failing the header read. Boost 1.74
    // compares a Content-Length against boost::none as over the limit, so
    // "no limit" is the largest value instead.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared()](beast::error_code error, std::size_t) { self->onHeaders(error); });
  }

  static bool isHttpSyntaxError(beast::error_code error) {
    return error.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
           error != bhttp::error::end_of_stream && error != bhttp::error::partial_message &&
           error != bhttp::error::need_more;
  }

  void onHeaders(beast::error_code error) {
    if (error) {
      if (error == beast::error::timeout) {
        state_.countTimeout(TimeoutKind::kHeaders);
        close();
      } else if (isHttpSyntaxError(error)) {
        facts_ = RequestFacts{};
        facts_.start = state_.clock.elapsed();
        respondError(400, "bad_request", "The request is not valid HTTP/1.1.");
      } else {
        close();
      }
      return;
    }
    const auto& header = parser_->get();
    facts_ = RequestFacts{};
    facts_.start = state_.clock.elapsed();
    facts_.method = toString(header.method_string());
    facts_.head = header.method() == bhttp::verb::head;
    facts_.version = header.version();
    facts_.keep_alive = header.keep_alive();
    facts_.user_agent = toString(header[bhttp::field::user_agent]);
    query_.clear();
    parseTarget(std::string_view(header.target().data(), header.target().size()), facts_.path,
                query_);
    for (const auto& [key, value] : query_) {
      if (facts_.query_keys.empty() || facts_.query_keys.back() != key) {
        facts_.query_keys.push_back(key);
      }
    }

    if (facts_.path.size() > kMaxPathLength) {
      respondError(414, "uri_too_long",
                   fmt::format("The request path is longer than {} bytes.", kMaxPathLength));
      return;
    }
    // Rejecting on the declared length avoids reading the body at all, and
    // replies 413 instead of 100 to "Expect: 100-continue".
    const auto max_body = static_cast<std::uint64_t>(state_.options.max_body_bytes);
    if (const auto length = parser_->content_length(); length && *length > max_body) {
      respondError(413, "body_too_large", state_.too_large_message);
      return;
    }
    // The API takes JSON; multipart bodies are refused before they are read.
    const auto content_type = header[bhttp::field::content_type];
    constexpr std::string_view kMultipart = "multipart/form-data";
    if (content_type.size() >= kMultipart.size() &&
        equalsIgnoringCase(std::string_view(content_type.data(), kMultipart.size()), kMultipart)) {
      respondError(415, "unsupported_media_type",
                   "Send the request body as application/json, not multipart/form-data.");
      return;
    }
    if (parser_->is_done()) {
      handle();
      return;
    }
    // Limits chunked bodies, whose length is known only as they arrive.
    parser_->body_limit(max_body);
    const auto expect = header[bhttp::field::expect];
    if (equalsIgnoringCase(std::string_view(expect.data(), expect.size()), "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      phase_ = Phase::kWriting;
      tcp().expires_after(std::chrono::seconds(state_.options.write_timeout_seconds));
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = shared()](beast::error_code write_error, std::size_t) {
                          if (write_error) {
                            if (write_error == beast::error::timeout) {
                              self->state_.countTimeout(TimeoutKind::kWrite);
                            }
                            self->close();
                            return;
                          }
                          self->readBody();
                        });
      return;
    }
    readBody();
  }

  // Reads the body a piece at a time, so that each read has the read
  // timeout while the whole request keeps its request deadline.
  void readBody() {
    phase_ = Phase::kBody;
    const auto now = std::chrono::steady_clock::now();
    tcp().expires_at(std::min(now + std::chrono::seconds(state_.options.read_timeout_seconds),
                              request_deadline_));
    bhttp::async_read_some(
        stream_, buffer_, *parser_,
        [self = shared()](beast::error_code error, std::size_t) { self->onBody(error); });
  }

  void onBody(beast::error_code error) {
    if (error == bhttp::error::body_limit) {
      respondError(413, "body_too_large", state_.too_large_message);
      return;
    }
    if (error == beast::error::timeout) {
      state_.countTimeout(std::chrono::steady_clock::now() >= request_deadline_
                              ? TimeoutKind::kRequest
                              : TimeoutKind::kBody);
      close();
      return;
    }
    if (error) {
      if (isHttpSyntaxError(error)) {
        respondError(400, "bad_request", "The request is not valid HTTP/1.1.");
      } else {
        close();
      }
      return;
    }
    if (!parser_->is_done()) {
      readBody();
      return;
    }
    handle();
  }

  void handle() {
    phase_ = Phase::kHandling;
    tcp().expires_never();
    auto message = parser_->release();
    parser_.reset();
    Request request;
    request.method = facts_.method;
    request.path = facts_.path;
    request.query = std::move(query_);
    query_.clear();
    for (const auto& field : message) {
      std::string name = toString(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      // The first of repeated headers wins, as with Request::header().
      request.headers.emplace(std::move(name), toString(field.value()));
    }
    request.body = std::move(message.body());
    request.remote_address = remote_;

    asio::post(state_.workers, [self = shared(), request = std::move(request)]() mutable {
      Response answer;
      try {
        answer = self->state_.router.dispatch(request);
      } catch (const std::exception& error) {
        spdlog::error("{} {} failed outside the router: {}", request.method, request.path,
                      error.what());
        answer = errorResponse(500, "internal_error", "The server failed to handle the request.");
      }
      asio::post(self->executor_, [self, answer = std::move(answer), route = request.route,
                                   principal = principalLabel(request.principal)]() mutable {
        self->respond(std::move(answer), route, principal, false);
      });
    });
  }

  // Sends an error and closes the connection afterwards, without reading
  // anything more of the request: an unread body must never be parsed as
  // the next request, or a proxy forwarding that body could smuggle a
  // request past it.
  void respondError(int status, std::string_view code, std::string_view message) {
    parser_.reset();
    respond(errorResponse(status, code, message), "", "", true);
  }

  void respond(Response answer, const std::string& route, const std::string& principal,
               bool close_after) {
    phase_ = Phase::kWriting;
    ++served_;
    close_after_ = close_after;
    keep_alive_ = !close_after && facts_.keep_alive && !state_.stopping.load() &&
                  served_ < state_.options.keep_alive_max_requests;
    response_.emplace();
    auto& response = *response_;
    response.version(facts_.version == 10 ? 10 : 11);
    response.result(static_cast<unsigned>(answer.status));
    response.set(bhttp::field::content_type, answer.content_type);
    for (const auto& [name, value] : answer.headers) response.insert(name, value);
    response.body() = std::move(answer.body);
    response.keep_alive(keep_alive_);
    response.prepare_payload();
    status_ = answer.status;
    bytes_ = response.body().size();
    route_ = route;
    principal_ = principal;
    // A HEAD response carries the GET response's Content-Length, no body.
    if (facts_.head) response.body().clear();

    tcp().expires_after(std::chrono::seconds(state_.options.write_timeout_seconds));
    bhttp::async_write(stream_, response, [self = shared()](beast::error_code error, std::size_t) {
      self->onWritten(error);
    });
  }

  void onWritten(beast::error_code error) {
    state_.record(facts_, remote_, status_, route_, principal_, bytes_);
    response_.reset();
    // Beast reports end_of_stream for a written response that closes the
    // connection: that is success.
    if (error && error != bhttp::error::end_of_stream) {
      if (error == beast::error::timeout) state_.countTimeout(TimeoutKind::kWrite);
      close();
      return;
    }
    if (close_after_ || !keep_alive_) {
      lingeringClose();
      return;
    }
    waitForRequest();
  }

  void waitForRequest() {
    if (buffer_.size() > 0) {
      // A pipelined request is already here.
      startRequestClock();
      readHeaders();
      return;
    }
    phase_ = Phase::kIdle;
    tcp().expires_after(std::chrono::seconds(state_.options.keep_alive_timeout_seconds));
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared()](beast::error_code error, std::size_t count) {
                              self->onIdleData(error, count);
                            });
  }

  void onIdleData(beast::error_code error, std::size_t count) {
    if (error) {
      if (error == beast::error::timeout) state_.countTimeout(TimeoutKind::kIdle);
      close();
      return;
    }
    buffer_.commit(count);
    // The next request's headers get the read timeout from its first byte.
    startRequestClock();
    readHeaders();
  }

  // Stops sending, then reads and drops what the client still sends until
  // it closes, kLingerTime passes or kMaxLingerBytes arrive.
  void lingeringClose() {
    phase_ = Phase::kClosing;
    beast::error_code ignored;
    tcp().socket().shutdown(Tcp::socket::shutdown_send, ignored);
    tcp().expires_after(kLingerTime);
    drain();
  }

  void drain() {
    tcp().async_read_some(asio::buffer(drain_buffer_),
                          [self = shared()](beast::error_code error, std::size_t count) {
                            self->drained_bytes_ += count;
                            if (error || self->drained_bytes_ > kMaxLingerBytes) {
                              self->close();
                              return;
                            }
                            self->drain();
                          });
  }

  void close() {
    phase_ = Phase::kClosing;
    beast::error_code ignored;
    tcp().socket().shutdown(Tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  ServerState& state_;
  asio::any_io_executor executor_;
  Stream stream_;
  const std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  std::multimap<std::string, std::string> query_;
  RequestFacts facts_;
  Phase phase_ = Phase::kHeaders;
  SteadyTime request_deadline_{};
  int served_ = 0;
  bool close_after_ = false;
  bool keep_alive_ = false;
  int status_ = 0;
  std::size_t bytes_ = 0;
  std::string route_;
  std::string principal_;
  std::size_t drained_bytes_ = 0;
  std::array<char, 4096> drain_buffer_{};
};

}  // namespace

ListenerOptions ListenerOptions::fromConfig(const ServerConfig& config) {
  ListenerOptions options;
  options.listen_address = config.listen_address;
  options.port = config.port;
  options.plain_http = config.allow_plain_http;
  options.certificate_path = config.tlsCertificatePath();
  options.private_key_path = config.tlsPrivateKeyPath();
  options.max_body_bytes = config.max_body_bytes;
  options.read_timeout_seconds = config.read_timeout_seconds;
  options.request_timeout_seconds = config.request_timeout_seconds;
  options.write_timeout_seconds = config.write_timeout_seconds;
  options.io_threads = config.io_threads;
  options.worker_threads = config.worker_threads;
  options.max_connections = config.max_connections;
  options.keep_alive_timeout_seconds =
      std::min(options.keep_alive_timeout_seconds, config.read_timeout_seconds);
  options.access_log = config.access_log;
  return options;
}

std::string formatAccessLogLine(const AccessLogEntry& entry) {
  nlohmann::ordered_json line;
  line["time"] = formatRfc3339(entry.time);
  line["remote"] = entry.remote_address;
  line["method"] = entry.method;
  line["path"] = entry.path;
  if (!entry.query_keys.empty()) line["query_keys"] = entry.query_keys;
  if (!entry.route.empty()) line["route"] = entry.route;
  line["status"] = entry.status;
  line["bytes"] = entry.bytes;
  line["duration_ms"] = std::round(entry.duration_ms * 1000) / 1000;
  if (!entry.principal.empty()) line["principal"] = entry.principal;
  if (!entry.user_agent.empty()) line["user_agent"] = entry.user_agent;
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string methodLabel(std::string_view method) {
  for (const std::string_view known :
       {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    if (method == known) return std::string(method);
  }
  return "OTHER";
}

class HttpListener::Engine {
 public:
  explicit Engine(std::unique_ptr<ServerState> server_state)
      : state(std::move(server_state)),
        acceptor(asio::make_strand(state->io)),
        retry_timer(acceptor.get_executor()) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(state->io),
                          [this](beast::error_code error, Tcp::socket socket) {
                            onAccept(error, std::move(socket));
                          });
  }

  void onAccept(beast::error_code error, Tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (error) {
      spdlog::warn("Accepting a connection failed: {}", error.message());
      retry_timer.expires_after(kAcceptRetryDelay);
      retry_timer.async_wait([this](beast::error_code wait_error) {
        if (!wait_error && acceptor.is_open()) accept();
      });
      return;
    }
    const auto max_connections = static_cast<std::size_t>(state->options.max_connections);
    if (state->stopping.load() || state->openConnections() >= max_connections) {
      if (!state->stopping.load()) state->metrics.increment(kConnectionsRejected);
      beast::error_code ignored;
      socket.close(ignored);
      accept();
      return;
    }
    beast::error_code ignored;
    // Without TCP_NODELAY, a response written in two pieces waits for the
    // client's delayed ACK, about 40 ms per request.
    socket.set_option(Tcp::no_delay(true), ignored);
    ::fcntl(socket.native_handle(), F_SETFD, FD_CLOEXEC);
    const auto remote = socket.remote_endpoint(ignored);
    std::string address = remote.address().to_string();
    if (state->tls) {
      auto connection = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
          *state, std::move(socket), std::move(address));
      state->added(connection);
      connection->begin();
    } else {
      auto connection = std::make_shared<Connection<beast::tcp_stream>>(*state, std::move(socket),
                                                                        std::move(address));
      state->added(connection);
      connection->begin();
    }
    accept();
  }

  std::unique_ptr<ServerState> state;
  Tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
};

HttpListener::HttpListener(const Router& router, Metrics& metrics, Clock& clock,
                           ListenerOptions options)
    : router_(router), metrics_(metrics), clock_(clock), options_(std::move(options)) {
  metrics_.describe(kRequestsTotal, Metrics::Type::kCounter,
                    "HTTP requests served, by method, matched route and status.");
  metrics_.describe(kRequestDuration, Metrics::Type::kHistogram,
                    "Time from reading a request's headers to writing its response, in seconds.");
  metrics_.describe(kOpenConnections, Metrics::Type::kGauge, "Open HTTP client connections.");
  metrics_.describe(kConnectionsRejected, Metrics::Type::kCounter,
                    "Connections closed at once because max_connections were open.");
  metrics_.describe(kConnectionTimeouts, Metrics::Type::kCounter,
                    "Connections closed by a server deadline, by the phase that ran out of time.");
}

HttpListener::~HttpListener() {
  stop();
}

namespace {

Result<void> loadTls(const ListenerOptions& options, ServerState& state) {
  // Loading the pair here first gives a message naming the file and the
  // problem.
  auto identity = loadTlsIdentity(options.certificate_path, options.private_key_path);
  if (!identity) return tl::unexpected(identity.error());
  try {
    auto& context = state.tls.emplace(asio::ssl::context::tls_server);
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::single_dh_use |
                        SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    context.use_certificate_chain_file(options.certificate_path);
    context.use_private_key_file(options.private_key_path, asio::ssl::context::pem);
  } catch (const boost::system::system_error& error) {
    state.tls.reset();
    return fail(ErrorCode::kMalformedInput,
                fmt::format("Cannot set up TLS with {} and {}: {}.", options.certificate_path,
                            options.private_key_path, error.what()));
  }
  return {};
}

Result<void> bindAcceptor(const ListenerOptions& options, Tcp::acceptor& acceptor) {
  const auto cannot_listen = [&options](const beast::error_code& error) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot listen on {} port {}: {}. Check that no other process uses "
                            "the port and that the address belongs to this machine.",
                            options.listen_address, options.port, error.message()));
  };
  beast::error_code error;
  const auto address = asio::ip::make_address(options.listen_address, error);
  if (error) return cannot_listen(error);
  const Tcp::endpoint endpoint(address, static_cast<std::uint16_t>(options.port));
  if (acceptor.open(endpoint.protocol(), error); error) return cannot_listen(error);
  // SO_REUSEADDR without SO_REUSEPORT: a restart may bind while old
  // connections linger in TIME_WAIT, but a second server on the port fails.
  if (acceptor.set_option(Tcp::acceptor::reuse_address(true), error); error) {
    return cannot_listen(error);
  }
  ::fcntl(acceptor.native_handle(), F_SETFD, FD_CLOEXEC);
  if (acceptor.bind(endpoint, error); error) return cannot_listen(error);
  if (acceptor.listen(options.listen_backlog, error); error) {
    return fail(ErrorCode::kIoError, fmt::format("Cannot listen with a backlog of {}: {}.",
                                                 options.listen_backlog, error.message()));
  }
  return {};
}

}  // namespace

Result<void> HttpListener::start() {
  if (engine_) return fail(ErrorCode::kInvalidArgument, "The HTTP listener is already running.");
  if (options_.worker_threads < 1 || options_.io_threads < 1 || options_.max_body_bytes < 1 ||
      options_.read_timeout_seconds < 1 || options_.request_timeout_seconds < 1 ||
      options_.write_timeout_seconds < 1 || options_.keep_alive_timeout_seconds < 1 ||
      options_.listen_backlog < 1 || options_.keep_alive_max_requests < 1 ||
      options_.max_connections < 1 || options_.port < 0 || options_.port > 65535) {
    return fail(ErrorCode::kInvalidArgument,
                "The HTTP listener needs positive worker_threads, io_threads, max_body_bytes, "
                "timeouts, backlog, connection and keep-alive limits, and a port up to 65535.");
  }
  std::signal(SIGPIPE, SIG_IGN);
  raiseOpenFileLimit();

  auto access_log = openAccessLog(options_.access_log);
  if (!access_log) return tl::unexpected(access_log.error());
  auto engine = std::make_unique<Engine>(
      std::make_unique<ServerState>(router_, metrics_, clock_, options_, std::move(*access_log)));
  auto& state = *engine->state;
  if (!options_.plain_http) {
    if (auto loaded = loadTls(options_, state); !loaded) return loaded;
  }
  if (auto bound = bindAcceptor(options_, engine->acceptor); !bound) return bound;
  beast::error_code error;
  const auto local = engine->acceptor.local_endpoint(error);
  if (error) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot read the bound port: {}.", error.message()));
  }

  metrics_.set(kOpenConnections, {}, 0);
  engine->work.emplace(state.io.get_executor());
  engine->accept();
  for (int i = 0; i < options_.io_threads; ++i) {
    engine->threads.emplace_back([&io = state.io] {
      // A handler that throws is a bug; it is logged and the thread keeps
      // serving the other connections.
      for (;;) {
        try {
          io.run();
          return;
        } catch (const std::exception& thrown) {
          spdlog::error("An HTTP listener thread caught an exception: {}", thrown.what());
        }
      }
    });
  }
  engine_ = std::move(engine);
  port_ = local.port();
  spdlog::info("Serving {} on {} port {}", options_.plain_http ? "HTTP" : "HTTPS",
               options_.listen_address, port_);
  return {};
}

void HttpListener::stop() {
  if (!engine_) return;
  auto& engine = *engine_;
  auto& state = *engine.state;
  state.stopping.store(true);

  std::promise<void> closed;
  asio::post(engine.acceptor.get_executor(), [&engine, &closed] {
    beast::error_code ignored;
    engine.acceptor.close(ignored);
    engine.retry_timer.cancel();
    closed.set_value();
  });
  closed.get_future().wait();

  // Requests in progress finish within their deadlines; the bound below
  // covers those plus a handler's run time.
  state.closeIdleConnections();
  const auto limit =
      std::chrono::seconds(options_.read_timeout_seconds + options_.request_timeout_seconds +
                           options_.write_timeout_seconds + 30);
  if (!state.waitUntilDrained(limit)) {
    spdlog::warn("Stopping the HTTP listener with {} connections still open.",
                 state.openConnections());
  }
  engine.work.reset();
  state.io.stop();
  for (auto& thread : engine.threads) thread.join();
  state.workers.join();
  engine_.reset();
  spdlog::info("Stopped serving on port {}", port_);
  port_ = 0;
}

}  // namespace pk::server
