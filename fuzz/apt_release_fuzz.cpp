// Fuzzes the Release/InRelease parser. Checked properties: no crash; a
// parsed release has a Suite or a Codename; stripping the armour of text
// that has none returns it unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "apt/release.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto release = pk::apt::parseRelease(text);
  if (release && release->suite.empty() && release->codename.empty()) std::abort();
  if (release) static_cast<void>(pk::apt::isSecurityArchive(*release));

  if (text.find("-----BEGIN PGP SIGNED MESSAGE-----") == std::string_view::npos) {
    auto stripped = pk::apt::stripPgpArmour(text);
    if (!stripped || *stripped != text) std::abort();
  }
  return 0;
}
