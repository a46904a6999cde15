// Checks parseRpmQueryOutput and parseSourceRpmName on arbitrary text.
// Every package must have a name, a non-empty source and a version that rpm
// accepts. Every skipped record must have a reason and a line inside the
// input. A source rpm name that parses must rebuild the input. A violated
// property traps, so libFuzzer records the input.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "inventory/rpm_query.h"
#include "version/version.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = pk::inventory::parseRpmQueryOutput(text, "rpmdb");
  const std::size_t line_count =
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;

  for (const auto& package : parsed.packages) {
    require(!package.name.empty());
    require(package.name != "gpg-pubkey");
    require(pk::version::validate(pk::version::Scheme::kRpm, package.version).has_value());
    require(!package.source_name.empty());
    require(!package.source_version.empty());
  }
  for (const auto& skipped : parsed.skipped) {
    require(!skipped.reason.empty());
    require(skipped.line >= 1 && skipped.line <= line_count);
  }
  require(parsed.packages.size() + parsed.skipped.size() <= line_count);

  const auto source = pk::inventory::parseSourceRpmName(text);
  if (source) {
    require(!source->name.empty());
    const std::string rebuilt = source->name + "-" + source->version_release;
    require(text.substr(0, rebuilt.size()) == rebuilt);
    require(text.substr(rebuilt.size()) == ".src.rpm" ||
            text.substr(rebuilt.size()) == ".nosrc.rpm");
  }
  return 0;
}
