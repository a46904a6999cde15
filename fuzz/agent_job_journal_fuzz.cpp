// Checks the job journal's entry parser on arbitrary text: a parsed entry
// has a well-formed job id, and encoding it and parsing the result again
// must succeed and give the same text. A violated property traps, so
// libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/job_journal.h"
#include "protocol/jobs.h"

namespace {

void require(bool property) {
  if (!property) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto entry = pk::agent::decodeJobEntry(text);
  if (!entry) return 0;
  require(pk::protocol::isJobId(entry->job_id));

  const std::string encoded = pk::agent::encodeJobEntry(*entry);
  auto again = pk::agent::decodeJobEntry(encoded);
  require(again.has_value());
  require(pk::agent::encodeJobEntry(*again) == encoded);
  return 0;
}
