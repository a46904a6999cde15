// Feeds arbitrary text to the CSAF parser and checks what it emits: the
// advisory has an id, every affected package has a name and an ecosystem
// whose version scheme is rpm, every fixed version is a valid rpm EVR, and no
// (ecosystem, name, kind, fixed) entry appears twice. A violated property
// traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <tuple>

#include "advisory/csaf.h"
#include "advisory/ecosystem.h"
#include "version/version.h"

namespace {

using pk::advisory::Advisory;
using pk::advisory::RangeEvent;

void require(bool property) {
  if (!property) __builtin_trap();
}

void checkAdvisory(const Advisory& advisory) {
  require(!advisory.id.empty());
  std::set<std::tuple<std::string, std::string, int, std::string>> seen;
  for (const auto& affected : advisory.affected) {
    require(!affected.name.empty());
    const auto scheme = pk::advisory::schemeForEcosystem(affected.ecosystem);
    require(scheme == pk::version::Scheme::kRpm);
    for (const auto& range : affected.ranges) {
      for (const auto& event : range) {
        if (event.type != RangeEvent::Type::kFixed) continue;
        require(pk::version::validate(*scheme, event.version).has_value());
        const bool inserted = seen.emplace(affected.ecosystem, affected.name,
                                           static_cast<int>(affected.name_kind), event.version)
                                  .second;
        require(inserted);
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  pk::advisory::LoadReport report;
  std::size_t emitted = 0;
  auto parsed = pk::advisory::parseCsafDocument(
      text, "fuzz.json",
      [&emitted](Advisory&& advisory) {
        checkAdvisory(advisory);
        ++emitted;
      },
      report);

  require(emitted <= 1);
  require(report.records_loaded == emitted);
  require(report.records_skipped == report.issues.size());
  require(parsed.has_value() == (emitted == 1));
  return 0;
}
