#include "version/windows.h"

#include <fmt/format.h>

#include "version/ascii.h"

namespace pk::version::windows {
namespace {

constexpr std::size_t kMinParts = 3;
constexpr std::size_t kMaxParts = 4;

bool isDigits(std::string_view text) {
  for (char c : text) {
    if (!detail::isDigit(c)) return false;
  }
  return true;
}

// Splits off the part before the next '.', or the whole rest when there is
// none, and advances `rest` past the dot.
std::string_view nextPart(std::string_view& rest) {
  std::size_t dot = rest.find('.');
  std::string_view part = rest.substr(0, dot);
  rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
  return part;
}

// Orders one part of two unchecked versions. Digit runs (an absent part is
// an empty run, worth 0) compare by value and sort before anything else,
// which compares byte-wise. Each branch is antisymmetric, so the whole order
// is too.
std::weak_ordering comparePart(std::string_view a, std::string_view b) {
  bool numeric_a = isDigits(a);
  bool numeric_b = isDigits(b);
  if (numeric_a && numeric_b) return detail::compareDigitRuns(a, b);
  if (numeric_a != numeric_b) {
    return numeric_a ? std::weak_ordering::less : std::weak_ordering::greater;
  }
  return detail::compareBytes(a, b);
}

}  // namespace

Result<Build> parse(std::string_view version) {
  auto reject = [&](std::string_view rule) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("invalid Windows build {}: {}", detail::quoted(version), rule));
  };
  if (version.empty()) return reject("version string is empty");

  std::array<std::uint32_t, kMaxParts> numbers{};
  std::string_view rest = version;
  std::size_t count = 0;
  while (true) {
    bool last = rest.find('.') == std::string_view::npos;
    std::string_view part = nextPart(rest);
    if (count == kMaxParts) {
      return reject("expected major.minor.build[.revision], found more than four parts");
    }
    if (part.empty()) return reject(fmt::format("part {} is empty", count + 1));
    if (!isDigits(part)) {
      return reject(fmt::format("part {} may contain only the digits 0-9", count + 1));
    }

    std::uint64_t value = 0;
    for (char c : part) {
      value = value * 10 + static_cast<std::uint64_t>(c - '0');
      if (value > UINT32_MAX) {
        return reject(fmt::format("part {} is larger than 4294967295", count + 1));
      }
    }
    numbers[count++] = static_cast<std::uint32_t>(value);
    if (last) break;
  }
  if (count < kMinParts) {
    return reject("expected major.minor.build[.revision], found fewer than three parts");
  }
  return Build{numbers[0], numbers[1], numbers[2], numbers[3]};
}

std::weak_ordering compare(std::string_view a, std::string_view b) {
  std::string_view rest_a = detail::untilNul(a);
  std::string_view rest_b = detail::untilNul(b);
  // Runs until both sides are used up; the side that ran out contributes
  // empty parts, which compare as 0.
  while (!rest_a.empty() || !rest_b.empty()) {
    std::string_view part_a = nextPart(rest_a);
    std::string_view part_b = nextPart(rest_b);
    if (auto result = comparePart(part_a, part_b); result != 0) return result;
  }
  return std::weak_ordering::equivalent;
}

}  // namespace pk::version::windows
