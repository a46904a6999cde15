// Feeds arbitrary text to the EPSS parser, as JSON or CSV by its first
// character. Properties: keys are upper-case CVE ids, probabilities and
// percentiles lie in 0..1, and the report counts each score once. A
// violated property traps.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "advisory/epss.h"
#include "advisory/kev.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pk::advisory::LoadReport report;
  auto scores = pk::advisory::parseEpss(text, "fuzz", report);
  if (!scores) return 0;
  require(scores->size() == report.records_loaded);
  require(report.issues.size() == report.records_skipped);
  for (const auto& [id, score] : *scores) {
    require(pk::advisory::normalizeCveId(id) == id);
    require(score.probability >= 0.0 && score.probability <= 1.0);
    require(score.percentile >= 0.0 && score.percentile <= 1.0);
  }
  return 0;
}
