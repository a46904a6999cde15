// Feeds arbitrary text to the OSV parser. Properties: every advisory has a
// non-empty id and source "osv"; every range event and listed version of an
// ecosystem with a version scheme is valid in that scheme, except the
// introduced marker "0"; the report's counters agree with what was returned.
// A violated property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "advisory/ecosystem.h"
#include "advisory/osv.h"
#include "version/version.h"

namespace {

using namespace pk::advisory;

void require(bool property) {
  if (!property) __builtin_trap();
}

void checkAdvisory(const Advisory& advisory) {
  require(!advisory.id.empty());
  require(advisory.source == kOsvSource);
  for (const auto& alias : advisory.aliases) require(!alias.empty() && alias != advisory.id);
  for (const auto& package : advisory.affected) {
    require(!package.ecosystem.empty() && !package.name.empty());
    require(!package.ranges.empty() || !package.versions.empty());
    auto scheme = schemeForEcosystem(package.ecosystem);
    for (const auto& range : package.ranges) {
      for (const auto& event : range) {
        require(!event.version.empty());
        if (event.type == RangeEvent::Type::kIntroduced && event.version == "0") continue;
        if (scheme) require(pk::version::validate(*scheme, event.version).has_value());
      }
    }
    for (const auto& version : package.versions) {
      if (scheme) require(pk::version::validate(*scheme, version).has_value());
    }
  }
  if (advisory.cvss_score) require(*advisory.cvss_score >= 0.0 && *advisory.cvss_score <= 10.0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  LoadReport single;
  auto advisory = parseOsvRecord(text, "fuzz.json", single);
  if (advisory) checkAdvisory(*advisory);
  require(single.records_loaded == (advisory ? 1u : 0u));
  require(single.records_loaded + single.records_skipped + single.records_withdrawn == 1);
  require(single.issues.size() == single.records_skipped);

  LoadReport document;
  std::size_t sent = 0;
  parseOsvDocument(
      text, "fuzz.json",
      [&](Advisory&& a) {
        checkAdvisory(a);
        ++sent;
      },
      document);
  require(sent == document.records_loaded);
  require(document.issues.size() == document.records_skipped);

  // Each '\n'-separated line is also tried as a CVSS vector.
  auto score = cvssV3BaseScore(text.substr(0, text.find('\n')));
  if (score) require(*score >= 0.0 && *score <= 10.0);
  return 0;
}
