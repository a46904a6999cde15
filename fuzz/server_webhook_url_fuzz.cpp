// Feeds arbitrary text to the webhook URL parser, with and without the
// loopback-http setting, and checks what it accepts: https, or http only
// to a loopback address when allowed; a host; a port from 1 to 65535; a
// path starting with '/'. A violated property traps, so libFuzzer records
// the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/webhooks.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool allow_http : {false, true}) {
    auto parsed = pk::server::parseWebhookUrl(text, allow_http);
    if (!parsed) continue;
    require(!parsed->host.empty());
    require(parsed->port >= 1 && parsed->port <= 65535);
    require(!parsed->path.empty() && parsed->path.front() == '/');
    if (!parsed->tls) require(allow_http);
  }
  return 0;
}
