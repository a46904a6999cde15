#pragma once

// The Transport that sends requests through WinHTTP. With a pin, the
// server's public key is checked three times:
//   - before a request with the host token or a body, a probe
//     (GET kProbePath, without token or body) must present the pinned key;
//   - when WinHTTP reports WINHTTP_CALLBACK_STATUS_SENDING_REQUEST, after
//     the TLS handshake, a mismatch closes the request before Windows sends
//     it (Wine 8 sends it anyway, and only the probe protects the token);
//   - once the response arrived, a mismatch discards it.

#include <memory>

#include "winagent/transport.h"

namespace pk::winagent {

// The server's public health check, which needs no token.
inline constexpr std::string_view kProbePath = "/healthz";

class WinHttpTransport final : public Transport {
 public:
  // Checks the options as buildRequestSpec does and opens a WinHTTP
  // session. Fails with kInvalidArgument for bad options and kIoError when
  // WinHttpOpen fails.
  static Result<std::unique_ptr<WinHttpTransport>> create(TransportOptions options);
  ~WinHttpTransport() override;

  WinHttpTransport(const WinHttpTransport&) = delete;
  WinHttpTransport& operator=(const WinHttpTransport&) = delete;

  // Fails with kIoError naming the WinHTTP error when no response arrives,
  // and, with a pin, naming both pins when the server's key differs.
  Result<HttpResponse> send(const HttpRequest& request) override;

  void setBearerToken(std::string token) { options_.bearer_token = std::move(token); }

 private:
  WinHttpTransport(TransportOptions options, void* session);
  // Sends one built request and reads its response.
  Result<HttpResponse> exchange(const WinHttpRequestSpec& spec);

  TransportOptions options_;
  void* session_;  // HINTERNET
};

}  // namespace pk::winagent
