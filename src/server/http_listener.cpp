#include "server/http_listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstring>

#include <fmt/format.h>
#include <httplib.h>
#include <openssl/ssl.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "server/tls.h"

namespace pk::server {
namespace {

constexpr std::string_view kRequestsTotal = "patchkeeper_http_requests_total";
constexpr std::string_view kRequestDuration = "patchkeeper_http_request_duration_seconds";

// Matches Router's limit, checked here before cpp-httplib runs its own
// std::regex over the path.
constexpr std::size_t kMaxPathLength = 2048;

// The access log's and metrics' facts about one request, collected as it
// passes the pre-routing handler, the route handler and the logger. All
// three run on the worker thread that serves the connection, one request
// at a time, so a thread-local record needs no lock.
struct RequestNotes {
  bool started = false;
  Elapsed start{0};
  std::string path;
  std::string route;
  std::string principal;
};
thread_local RequestNotes notes;

std::string principalLabel(const std::optional<Principal>& principal) {
  if (!principal) return "";
  if (principal->isHost()) return "host:" + principal->host_id;
  return "user:" + principal->username;
}

// The message for responses cpp-httplib makes itself (a malformed request,
// a body over the limit) or a handler left without a body.
std::pair<std::string_view, std::string_view> describeStatus(int status) {
  switch (status) {
    case 400:
      return {"bad_request", "The request is not valid HTTP/1.1."};
    case 404:
      return {"not_found", "No resource at this path."};
    case 413:
      return {"body_too_large", "The request body is larger than the server accepts."};
    case 414:
      return {"uri_too_long", "The request URI is longer than the server accepts."};
    case 416:
      return {"range_not_satisfiable", "The requested range cannot be served."};
    case 500:
      return {"internal_error", "The server failed to handle the request."};
    default:
      return {"http_error", "The server could not handle the request."};
  }
}

void setError(httplib::Response& response, int status, std::string_view code,
              std::string_view message) {
  const auto error = errorResponse(status, code, message);
  response.status = error.status;
  response.set_content(error.body, error.content_type.c_str());
}

// Sends an error and closes the connection afterwards. Used when the request
// body is left unread (too large, or a path that is rejected before reading).
// cpp-httplib 0.11.4 would otherwise keep the connection open and parse the
// unread body as the next request, so a proxy forwarding that body could
// smuggle a request past it. Setting "Connection: close" alone does not make
// cpp-httplib close; a content provider that returns false does, after its
// whole body has been written.
void respondAndClose(httplib::Response& response, int status, std::string_view code,
                     std::string_view message) {
  auto body = std::make_shared<std::string>(errorResponse(status, code, message).body);
  response.status = status;
  response.set_header("Connection", "close");
  response.set_content_provider(
      body->size(), "application/json",
      [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        sink.write(body->data() + offset, length);
        return false;
      });
}

Request toRequest(const httplib::Request& wire) {
  Request request;
  request.method = wire.method;
  request.path = wire.path;
  request.query.insert(wire.params.begin(), wire.params.end());
  for (const auto& [name, value] : wire.headers) {
    std::string lower = name;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // The first of repeated headers wins, as with Request::header().
    request.headers.emplace(std::move(lower), value);
  }
  request.body = wire.body;
  request.remote_address = wire.remote_addr;
  return request;
}

// Returns the declared body length, or nullopt when there is none or it is
// not a plain decimal number (cpp-httplib rejects those itself).
std::optional<std::uint64_t> contentLength(const httplib::Request& wire) {
  if (!wire.has_header("Content-Length")) return std::nullopt;
  const auto text = wire.get_header_value("Content-Length");
  std::uint64_t length = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), length);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return length;
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
  options.write_timeout_seconds = config.write_timeout_seconds;
  options.worker_threads = config.worker_threads;
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

HttpListener::HttpListener(const Router& router, Metrics& metrics, Clock& clock,
                           ListenerOptions options)
    : router_(router), metrics_(metrics), clock_(clock), options_(std::move(options)) {
  metrics_.describe(kRequestsTotal, Metrics::Type::kCounter,
                    "HTTP requests served, by method, matched route and status.");
  metrics_.describe(kRequestDuration, Metrics::Type::kHistogram,
                    "Time from reading a request's headers to writing its response, in seconds.");
}

HttpListener::~HttpListener() {
  stop();
}

Result<void> HttpListener::createServer() {
  if (options_.plain_http) {
    server_ = std::make_unique<httplib::Server>();
    return {};
  }

  // Loading the pair here first gives a message naming the file and the
  // problem; cpp-httplib only reports that the server is not valid.
  auto identity = loadTlsIdentity(options_.certificate_path, options_.private_key_path);
  if (!identity) return tl::unexpected(identity.error());
  auto server = std::make_unique<httplib::SSLServer>(options_.certificate_path.c_str(),
                                                     options_.private_key_path.c_str());
  if (!server->is_valid()) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("cpp-httplib could not set up TLS with {} and {}.",
                            options_.certificate_path, options_.private_key_path));
  }
  SSL_CTX_set_min_proto_version(server->ssl_context(), TLS1_2_VERSION);
  server_ = std::move(server);
  return {};
}

