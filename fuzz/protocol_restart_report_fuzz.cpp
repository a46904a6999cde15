// Checks the restart report parsers on arbitrary text. A parsed report
// stays within its bounds, with well-formed event and job ids, and a
// pending report carries its deadline. Serializing a parsed message and
// parsing it again must succeed and give the same JSON. A violated
// property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/jobs.h"
#include "protocol/restart_report.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

template <typename Parse>
void requireRoundTrip(const nlohmann::json& json, Parse parse) {
  auto again = parse(json.dump());
  require(again.has_value());
  require(pk::protocol::toJson(*again) == json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace pk::protocol;

  if (auto report = parseRestartReport(text)) {
    require(report->events.size() <= kMaxRestartEvents);
    require(report->job_ids.size() <= kMaxRestartJobs);
    for (const auto& job_id : report->job_ids) require(isJobId(job_id));
    for (const RestartEvent& event : report->events) {
      require(isRestartEventId(event.event_id));
      require(event.user.size() <= kMaxRestartUserLength);
    }
    if (report->pending) require(report->deadline.has_value());
    requireRoundTrip(toJson(*report), parseRestartReport);
  }
  if (auto response = parseRestartReportResponse(text)) {
    requireRoundTrip(toJson(*response), parseRestartReportResponse);
  }
  return 0;
}
