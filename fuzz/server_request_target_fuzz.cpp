// Feeds arbitrary request targets to the listener's target parser and
// checks its properties: decoding never makes text longer, and a string
// whose every byte is written as a %XX escape decodes back to itself. A
// violated property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "server/request_target.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  std::string path;
  std::multimap<std::string, std::string> query;
  pk::server::parseTarget(text, path, query);
  require(path.size() <= text.size());
  std::size_t query_bytes = 0;
  for (const auto& [name, value] : query) query_bytes += name.size() + value.size();
  require(path.size() + query_bytes <= text.size());

  std::string escaped;
  for (const char c : text) escaped += fmt::format("%{:02X}", static_cast<unsigned char>(c));
  require(pk::server::percentDecode(escaped, true) == text);
  require(pk::server::percentDecode(escaped, false) == text);
  return 0;
}
