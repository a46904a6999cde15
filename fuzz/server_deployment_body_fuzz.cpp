// Feeds arbitrary bytes, as a request body, to the parser of new
// deployments. Checks what it accepts: a name within its limit, patch ids
// sorted and each once, a deadline after the available time, a positive
// restart deadline, and a reason for every emergency. A rejection must be
// a 4xx with a message. A violated property traps, so libFuzzer records
// the input.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/deployments.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto body = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  const auto now = *pk::parseRfc3339("2026-12-05T12:00:00Z");
  auto parsed = pk::server::parseDeploymentRequest(body, now);
  if (const auto* rejection = std::get_if<pk::server::Rejection>(&parsed)) {
    require(rejection->status >= 400 && rejection->status < 500);
    require(!rejection->message.empty());
    return 0;
  }
  const auto& request = std::get<pk::server::DeploymentRequest>(parsed);
  require(!request.name.empty() && request.name.size() <= 200);
  require(std::is_sorted(request.patch_ids.begin(), request.patch_ids.end()));
  require(std::adjacent_find(request.patch_ids.begin(), request.patch_ids.end()) ==
          request.patch_ids.end());
  require(request.deadline > request.available_at);
  if (request.restart_deadline_seconds) require(*request.restart_deadline_seconds > 0);
  if (request.emergency) require(!request.reason.empty());
  return 0;
}
