#pragma once

// The Transport that sends requests through WinHTTP. With a pin, the
// server's public key is checked when WinHTTP reports
// WINHTTP_CALLBACK_STATUS_SENDING_REQUEST, after the TLS handshake and
// before the request headers (with the host token) and body leave, and a
// mismatch closes the request. The key is checked again once the response
// arrived, and a mismatch then discards the response.

#include <memory>

#include "winagent/transport.h"

namespace pk::winagent {

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

  TransportOptions options_;
  void* session_;  // HINTERNET
};

}  // namespace pk::winagent
