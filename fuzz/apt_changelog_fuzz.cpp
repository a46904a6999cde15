// Fuzzes the Debian changelog parser and CVE id extraction. Checked
// properties: a parsed changelog has at least one entry, each with a source
// and a version. Every CVE id found has the form CVE-YYYY-NNNN+. The ids
// between the oldest and newest entry are a subset of those in all bodies.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "apt/changelog.h"

namespace {

bool isCveId(const std::string& id) {
  if (id.size() < 13 || id.compare(0, 4, "CVE-") != 0 || id[8] != '-') return false;
  for (std::size_t i = 4; i < id.size(); ++i) {
    if (i != 8 && (id[i] < '0' || id[i] > '9')) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  for (const auto& id : pk::apt::findCveIds(text)) {
    if (!isCveId(id)) std::abort();
  }

  auto entries = pk::apt::parseChangelog(text);
  if (!entries) return 0;
  if (entries->empty()) std::abort();

  std::string bodies;
  for (const auto& entry : *entries) {
    if (entry.source.empty() || entry.version.empty()) std::abort();
    bodies += entry.body;
  }
  const auto all_ids = pk::apt::findCveIds(bodies);
  const auto some_ids =
      pk::apt::cveIdsBetween(*entries, entries->back().version, entries->front().version);
  for (const auto& id : some_ids) {
    if (std::find(all_ids.begin(), all_ids.end(), id) == all_ids.end()) std::abort();
  }
  return 0;
}
