// Feeds the window rule parsers arbitrary text and runs a bounded expansion
// of whatever parses. The input is split on newlines into the RRULE, the
// local start, the zone, the length and an offset in days.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "schedule/time_text.h"
#include "schedule/window_rule.h"

namespace {

std::vector<std::string_view> splitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (lines.size() < 5) {
    std::size_t newline = text.find('\n');
    lines.push_back(text.substr(0, newline));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  lines.resize(5);
  return lines;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 4096) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines = splitLines(input);

  // Each parser on its own, on every line, must return a value or an error.
  for (std::string_view line : lines) {
    (void)pk::schedule::parseLocalDateTime(line);
    (void)pk::schedule::parseLocalDate(line);
    (void)pk::schedule::parseWindowLength(line);
  }

  auto start = pk::schedule::parseLocalDateTime(lines[1]);
  auto length = pk::schedule::parseWindowLength(lines[3]);
  if (!start || !length) return 0;
  pk::schedule::WindowDefinition definition;
  definition.rrule = std::string(lines[0]);
  definition.start = *start;
  definition.zone = std::string(lines[2]);
  definition.length = *length;
  definition.offset_days = lines[4].empty() ? 0 : static_cast<int>(lines[4].size() % 61) - 30;

  auto window = pk::schedule::WindowRule::create(std::move(definition));
  if (!window) return 0;

  // A bounded expansion: a few occurrences and the queries a scheduler makes.
  auto from = window->zone().toInstant(*start);
  auto listed = window->firstOccurrences(from, 20);
  if (listed) {
    for (const auto& occurrence : *listed) {
      if (occurrence.end < occurrence.start) __builtin_trap();
      auto open = window->isOpen(occurrence.start);
      if (occurrence.duration().count() > 0 && open && !*open) __builtin_trap();
    }
  }
  (void)window->currentOccurrence(from + std::chrono::hours(30));
  return 0;
}
