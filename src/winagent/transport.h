#pragma once

// How the Windows agent talks to the server: a small transport interface,
// the pure request building that the WinHTTP transport (winhttp_transport.h)
// feeds to WinHTTP, and the server URL rules of the Linux agent
// (protocol/api_client.h). Tests build requests without a network.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"

namespace pk::winagent {

struct HttpRequest {
  std::string method;  // "GET", "POST", "PUT", "PATCH" or "DELETE"
  std::string path;    // "/api/v1/...", appended to the server URL's prefix
  std::string body;    // sent as application/json when not empty
  // Sent as "Authorization: Bearer ..." in place of the options' token when
  // not empty.
  std::string bearer_token{};
};

// A server's response. Any HTTP status is a response, not an error.
struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one request. Fails only when no response arrives: the connection
  // fails, times out, TLS fails or the server's key does not match the pin.
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

struct TransportOptions {
  std::string base_url{};    // "https://host[:port][/prefix]"
  std::string server_pin{};  // "sha256:<64 hex>", or empty for the Windows trust store
  bool allow_plain_http = false;
  std::string bearer_token{};  // sent as "Authorization: Bearer ..." when not empty
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds read_timeout{60};
};

// The parts of a server URL.
struct ServerUrl {
  bool secure = true;
  std::string host;  // without brackets for an IPv6 literal
  std::uint16_t port = 443;
  std::string prefix;  // "" or "/prefix", without a trailing slash
};

// Parses "https://host[:port][/prefix]" or, with `allow_plain_http`,
// "http://host[:port][/prefix]". An IPv6 literal goes in brackets. Fails
// with kInvalidArgument naming the URL when it has another scheme, no host,
// a port outside 1 to 65535, a user part, a query or a fragment.
Result<ServerUrl> parseServerUrl(std::string_view url, bool allow_plain_http);

// Everything WinHttpConnect, WinHttpOpenRequest, WinHttpSetOption and
// WinHttpSendRequest receive for one request, as UTF-16 where WinHTTP takes
// wide strings.
struct WinHttpRequestSpec {
  std::wstring host;
  std::uint16_t port = 443;
  std::wstring verb;
  std::wstring object_name;  // prefix + path
  // "Name: value\r\n" lines: Content-Type for a body, Authorization for a
  // token, Accept always.
  std::wstring headers;
  bool secure = true;  // WINHTTP_FLAG_SECURE
  // The pin the server's key must match before the request is sent, or
  // empty to let WinHTTP check the chain against the Windows trust store.
  std::string pin;
  // With a pin, the chain, name and date checks are switched off
  // (SECURITY_FLAG_IGNORE_*), because the pin alone decides, as on Linux.
  bool ignore_certificate_errors = false;
  std::string body;
  bool has_token = false;  // an Authorization header is among the headers
};

// Builds the WinHTTP parameters of `request`. Fails with kInvalidArgument
// for a bad URL (parseServerUrl), a malformed pin or a method outside the
// five above. A path must start with "/" and contain no space or control
// character. A token must be printable ASCII, so that it cannot inject a
// header.
Result<WinHttpRequestSpec> buildRequestSpec(const TransportOptions& options,
                                            const HttpRequest& request);

// Converts UTF-8 to UTF-16 and back. Invalid UTF-8 fails with
// kMalformedInput.
Result<std::wstring> toWide(std::string_view text);
std::string toUtf8(std::wstring_view text);

}  // namespace pk::winagent
