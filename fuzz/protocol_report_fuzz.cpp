// Checks parseReport and parseReportResponse on arbitrary text. A parsed
// report must have a valid report id and, when it carries an inventory, a
// hash that matches it and packages within the bound. Serializing a parsed
// message and parsing it again must succeed and give the same JSON. A
// violated property traps, so libFuzzer records the input.

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

  if (auto report = pk::protocol::parseReport(text)) {
    require(pk::protocol::isReportId(report->report_id));
    require(report->security_updates.size() <= pk::protocol::kMaxSecurityUpdates);
    for (const auto& update : report->security_updates) {
      require(update.changelog.size() <= pk::protocol::kMaxChangelogEntriesPerUpdate);
      require(pk::protocol::changelogBytes(update.changelog) <=
              pk::protocol::kMaxChangelogBytesPerUpdate);
    }
    if (report->inventory) {
      require(report->inventory->packages.size() <= pk::protocol::kMaxPackages);
      require(pk::protocol::inventoryHash(*report->inventory) == report->inventory_hash);
    }
    const auto json = pk::protocol::toJson(*report);
    auto again = pk::protocol::parseReport(json.dump());
    require(again.has_value());
    require(pk::protocol::toJson(*again) == json);
  }

  if (auto response = pk::protocol::parseReportResponse(text)) {
    require(response->next_checkin_seconds >= 0);
    require(response->next_checkin_seconds <= pk::protocol::kMaxNextCheckinSeconds);
    const auto json = pk::protocol::toJson(*response);
    auto again = pk::protocol::parseReportResponse(json.dump());
    require(again.has_value());
    require(pk::protocol::toJson(*again) == json);
  }
  return 0;
}
