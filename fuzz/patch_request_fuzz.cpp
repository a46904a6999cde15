// Feeds arbitrary bytes, as a request body, to the parsers of patch
// decisions and approval rules. Checks what they accept: a decision of
// "approved" or "declined" with a reason within its limit (never empty for
// a decline), and a rule with a non-empty name, a known minimum severity
// and text within the limits. A violated property traps, so libFuzzer
// records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/advisory_codec.h"
#include "server/patch_routes.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

void checkDecision(const nlohmann::json& body) {
  auto parsed = pk::server::parsePatchDecisionBody(body);
  if (const auto* rejection = std::get_if<pk::server::PatchBodyRejection>(&parsed)) {
    require(rejection->status == 400);
    require(!rejection->message.empty());
    return;
  }
  const auto& decision = std::get<pk::server::PatchDecisionBody>(parsed);
  require(decision.decision == "approved" || decision.decision == "declined");
  require(decision.reason.size() <= pk::server::kMaxDecisionReasonBytes);
  require(decision.reason.find('\0') == std::string::npos);
  if (decision.decision == "declined") require(!decision.reason.empty());
}

void checkRule(const nlohmann::json& body) {
  auto parsed = pk::server::parseApprovalRuleBody(body);
  if (const auto* rejection = std::get_if<pk::server::PatchBodyRejection>(&parsed)) {
    require(rejection->status == 400);
    require(!rejection->message.empty());
    return;
  }
  const auto& rule = std::get<pk::store::ApprovalRuleRecord>(parsed);
  require(!rule.name.empty());
  require(rule.name.size() <= pk::server::kMaxRuleNameBytes);
  require(rule.ecosystem.size() <= pk::server::kMaxRuleEcosystemBytes);
  require(pk::server::parseSeverityName(rule.minimum_severity).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded()) return 0;
  checkDecision(body);
  checkRule(body);
  return 0;
}