void HttpListener::configureServer() {
  auto& server = *server_;
  const auto workers = static_cast<std::size_t>(options_.worker_threads);
  // Debian builds cpp-httplib as a shared library, so its compile-time pool
  // size cannot be changed; new_task_queue is the only way to size it.
  server.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };

  // Without TCP_NODELAY, the response's separate header and body writes
  // wait for the client's delayed ACK, about 40 ms per request.
  server.set_tcp_nodelay(true);
  server.set_socket_options([this](int socket) {
    // Replaces cpp-httplib's default, which sets SO_REUSEPORT and would let
    // a second server bind the same port without an error.
    const int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    ::fcntl(socket, F_SETFD, FD_CLOEXEC);
    socket_ = socket;
  });
  server.set_read_timeout(options_.read_timeout_seconds, 0);
  server.set_write_timeout(options_.write_timeout_seconds, 0);
  server.set_keep_alive_max_count(static_cast<std::size_t>(options_.keep_alive_max_requests));
  server.set_keep_alive_timeout(options_.keep_alive_timeout_seconds);
  server.set_payload_max_length(static_cast<std::size_t>(options_.max_body_bytes));

  const auto max_body = static_cast<std::uint64_t>(options_.max_body_bytes);
  const std::string too_large = fmt::format(
      "The request body is larger than {} bytes, the server's max_body_bytes.", max_body);

  // A client announcing a body over the limit gets 413 instead of the
  // "100 Continue" that would make it send the body.
  server.set_expect_100_continue_handler(
      [max_body, too_large](const httplib::Request& wire, httplib::Response& response) {
        const auto length = contentLength(wire);
        if (!length || *length <= max_body) return 100;
        respondAndClose(response, 413, "body_too_large", too_large);
        return 413;
      });

  server.set_pre_routing_handler(
      [this, max_body, too_large](const httplib::Request& wire, httplib::Response& response) {
        notes = RequestNotes{};
        notes.started = true;
        notes.start = clock_.elapsed();
        notes.path = wire.path;

        if (wire.path.size() > kMaxPathLength) {
          respondAndClose(response, 414, "uri_too_long",
                          fmt::format("The request path is longer than {} bytes.", kMaxPathLength));
          return httplib::Server::HandlerResponse::Handled;
        }
        // Rejecting on the declared length spares reading the body at all.
        if (const auto length = contentLength(wire); length && *length > max_body) {
          respondAndClose(response, 413, "body_too_large", too_large);
          return httplib::Server::HandlerResponse::Handled;
        }
        // cpp-httplib parses multipart bodies itself, and the API takes JSON.
        if (wire.is_multipart_form_data()) {
          respondAndClose(response, 415, "unsupported_media_type",
                          "Send the request body as application/json, not multipart/form-data.");
          return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
      });

  const auto serve = [this](Request& request, httplib::Response& response) {
    const Response answer = router_.dispatch(request);
    notes.route = request.route;
    notes.principal = principalLabel(request.principal);

    response.status = answer.status;
    for (const auto& [name, value] : answer.headers) response.set_header(name.c_str(), value);
    response.set_content(answer.body, answer.content_type.c_str());
  };
  const auto handle = [serve](const httplib::Request& wire, httplib::Response& response) {
    Request request = toRequest(wire);
    serve(request, response);
  };
  // Requests with a body are read here rather than by cpp-httplib, which in
  // version 0.11.4 applies the payload limit to Content-Length bodies but
  // not to chunked ones.
  const auto handle_body = [serve, max_body, too_large](const httplib::Request& wire,
                                                        httplib::Response& response,
                                                        const httplib::ContentReader& reader) {
    Request request = toRequest(wire);
    bool over_limit = false;
    reader([&](const char* data, std::size_t length) {
      if (request.body.size() + length > max_body) {
        over_limit = true;
        return false;
      }
      request.body.append(data, length);
      return true;
    });
    if (over_limit) {
      respondAndClose(response, 413, "body_too_large", too_large);
      return;
    }
    serve(request, response);
  };
  // cpp-httplib serves HEAD with the GET handlers and leaves out the body.
  server.Get(".*", handle);
  server.Options(".*", handle);
  server.Post(".*", handle_body);
  server.Put(".*", handle_body);
  server.Patch(".*", handle_body);
  server.Delete(".*", handle_body);
  // Requests that cpp-httplib does not expect a body for come here.
  server.Post(".*", handle);
  server.Put(".*", handle);
  server.Patch(".*", handle);
  server.Delete(".*", handle);

  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request&, httplib::Response& response) {
        // Responses that already carry a body, ours included, stay as they are.
        if (!response.body.empty() || response.content_length_ > 0) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        const auto [code, message] = describeStatus(response.status);
        setError(response, response.status, code, message);
        return httplib::Server::HandlerResponse::Handled;
      }));
  server.set_exception_handler([](const httplib::Request& wire, httplib::Response& response,
                                  std::exception_ptr thrown) {
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& error) {
      spdlog::error("{} {} failed outside the router: {}", wire.method, wire.path, error.what());
    } catch (...) {
      spdlog::error("{} {} failed outside the router", wire.method, wire.path);
    }
    setError(response, 500, "internal_error", "The server failed to handle the request.");
  });

  server.set_logger([this](const httplib::Request& wire, const httplib::Response& response) {
    // cpp-httplib responds to a malformed request without the pre-routing
    // handler, and a connection that broke mid-response may have skipped
    // this logger, so notes from another request are dropped here.
    if (notes.path != wire.path) notes = RequestNotes{};
    const Elapsed duration = notes.started ? clock_.elapsed() - notes.start : Elapsed{0};
    const double seconds = std::chrono::duration<double>(duration).count();
    const std::string route = notes.route.empty() ? "unmatched" : notes.route;
    const std::string method = methodLabel(wire.method);

    metrics_.increment(
        kRequestsTotal,
        {{"method", method}, {"route", route}, {"status", std::to_string(response.status)}});
    metrics_.observe(kRequestDuration, {{"method", method}, {"route", route}}, seconds);

    if (access_log_) {
      AccessLogEntry entry;
      entry.time = clock_.now();
      entry.remote_address = wire.remote_addr;
      entry.method = wire.method;
      entry.path = wire.path;
      for (const auto& [key, value] : wire.params) {
        if (entry.query_keys.empty() || entry.query_keys.back() != key) {
          entry.query_keys.push_back(key);
        }
      }
      entry.route = notes.route;
      entry.status = response.status;
      entry.bytes = response.body.empty() ? response.content_length_ : response.body.size();
      entry.duration_ms = seconds * 1000;
      entry.principal = notes.principal;
      entry.user_agent = wire.get_header_value("User-Agent");
      access_log_->info(formatAccessLogLine(entry));
    }
    notes = RequestNotes{};
  });
}

