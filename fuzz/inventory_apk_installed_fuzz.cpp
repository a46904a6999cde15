// Checks parseApkInstalled on arbitrary text. Every package must have a
// name, a source and a version that apk accepts. Every skipped record must
// have a reason and a line inside the input. Parsing twice must give the
// same packages. A violated property traps, so libFuzzer records the input.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "inventory/apk_installed.h"
#include "version/version.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = pk::inventory::parseApkInstalled(text, "installed");
  const std::size_t line_count =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;

  for (const auto& package : parsed.packages) {
    require(!package.name.empty());
    require(pk::version::validate(pk::version::Scheme::kApk, package.version).has_value());
    require(!package.source_name.empty());
    require(package.source_version == package.version);
  }
  for (const auto& skipped : parsed.skipped) {
    require(!skipped.reason.empty());
    require(skipped.line >= 1 && skipped.line <= line_count);
  }

  const auto again = pk::inventory::parseApkInstalled(text, "installed");
  require(again.packages.size() == parsed.packages.size());
  require(again.skipped.size() == parsed.skipped.size());
  for (std::size_t i = 0; i < parsed.packages.size(); ++i) {
    require(again.packages[i].name == parsed.packages[i].name);
    require(again.packages[i].version == parsed.packages[i].version);
  }
  return 0;
}
