// Checks the agent's control socket protocol on arbitrary bytes. A request
// line that parses must format back to a line that parses to the same
// request. A reply line that parses must do the same with its fields. A
// violated property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "desktop/control_protocol.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

void checkRequest(std::string_view text) {
  const auto request = pk::desktop::parseControlRequest(text);
  if (!request) return;
  const auto again = pk::desktop::parseControlRequest(pk::desktop::formatControlRequest(*request));
  require(again.has_value());
  require(again->verb == request->verb);
  require(again->snooze == request->snooze);
  require(again->restart_at == request->restart_at);
}

void checkReply(std::string_view text) {
  const auto reply = pk::desktop::parseControlReply(text);
  if (!reply) return;
  const auto again = pk::desktop::parseControlReply(pk::desktop::formatControlReply(*reply));
  require(again.has_value());
  require(again->ok == reply->ok);
  require(again->status.has_value() == reply->status.has_value());
  if (reply->status) {
    require(again->status->deadline == reply->status->deadline);
    require(again->status->next_reminder == reply->status->next_reminder);
    require(again->status->choices.size() == reply->status->choices.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  checkRequest(text);
  checkReply(text);
  return 0;
}