Result<void> HttpListener::bind() {
  socket_ = -1;
  if (!server_->bind_to_port(options_.listen_address, options_.port)) {
    const int reason = errno;
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot listen on {} port {}: {}. Check that no other process uses "
                            "the port and that the address belongs to this machine.",
                            options_.listen_address, options_.port, std::strerror(reason)));
  }

  // cpp-httplib listens with a backlog of 5, which drops connections under
  // bursts of new clients; calling listen() again raises it.
  if (socket_ < 0 || ::listen(socket_, options_.listen_backlog) != 0) {
    return fail(ErrorCode::kIoError, fmt::format("Cannot set the listen backlog to {}: {}.",
                                                 options_.listen_backlog, std::strerror(errno)));
  }

  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return fail(ErrorCode::kIoError,
                fmt::format("Cannot read the bound port: {}.", std::strerror(errno)));
  }
  port_ = address.ss_family == AF_INET6
              ? ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port)
              : ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  return {};
}

Result<void> HttpListener::start() {
  if (server_) return fail(ErrorCode::kInvalidArgument, "The HTTP listener is already running.");
  if (options_.worker_threads < 1 || options_.max_body_bytes < 1 ||
      options_.read_timeout_seconds < 1 || options_.write_timeout_seconds < 1 ||
      options_.listen_backlog < 1 || options_.keep_alive_max_requests < 1) {
    return fail(ErrorCode::kInvalidArgument,
                "The HTTP listener needs positive worker_threads, max_body_bytes, timeouts, "
                "backlog and keep-alive limits.");
  }
  std::signal(SIGPIPE, SIG_IGN);

  auto access_log = openAccessLog(options_.access_log);
  if (!access_log) return tl::unexpected(access_log.error());
  access_log_ = std::move(*access_log);

  auto created = createServer();
  if (!created) return created;
  configureServer();
  if (auto bound = bind(); !bound) {
    server_.reset();
    port_ = 0;
    return bound;
  }

  // listen_after_bind() returns at once when it fails; the flag keeps the
  // wait below from spinning forever then.
  auto finished = std::make_shared<std::atomic<bool>>(false);
  httplib::Server* server = server_.get();
  thread_ = std::thread([server, finished] {
    if (!server->listen_after_bind()) spdlog::error("The HTTP listener stopped with an error.");
    finished->store(true);
  });
  // stop() does nothing before the accept loop runs, so wait for it.
  while (!server->is_running() && !finished->load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (finished->load()) {
    thread_.join();
    server_.reset();
    port_ = 0;
    return fail(ErrorCode::kIoError, "The HTTP listener failed to start accepting connections.");
  }
  spdlog::info("Serving {} on {} port {}", options_.plain_http ? "HTTP" : "HTTPS",
               options_.listen_address, port_);
  return {};
}

void HttpListener::stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
  spdlog::info("Stopped serving on port {}", port_);
  port_ = 0;
}

}  // namespace pk::server
