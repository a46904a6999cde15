// Checks parseEnrolRequest and parseEnrolResponse on arbitrary text. A
// parsed request has a non-empty secret and machine id within the string
// bound; a parsed response has a host id and a 64-digit token. Serializing
// a parsed message and parsing it again must give the same JSON. A violated
// property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/messages.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto request = pk::protocol::parseEnrolRequest(text)) {
    require(!request->secret.empty() && request->secret.size() <= pk::protocol::kMaxStringLength);
    require(!request->machine_id.empty());
    require(request->hostname.size() <= pk::protocol::kMaxStringLength);
    const auto json = pk::protocol::toJson(*request);
    auto again = pk::protocol::parseEnrolRequest(json.dump());
    require(again.has_value());
    require(pk::protocol::toJson(*again) == json);
  }

  if (auto response = pk::protocol::parseEnrolResponse(text)) {
    require(pk::protocol::isHostId(response->host_id));
    require(response->token.size() == 64);
    const auto json = pk::protocol::toJson(*response);
    auto again = pk::protocol::parseEnrolResponse(json.dump());
    require(again.has_value());
    require(pk::protocol::toJson(*again) == json);
  }
  return 0;
}
