#include "cli/admin_transport.h"

#include <utility>

#include "protocol/api_client.h"

namespace pk::cli {
namespace {

class ApiClientTransport final : public ApiTransport {
 public:
  explicit ApiClientTransport(protocol::ApiClient client) : client_(std::move(client)) {}

  Result<ApiResponse> send(std::string_view method, const std::string& target,
                           const std::string& body) override {
    Result<protocol::ApiResponse> response = fail(ErrorCode::kInvalidArgument, "");
    if (method == "GET") {
      response = client_.get(target);
    } else if (method == "POST") {
      response = client_.post(target, body);
    } else if (method == "PATCH") {
      response = client_.patch(target, body);
    } else if (method == "DELETE") {
      response = client_.del(target);
    } else {
      return fail(ErrorCode::kInternal,
                  "the API client cannot send HTTP method " + std::string(method));
    }
    if (!response) return tl::unexpected(response.error());
    return ApiResponse{response->status, std::move(response->body)};
  }

 private:
  protocol::ApiClient client_;
};

bool isPlainHttp(const std::string& url) {
  return url.rfind("http://", 0) == 0;
}

}  // namespace

Result<std::unique_ptr<ApiTransport>> makeApiTransport(const ClientConfig& config) {
  if (auto valid = validateServerUrl(config.server_url); !valid) {
    return tl::unexpected(valid.error());
  }
  if (!config.pin.empty()) {
    if (auto valid = validatePin(config.pin); !valid) return tl::unexpected(valid.error());
  }

  protocol::ApiClientOptions options;
  options.base_url = config.server_url;
  options.server_pin = config.pin;
  // applyOverrides keeps only one of the two. A hand-edited file may have
  // both, and then the pin wins because it is the stricter choice.
  options.ca_file = config.pin.empty() ? config.ca_file : "";
  // validateServerUrl accepted http:// only for a loopback host.
  options.allow_plain_http = isPlainHttp(config.server_url);
  options.bearer_token = config.token;

  auto client = protocol::ApiClient::create(std::move(options));
  if (!client) return tl::unexpected(client.error());
  return std::unique_ptr<ApiTransport>(std::make_unique<ApiClientTransport>(std::move(*client)));
}

}  // namespace pk::cli
