// Feeds arbitrary bytes to the CVE -> KB mapping readers. The first byte picks
// the form ('j' for JSON, anything else for CSV) and the rest is the text. A
// rejected table loads nothing and reports nothing. An accepted one returns
// as many rows as the report counts, and each has an upper-case CVE id, a KB
// number of digits only, a product and a fixed build. A violated property
// traps.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "advisory/kb_mapping.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

bool isDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  bool json = data[0] == 'j';
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  pk::advisory::LoadReport report;
  auto rows = json ? pk::advisory::parseKbMappingJson(text, "fuzz.json", report)
                   : pk::advisory::parseKbMappingCsv(text, "fuzz.csv", report);
  if (!rows) {
    require(report.records_loaded == 0 && report.issues.empty());
    return 0;
  }
  require(rows->size() == report.records_loaded);
  require(report.issues.size() == report.records_skipped);
  for (const auto& row : *rows) {
    require(row.cve.rfind("CVE-", 0) == 0);
    require(isDigits(row.kb));
    require(!row.product.empty());
    require(!row.fixed_build.empty());
    if (row.cvss_score) require(*row.cvss_score >= 0 && *row.cvss_score <= 10);
  }
  return 0;
}
