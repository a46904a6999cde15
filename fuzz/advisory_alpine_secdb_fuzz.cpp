// Feeds arbitrary text to the Alpine secdb parser and checks what it emits:
// every advisory has an id and at least one affected package, every package
// has a name and an Alpine ecosystem, every fixed version is a valid apk
// version, and the report's counters agree with its issues. A violated
// property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "advisory/alpine_secdb.h"
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
  require(!advisory.affected.empty());
  for (const auto& affected : advisory.affected) {
    require(!affected.name.empty());
    const auto scheme = pk::advisory::schemeForEcosystem(affected.ecosystem);
    require(scheme == pk::version::Scheme::kApk);
    for (const auto& range : affected.ranges) {
      for (const auto& event : range) {
        if (event.type != RangeEvent::Type::kFixed) continue;
        require(pk::version::validate(*scheme, event.version).has_value());
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  pk::advisory::LoadReport report;
  std::size_t emitted = 0;
  auto parsed = pk::advisory::parseAlpineSecdb(
      text, "fuzz.json",
      [&emitted](Advisory&& advisory) {
        checkAdvisory(advisory);
        ++emitted;
      },
      report);

  require(report.records_loaded == emitted);
  require(report.records_skipped == report.issues.size());
  if (!parsed) require(emitted == 0);
  return 0;
}
