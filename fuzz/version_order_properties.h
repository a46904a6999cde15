#pragma once

// The order properties every version scheme's fuzz target checks. The input
// is split at '\n' into up to three versions. On any input, swapping the
// sides flips the result and a version equals itself; on valid input, the
// checked comparison agrees with the unchecked one and <= is transitive. A
// violated property traps, so libFuzzer records the input.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "version/version.h"

namespace pk::fuzz {

inline void require(bool property) {
  if (!property) __builtin_trap();
}

inline int signOf(std::weak_ordering order) {
  if (order < 0) return -1;
  if (order > 0) return 1;
  return 0;
}

inline int checkVersionOrder(version::Scheme scheme, const std::uint8_t* data, std::size_t size) {
  auto compare_any = [scheme](std::string_view a, std::string_view b) {
    return signOf(version::compareUnchecked(scheme, a, b));
  };

  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view versions[3];
  for (auto& text : versions) {
    std::size_t newline = input.find('\n');
    text = input.substr(0, newline);
    input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  }

  bool all_valid = true;
  for (std::string_view text : versions) {
    all_valid = version::validate(scheme, text).has_value() && all_valid;
  }

  for (std::string_view a : versions) {
    require(compare_any(a, a) == 0);
    for (std::string_view b : versions) require(compare_any(a, b) == -compare_any(b, a));
  }
  if (!all_valid) return 0;

  for (std::string_view a : versions) {
    for (std::string_view b : versions) {
      auto checked = version::compare(scheme, a, b);
      require(checked.has_value());
      require(signOf(*checked) == compare_any(a, b));
      for (std::string_view c : versions) {
        if (compare_any(a, b) <= 0 && compare_any(b, c) <= 0) require(compare_any(a, c) <= 0);
      }
    }
  }
  return 0;
}

}  // namespace pk::fuzz
