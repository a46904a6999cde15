// Checks parseDpkgStatus on arbitrary text. Every kept package must have a
// name, an installed state, and a version and source version that dpkg
// accepts. Every skipped record must have a reason and a line inside the
// input. Parsing twice must give the same result. A violated property
// traps, so libFuzzer records the input.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "inventory/dpkg_status.h"
#include "version/version.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

bool samePackages(const pk::inventory::ParsedPackages& a, const pk::inventory::ParsedPackages& b) {
  auto same_package = [](const pk::inventory::Package& x, const pk::inventory::Package& y) {
    return x.name == y.name && x.version == y.version && x.architecture == y.architecture &&
           x.source_name == y.source_name && x.source_version == y.source_version &&
           x.state == y.state;
  };
  auto same_skipped = [](const pk::inventory::SkippedRecord& x,
                         const pk::inventory::SkippedRecord& y) {
    return x.file == y.file && x.line == y.line && x.package == y.package && x.reason == y.reason;
  };
  return std::equal(a.packages.begin(), a.packages.end(), b.packages.begin(), b.packages.end(),
                    same_package) &&
         std::equal(a.skipped.begin(), a.skipped.end(), b.skipped.begin(), b.skipped.end(),
                    same_skipped);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = pk::inventory::parseDpkgStatus(text, "status");
  const std::size_t line_count =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;

  for (const auto& package : parsed.packages) {
    require(!package.name.empty());
    require(pk::version::validate(pk::version::Scheme::kDpkg, package.version).has_value());
    require(!package.source_name.empty());
    require(pk::version::validate(pk::version::Scheme::kDpkg, package.source_version).has_value());
    require(pk::inventory::isInstalledState(package.state));
  }
  for (const auto& skipped : parsed.skipped) {
    require(!skipped.reason.empty());
    require(skipped.line >= 1 && skipped.line <= line_count);
  }
  require(samePackages(parsed, pk::inventory::parseDpkgStatus(text, "status")));
  return 0;
}
