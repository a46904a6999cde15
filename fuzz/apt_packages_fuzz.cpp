// Fuzzes the streaming Packages parser. Checked properties: every reported
// entry has Package, Version, Architecture and a source. Feeding the input
// in two chunks split anywhere gives the same entries as feeding it whole.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "apt/packages_index.h"

namespace {

bool sameEntries(const std::vector<pk::apt::IndexEntry>& a,
                 const std::vector<pk::apt::IndexEntry>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].package != b[i].package || a[i].version != b[i].version ||
        a[i].architecture != b[i].architecture || a[i].source != b[i].source ||
        a[i].source_version != b[i].source_version || a[i].filename != b[i].filename) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // The first byte chooses where the rest is split.
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::size_t split = text.empty() ? 0 : data[0] % (text.size() + 1);

  const auto whole = pk::apt::parsePackages(text);
  for (const auto& entry : whole) {
    if (entry.package.empty() || entry.version.empty() || entry.architecture.empty() ||
        entry.source.empty() || entry.source_version.empty()) {
      std::abort();
    }
  }

  std::vector<pk::apt::IndexEntry> chunked;
  pk::apt::PackagesParser parser(
      [&chunked](pk::apt::IndexEntry&& entry) { chunked.push_back(std::move(entry)); });
  parser.feed(text.substr(0, split));
  parser.feed(text.substr(split));
  parser.finish();
  if (!sameEntries(whole, chunked)) std::abort();
  return 0;
}
