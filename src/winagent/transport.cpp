#include "winagent/transport.h"

#include <windows.h>

#include <array>
#include <charconv>

#include <fmt/format.h>

#include "winagent/pin.h"

namespace pk::winagent {
namespace {

Result<ServerUrl> invalidUrl(std::string_view url, std::string_view reason) {
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("The server URL \"{}\" is invalid: {}.", url, reason));
}

bool isAllowedMethod(std::string_view method) {
  static constexpr std::array<std::string_view, 5> kMethods{"GET", "POST", "PUT", "PATCH",
                                                            "DELETE"};
  for (auto allowed : kMethods) {
    if (method == allowed) return true;
  }
  return false;
}

}  // namespace

Result<ServerUrl> parseServerUrl(std::string_view url, bool allow_plain_http) {
  ServerUrl parsed;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    if (!allow_plain_http) {
      return invalidUrl(url,
                        "it uses http://, which only tests on loopback may use "
                        "(allow_plain_http)");
    }
    parsed.secure = false;
    parsed.port = 80;
    rest.remove_prefix(7);
  } else {
    return invalidUrl(url, "it must start with https://");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return invalidUrl(url, "it must not have a query or a fragment");
  }

  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  parsed.prefix = std::string(prefix);
  if (authority.find('@') != std::string_view::npos) {
    return invalidUrl(url, "it must not contain a user name or password");
  }

  std::string_view port_text;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalidUrl(url, "an IPv6 address lacks its ']'");
    parsed.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalidUrl(url, "text follows the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return invalidUrl(url, "the port is empty");
    }
  } else {
    const std::size_t colon = authority.find(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return invalidUrl(url, "the port is empty");
    }
  }
  if (parsed.host.empty()) return invalidUrl(url, "it has no host");

  if (!port_text.empty()) {
    unsigned port = 0;
    auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (error != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return invalidUrl(url, "the port must be a number from 1 to 65535");
    }
    parsed.port = static_cast<std::uint16_t>(port);
  }
  return parsed;
}

Result<WinHttpRequestSpec> buildRequestSpec(const TransportOptions& options,
                                            const HttpRequest& request) {
  auto url = parseServerUrl(options.base_url, options.allow_plain_http);
  if (!url) return tl::unexpected(url.error());
  if (!options.server_pin.empty() && !isPublicKeyPin(options.server_pin)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The server pin \"{}\" is invalid: it must be \"sha256:\" followed by "
                            "64 lower-case hex digits.",
                            options.server_pin));
  }
  if (!isAllowedMethod(request.method)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The HTTP method \"{}\" is not supported.", request.method));
  }
  if (!request.path.starts_with("/")) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("The request path \"{}\" must start with \"/\".", request.path));
  }
  for (char c : request.path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return fail(ErrorCode::kInvalidArgument,
                  "The request path contains a space or a control character.");
    }
  }
  const std::string& token =
      request.bearer_token.empty() ? options.bearer_token : request.bearer_token;
  for (char c : token) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) {
      return fail(ErrorCode::kInvalidArgument,
                  "The host token contains a character outside printable ASCII; enrol again.");
    }
  }

  WinHttpRequestSpec spec;
  auto host = toWide(url->host);
  auto object_name = toWide(url->prefix + request.path);
  if (!host || !object_name) {
    return fail(ErrorCode::kInvalidArgument, "The server URL or the path is not valid UTF-8.");
  }
  spec.host = std::move(*host);
  spec.port = url->port;
  spec.verb = std::wstring(request.method.begin(), request.method.end());
  spec.object_name = std::move(*object_name);
  spec.secure = url->secure;

  std::string headers = "Accept: application/json\r\n";
  if (!request.body.empty()) headers += "Content-Type: application/json\r\n";
  if (!token.empty()) {
    headers += fmt::format("Authorization: Bearer {}\r\n", token);
    spec.has_token = true;
  }
  spec.headers = std::wstring(headers.begin(), headers.end());  // ASCII only, checked above

  if (url->secure && !options.server_pin.empty()) {
    spec.pin = options.server_pin;
    spec.ignore_certificate_errors = true;
  }
  spec.body = request.body;
  return spec;
}

Result<std::wstring> toWide(std::string_view text) {
  if (text.empty()) return std::wstring();
  const int size = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text.data(),
                                       static_cast<int>(text.size()), nullptr, 0);
  if (size <= 0) {
    return fail(ErrorCode::kMalformedInput, "The text is not valid UTF-8.");
  }
  std::wstring wide(static_cast<std::size_t>(size), L'\0');
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text.data(), static_cast<int>(text.size()),
                      wide.data(), size);
  return wide;
}

std::string toUtf8(std::wstring_view text) {
  if (text.empty()) return {};
  const int size = WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()),
                                       nullptr, 0, nullptr, nullptr);
  if (size <= 0) return {};
  std::string narrow(static_cast<std::size_t>(size), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text.data(), static_cast<int>(text.size()), narrow.data(), size,
                      nullptr, nullptr);
  return narrow;
}

}  // namespace pk::winagent
