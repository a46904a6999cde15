// Feeds arbitrary bytes to the feed-format recogniser, which reads the start
// of every file given to `patchkeeper scan --advisories`. It must classify
// any input without crashing, and return the same format for the same bytes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "advisory/feed.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view head(reinterpret_cast<const char*>(data), size);
  auto format = pk::advisory::sniffFeedFormat(head);
  if (pk::advisory::sniffFeedFormat(head) != format) __builtin_trap();
  if (pk::advisory::feedFormatName(format).empty()) __builtin_trap();
  return 0;
}
