// Feeds arbitrary text to the stored-advisory codec, which reads the
// advisories table back into the matcher. Properties: decoding never
// crashes. Text that decodes re-encodes to text that decodes to the same
// encoding, so encoding is a fixed point after one round. Any advisory the
// OSV reader accepts from the same bytes survives encoding and decoding
// unchanged. A violated property traps.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "advisory/osv.h"
#include "server/advisory_codec.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

void requireStableEncoding(const pk::advisory::Advisory& advisory) {
  std::string text = pk::server::encodeAdvisory(advisory);
  auto decoded = pk::server::decodeAdvisory(text);
  require(decoded.has_value());
  require(pk::server::encodeAdvisory(*decoded) == text);
  require(decoded->id == advisory.id);
  require(decoded->affected.size() == advisory.affected.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto decoded = pk::server::decodeAdvisory(text);
  if (decoded) {
    requireStableEncoding(*decoded);
  } else {
    require(decoded.error().code == pk::ErrorCode::kMalformedInput);
    require(!decoded.error().message.empty());
  }

  pk::advisory::LoadReport report;
  auto parsed = pk::advisory::parseOsvRecord(text, "fuzz.json", report);
  if (parsed) requireStableEncoding(*parsed);
  return 0;
}
