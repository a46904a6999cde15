#pragma once

// Shared helpers for the table tests of the version schemes.

#include <compare>
#include <ostream>
#include <string_view>

namespace pk::version::testing {

struct OrderCase {
  std::string_view a;
  char expected;  // '<', '=' or '>'
  std::string_view b;
};

inline std::ostream& operator<<(std::ostream& out, const OrderCase& test) {
  return out << test.a << ' ' << test.expected << ' ' << test.b;
}

struct InvalidCase {
  std::string_view version;
  std::string_view rule;  // expected part of the error message
};

inline std::ostream& operator<<(std::ostream& out, const InvalidCase& test) {
  return out << '\'' << test.version << '\'';
}

inline char symbolOf(std::weak_ordering order) {
  if (order < 0) return '<';
  if (order > 0) return '>';
  return '=';
}

inline char mirrored(char symbol) {
  if (symbol == '<') return '>';
  if (symbol == '>') return '<';
  return '=';
}

}  // namespace pk::version::testing
