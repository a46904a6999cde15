// Feeds arbitrary bytes, as a request body, to the parser of maintenance
// window bodies that POST and PUT /api/v1/windows use. Checks what it
// accepts: every required field set, a positive length, and a rule that
// builds again from the stored text forms, so what is stored can always
// be read back. A refusal must be a 4xx with a message. A violated
// property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/calendar.h"
#include "server/window_routes.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return 0;

  pk::store::WindowRecord window;
  const auto rejection = pk::server::applyWindowBody(body, window);
  if (rejection) {
    require(rejection->status >= 400 && rejection->status < 500);
    require(!rejection->body.empty());
    return 0;
  }
  require(!window.name.empty());
  require(!window.rrule.empty());
  require(window.length_seconds > 0);
  auto rule = pk::server::windowRuleOf(window);
  require(rule.has_value());
  // A bounded query must not fail on a rule the parser accepted.
  (void)rule->nextOccurrence(pk::SystemTime{});
  return 0;
}
