// Feeds arbitrary text to the KEV catalog parser. Properties: every entry
// is keyed by its own upper-case CVE id, dates have the YYYY-MM-DD shape,
// and the report counts each entry once. A violated property traps.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "advisory/kev.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pk::advisory::LoadReport report;
  auto entries = pk::advisory::parseKevCatalog(text, "fuzz.json", report);
  if (!entries) {
    require(report.records_loaded == 0 && report.issues.empty());
    return 0;
  }
  require(entries->size() == report.records_loaded);
  require(report.issues.size() == report.records_skipped);
  for (const auto& [id, entry] : *entries) {
    require(id == entry.cve_id);
    require(pk::advisory::normalizeCveId(id) == id);
    require(entry.date_added.size() == 10 && entry.due_date.size() == 10);
  }
  return 0;
}
