// Checks that the semver order is a total preorder on valid versions and
// antisymmetric on any input. The input is split at '\n' into up to three
// versions. A violated property traps, so libFuzzer records the input.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "version/version.h"

namespace {

using pk::version::Scheme;

constexpr Scheme kScheme = Scheme::kSemver;

void require(bool property) {
  if (!property) __builtin_trap();
}

int signOf(std::weak_ordering order) {
  if (order < 0) return -1;
  if (order > 0) return 1;
  return 0;
}

int compareAny(std::string_view a, std::string_view b) {
  return signOf(pk::version::compareUnchecked(kScheme, a, b));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view versions[3];
  for (auto& version : versions) {
    std::size_t newline = input.find('\n');
    version = input.substr(0, newline);
    input = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  }

  bool all_valid = true;
  for (std::string_view version : versions) {
    all_valid = pk::version::validate(kScheme, version).has_value() && all_valid;
  }

  // Any input: swapping the sides flips the result, and a version equals itself.
  for (std::string_view a : versions) {
    require(compareAny(a, a) == 0);
    for (std::string_view b : versions) require(compareAny(a, b) == -compareAny(b, a));
  }
  if (!all_valid) return 0;

  // Valid input: the checked comparison agrees with the unchecked one, and
  // <= is transitive over every ordering of the three versions.
  for (std::string_view a : versions) {
    for (std::string_view b : versions) {
      auto checked = pk::version::compare(kScheme, a, b);
      require(checked.has_value());
      require(signOf(*checked) == compareAny(a, b));
      for (std::string_view c : versions) {
        if (compareAny(a, b) <= 0 && compareAny(b, c) <= 0) require(compareAny(a, c) <= 0);
      }
    }
  }
  return 0;
}
