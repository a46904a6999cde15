// Checks the job message parsers on arbitrary text. A parsed job list stays
// within its bounds, with well-formed ids and windows that end after they
// start; a parsed event carries an agent-reportable state. Serializing a
// parsed message and parsing it again must succeed and give the same JSON.
// A violated property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "protocol/jobs.h"

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

  if (auto list = parseJobList(text)) {
    require(list->jobs.size() <= kMaxJobsPerList);
    for (const JobOrder& order : list->jobs) {
      require(isJobId(order.job_id));
      require(order.packages.size() <= kMaxJobPackages);
      for (const auto& window : order.windows) require(window.end > window.start);
      if (order.pre_hook) require(isHookName(*order.pre_hook));
    }
    requireRoundTrip(toJson(*list), parseJobList);
  }
  if (auto order = parseJobOrder(text)) requireRoundTrip(toJson(*order), parseJobOrder);
  if (auto event = parseJobEvent(text)) {
    require(pk::deploy::isAgentReportable(event->state));
    require(event->output.size() <= kMaxJobOutputBytes);
    requireRoundTrip(toJson(*event), parseJobEvent);
  }
  if (auto response = parseJobEventResponse(text)) {
    requireRoundTrip(toJson(*response), parseJobEventResponse);
  }
  return 0;
}
