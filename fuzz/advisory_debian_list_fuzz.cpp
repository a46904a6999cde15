// Feeds arbitrary bytes to parseDebianSecurityList and checks what it
// promises: it never fails, every advisory has a DSA or DLA id matching its
// source and an ISO date, CVE aliases are unique, every fixed version passes
// dpkg's rules, and every issue names its line.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "advisory/debian_lists.h"
#include "advisory/debian_tracker.h"
#include "version/dpkg.h"

namespace {

using pk::advisory::Advisory;
using pk::advisory::RangeEvent;

void require(bool condition) {
  if (!condition) std::abort();
}

bool isIsoDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (std::size_t i = 0; i < date.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (date[i] < '0' || date[i] > '9') return false;
  }
  return true;
}

void checkAdvisory(const Advisory& advisory) {
  std::string_view prefix = std::string_view(advisory.id).substr(0, 4);
  require(prefix == "DSA-" || prefix == "DLA-");
  require(advisory.source ==
          (prefix == "DSA-" ? pk::advisory::kDebianDsaSource : pk::advisory::kDebianDlaSource));
  require(isIsoDate(advisory.published));
  for (auto it = advisory.aliases.begin(); it != advisory.aliases.end(); ++it) {
    require(it->rfind("CVE-", 0) == 0);
    require(std::find(advisory.aliases.begin(), it, *it) == it);
  }
  for (const auto& affected : advisory.affected) {
    require(affected.ecosystem.rfind("Debian:", 0) == 0);
    require(pk::advisory::isValidDebianPackageName(affected.name));
    require(affected.ranges.size() == 1);
    const auto& events = affected.ranges[0];
    require(!events.empty() && events.size() <= 2);
    require(events[0].type == RangeEvent::Type::kIntroduced && events[0].version == "0");
    if (events.size() == 2) {
      require(events[1].type == RangeEvent::Type::kFixed);
      require(pk::version::dpkg::parse(events[1].version).has_value());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pk::advisory::LoadReport report;
  std::size_t sent = 0;
  auto result = pk::advisory::parseDebianSecurityList(
      text, "fuzz/list",
      [&](Advisory&& advisory) {
        checkAdvisory(advisory);
        ++sent;
      },
      report);

  require(result.has_value());
  require(report.records_loaded == sent);
  require(report.records_skipped == report.issues.size());
  for (const auto& issue : report.issues) {
    require(issue.file == "fuzz/list");
    require(!issue.field.empty());
    require(issue.message.rfind("line ", 0) == 0);
  }
  return 0;
}
