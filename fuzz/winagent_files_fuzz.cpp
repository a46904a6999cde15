// Checks the Windows agent's readers of agent.json, identity.json and
// job-outbox.json on arbitrary text. An accepted configuration has a server URL of an allowed
// scheme, a well-formed pin or none, and an interval from 1 to 10080
// minutes. An accepted identity or job outbox is written back as text that
// reads back equal. A violated property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/messages.h"
#include "winagent/agent_files.h"
#include "winagent/pin.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto config = pk::winagent::parseWindowsAgentConfig(text, "agent.json")) {
    require(config->server_url.starts_with("https://") ||
            (config->allow_plain_http && config->server_url.starts_with("http://")));
    require(config->server_pin.empty() || pk::winagent::isPublicKeyPin(config->server_pin));
    require(config->interval_minutes >= 1 && config->interval_minutes <= 10080);
  }

  if (auto identity = pk::winagent::parseHostIdentity(text, "identity.json")) {
    require(pk::protocol::isHostId(identity->host_id));
    require(identity->token.size() == 64);
    auto again = pk::winagent::parseHostIdentity(pk::winagent::toJsonText(*identity), "again");
    require(again.has_value());
    require(*again == *identity);
  }
  if (auto queued = pk::winagent::parseJobOutbox(text, "job-outbox.json")) {
    require(queued->size() <= pk::winagent::kMaxQueuedJobEvents);
    const std::string written = pk::winagent::jobOutboxText(*queued);
    auto again = pk::winagent::parseJobOutbox(written, "again");
    require(again.has_value());
    require(pk::winagent::jobOutboxText(*again) == written);
  }
  return 0;
}
