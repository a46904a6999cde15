// Checks parseOsRelease on arbitrary text: the ecosystem always equals
// osvEcosystem(ID, VERSION_ID), a non-empty ecosystem belongs to a known
// family, and parsing twice gives the same result. A violated property
// traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "advisory/ecosystem.h"
#include "inventory/os_release.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const pk::inventory::OsRelease os = pk::inventory::parseOsRelease(text);

  require(os.ecosystem == pk::inventory::osvEcosystem(os.id, os.version_id, os.version_codename));
  if (!os.ecosystem.empty()) {
    require(pk::advisory::schemeForEcosystem(os.ecosystem).has_value());
  }

  const pk::inventory::OsRelease again = pk::inventory::parseOsRelease(text);
  require(again.id == os.id && again.id_like == os.id_like && again.version_id == os.version_id &&
          again.version_codename == os.version_codename && again.pretty_name == os.pretty_name &&
          again.ecosystem == os.ecosystem);
  return 0;
}
