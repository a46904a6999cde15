// Feeds arbitrary bytes, as a request body, to the parser of deployment
// rules, and checks each rule it accepts. The name is non-empty and within
// its limit, and the rule repeats at most daily. The local start parses
// again to the same text. The offset and the deadline are within their
// limits, and the window machinery accepts the schedule. A violated
// property traps, so libFuzzer records the input.

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/deployment_rules.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  auto parsed = pk::server::parseDeploymentRuleRequest(body);
  if (const auto* rejection = std::get_if<pk::server::Rejection>(&parsed)) {
    require(rejection->status == 400);
    require(!rejection->message.empty());
    return 0;
  }
  const auto& rule = std::get<pk::store::DeploymentRuleRecord>(parsed);
  require(!rule.name.empty() && rule.name.size() <= 200);
  std::string upper = rule.rrule;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* part :
       {"FREQ=HOURLY", "FREQ=MINUTELY", "FREQ=SECONDLY", "BYHOUR", "BYMINUTE", "BYSECOND"}) {
    require(upper.find(part) == std::string::npos);
  }
  require(rule.deadline_seconds > 0 &&
          rule.deadline_seconds <= pk::server::kMaxRuleDeadlineSeconds);
  require(rule.offset_days >= -pk::schedule::kMaxOffsetDays &&
          rule.offset_days <= pk::schedule::kMaxOffsetDays);
  require(!rule.ring_sequence.empty());
  auto local = pk::schedule::parseLocalDateTime(rule.start_local);
  require(local.has_value());
  require(pk::schedule::formatLocal(*local) == rule.start_local);
  require(pk::server::scheduleOf(rule).has_value());
  return 0;
}
