#pragma once

// A small HTTPS client for patchkeeper's JSON API, shared by the agent and
// the `patchkeeper` command. It connects to one server, trusts it in one of
// three ways, and returns the status and body of every response. Only a
// request that gets no response at all is an error.
//
// Trust, in order of precedence:
//   - a pinned key: "sha256:" + 64 lower-case hex digits of the SHA-256 of
//     the server certificate's DER SubjectPublicKeyInfo. The pin alone
//     decides: the certificate's issuer, names and dates are not checked,
//     which suits the self-signed certificate a fresh server generates.
//   - a CA file (PEM): the chain must lead to one of its certificates and
//     the certificate must name the URL's host.
//   - the system's trust store, with the same checks.
// Plain http:// is accepted only when allow_plain_http is set, for tests on
// loopback.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/error.h"

namespace pk::protocol {

struct ApiClientOptions {
  // "https://host[:port][/prefix]" (port 443 by default) or, with
  // allow_plain_http, "http://host[:port][/prefix]" (port 80). An IPv6
  // literal goes in brackets. A prefix is put before every request path.
  // Every member has an initializer, so designated initializers may leave
  // any of them out without -Wmissing-field-initializers.
  std::string base_url{};
  std::string server_pin{};  // "sha256:<64 hex>", or empty
  std::string ca_file{};     // PEM file of trusted CAs, or empty for the system store
  bool allow_plain_http = false;
  std::string bearer_token{};  // sent as "Authorization: Bearer ..." when not empty
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{60};
  std::chrono::seconds write_timeout{60};
};

// A server's response. Any HTTP status, including 4xx and 5xx, is a
// response, not an error.
struct ApiResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

// Returns whether `pin` has the form "sha256:" followed by 64 lower-case
// hex digits.
bool isPublicKeyPin(std::string_view pin);

// Returns the pin ("sha256:<hex>") of the public key in a PEM certificate.
// Fails with kMalformedInput when `certificate_pem` contains no readable
// certificate.
Result<std::string> publicKeyPinFromPem(std::string_view certificate_pem);

// A client of one server, opening a new connection for each request. Not
// thread-safe: use one client per thread. Movable, not copyable. Creating a
// client sets SIGPIPE to ignored for the whole process, so that a server
// closing a TLS connection mid-write fails that request instead of ending
// the process.
class ApiClient {
 public:
  // Checks the options and prepares the TLS context; no connection is made
  // yet. Fails with kInvalidArgument when the URL is not http(s)://host...,
  // when it is http:// without allow_plain_http, when the pin is not
  // "sha256:" + 64 lower-case hex digits, or when both a pin and a CA file
  // are given. Fails with kNotFound when the CA file does not exist, with
  // kInvalidArgument when it contains no PEM certificate, and with kIoError
  // when OpenSSL cannot set up the context.
  static Result<ApiClient> create(ApiClientOptions options);

  ApiClient(ApiClient&&) noexcept;
  ApiClient& operator=(ApiClient&&) noexcept;
  ~ApiClient();

  // Replaces the bearer token sent with later requests (empty: none).
  void setBearerToken(std::string token);

  // The normalized base URL, "https://host:port/prefix" without a trailing
  // slash, for messages.
  const std::string& baseUrl() const;

  // Each sends one request to base URL + `path` ("/api/v1/..."); bodies are
  // sent as application/json. Returns the response whatever its status.
  // Fails with kIoError when no response arrives because the connection is
  // refused, times out or breaks, or because TLS fails. A pin mismatch
  // names the configured pin and the one the server presented, and a CA
  // failure names OpenSSL's reason.
  Result<ApiResponse> get(std::string_view path);
  Result<ApiResponse> post(std::string_view path, std::string_view json_body);
  Result<ApiResponse> patch(std::string_view path, std::string_view json_body);
  Result<ApiResponse> put(std::string_view path, std::string_view json_body);
  Result<ApiResponse> del(std::string_view path);

  // The job routes of the agent protocol (protocol/jobs.h), with the
  // errors of get() and post(). fetchJobs sends
  // GET /api/v1/hosts/{host_id}/jobs; postJobEvent posts a JobEvent's JSON
  // to /api/v1/hosts/{host_id}/jobs/{job_id}/events.
  Result<ApiResponse> fetchJobs(std::string_view host_id);
  Result<ApiResponse> postJobEvent(std::string_view host_id, std::string_view job_id,
                                   std::string_view event_json);

 private:
  struct State;
  explicit ApiClient(std::unique_ptr<State> state);
  Result<ApiResponse> send(std::string_view method, std::string_view path, std::string_view body);

  std::unique_ptr<State> state_;
};

}  // namespace pk::protocol
