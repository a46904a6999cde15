#pragma once

// Locale-independent character classes and small helpers shared by the
// version schemes. Package managers classify bytes as ASCII regardless of
// the locale, and so must we.

#include <algorithm>
#include <compare>
#include <string>
#include <string_view>

namespace pk::version::detail {

constexpr bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool isLower(char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool isUpper(char c) {
  return c >= 'A' && c <= 'Z';
}
constexpr bool isAlpha(char c) {
  return isLower(c) || isUpper(c);
}
constexpr bool isAlnum(char c) {
  return isDigit(c) || isAlpha(c);
}
constexpr bool isHexDigit(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Returns the prefix before the first NUL byte. The reference tools take C
// strings, so a NUL ends the version for them too.
constexpr std::string_view untilNul(std::string_view text) {
  return text.substr(0, text.find('\0'));
}

// Byte-wise order: shared prefix, then the shorter string first.
inline std::weak_ordering compareBytes(std::string_view a, std::string_view b) {
  int result = a.compare(b);
  if (result < 0) return std::weak_ordering::less;
  if (result > 0) return std::weak_ordering::greater;
  return std::weak_ordering::equivalent;
}

// Orders two runs of decimal digits by value, whatever their length.
inline std::weak_ordering compareDigitRuns(std::string_view a, std::string_view b) {
  a.remove_prefix(std::min(a.find_first_not_of('0'), a.size()));
  b.remove_prefix(std::min(b.find_first_not_of('0'), b.size()));
  if (a.size() != b.size()) {
    return a.size() < b.size() ? std::weak_ordering::less : std::weak_ordering::greater;
  }
  return compareBytes(a, b);
}

// Converts a three-way int result to an ordering.
constexpr std::weak_ordering fromSign(int value) {
  if (value < 0) return std::weak_ordering::less;
  if (value > 0) return std::weak_ordering::greater;
  return std::weak_ordering::equivalent;
}

// Quotes `text` for an error message, escaping control bytes.
std::string quoted(std::string_view text);

}  // namespace pk::version::detail
