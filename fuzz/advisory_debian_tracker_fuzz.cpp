// Feeds arbitrary bytes to parseDebianTrackerJson and checks what it
// promises: a failed parse sends nothing, every advisory has an id and one
// range per affected release, ids arrive sorted and unique, and every fixed
// version passes dpkg's rules.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "advisory/debian_tracker.h"
#include "version/dpkg.h"

namespace {

using pk::advisory::Advisory;
using pk::advisory::RangeEvent;

void require(bool condition) {
  if (!condition) std::abort();
}

void checkAdvisory(const Advisory& advisory) {
  require(!advisory.id.empty());
  require(advisory.source == pk::advisory::kDebianTrackerSource);
  for (const auto& affected : advisory.affected) {
    require(affected.ecosystem.rfind("Debian:", 0) == 0);
    require(pk::advisory::isValidDebianPackageName(affected.name));
    require(affected.name_kind == pk::advisory::PackageNameKind::kSource);
    require(affected.ranges.size() == 1);
    const auto& events = affected.ranges[0];
    require(!events.empty() && events.size() <= 2);
    require(events[0].type == RangeEvent::Type::kIntroduced && events[0].version == "0");
    if (events.size() == 2) {
      require(events[1].type == RangeEvent::Type::kFixed);
      require(events[1].version != "0");
      require(pk::version::dpkg::parse(events[1].version).has_value());
    }
    if (affected.severity) require(*affected.severity <= advisory.severity);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  pk::advisory::LoadReport report;
  std::size_t sent = 0;
  std::string previous_id;
  auto result = pk::advisory::parseDebianTrackerJson(
      json, "fuzz.json",
      [&](Advisory&& advisory) {
        checkAdvisory(advisory);
        require(sent == 0 || previous_id < advisory.id);
        previous_id = advisory.id;
        ++sent;
      },
      report);

  if (!result) require(sent == 0 && !result.error().message.empty());
  require(report.records_loaded == sent);
  require(report.records_skipped == report.issues.size());
  for (const auto& issue : report.issues) {
    require(issue.file == "fuzz.json");
    require(!issue.field.empty() && issue.field[0] == '/');
    require(!issue.message.empty());
  }
  return 0;
}
