// Feeds arbitrary bytes to the MSRC CVRF reader. A rejected document loads
// nothing and reports nothing. An accepted one returns as many fixes as the
// report counts, and each has a CVE or ADV id, a KB number of digits only and
// a fixed build. A violated property traps.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "advisory/msrc_cvrf.h"

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
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pk::advisory::LoadReport report;
  auto document = pk::advisory::parseMsrcCvrf(text, "fuzz.xml", report);
  if (!document) {
    require(report.records_loaded == 0 && report.issues.empty());
    return 0;
  }
  require(document->fixes.size() == report.records_loaded);
  require(report.issues.size() == report.records_skipped);
  for (const auto& fix : document->fixes) {
    require(fix.cve.rfind("CVE-", 0) == 0 || fix.cve.rfind("ADV", 0) == 0);
    require(isDigits(fix.kb));
    require(!fix.fixed_build.empty());
    for (const auto& kb : fix.supersedes) require(isDigits(kb));
  }
  return 0;
}
