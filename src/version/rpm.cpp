#include "version/rpm.h"

#include <cstdint>

#include <fmt/format.h>

#include "version/ascii.h"

namespace pk::version::rpm {
namespace {

using detail::isAlnum;
using detail::isAlpha;
using detail::isDigit;

Error malformed(std::string_view evr, std::string_view rule) {
  return Error{ErrorCode::kMalformedInput,
               fmt::format("invalid rpm version {}: {}", detail::quoted(evr), rule)};
}

// rpmbuild accepts these in Version and Release besides letters and digits
// (it also accepts the macro characters "%{}", which it expands first).
constexpr std::string_view kExtraCharacters = "._+~^";

std::optional<std::string> checkCharacters(std::string_view field, std::string_view name) {
  for (char c : field) {
    if (!isAlnum(c) && kExtraCharacters.find(c) == std::string_view::npos) {
      return fmt::format("invalid character {} in {}", detail::quoted(std::string_view(&c, 1)),
                         name);
    }
  }
  if (field.find("..") != std::string_view::npos) {
    return fmt::format("illegal sequence \"..\" in {}", name);
  }
  return std::nullopt;
}

}  // namespace

Evr split(std::string_view evr) {
  Evr parts;
  std::size_t digits_end = 0;
  while (digits_end < evr.size() && isDigit(evr[digits_end])) ++digits_end;

  // parseEVR() looks for the release separator after the epoch digits.
  std::size_t hyphen = evr.rfind('-');
  if (hyphen != std::string_view::npos && hyphen < digits_end) hyphen = std::string_view::npos;

  std::size_t version_start = 0;
  if (digits_end < evr.size() && evr[digits_end] == ':') {
    parts.epoch = evr.substr(0, digits_end);
    version_start = digits_end + 1;
  }
  if (hyphen != std::string_view::npos) {
    parts.version = evr.substr(version_start, hyphen - version_start);
    parts.release = evr.substr(hyphen + 1);
  } else {
    parts.version = evr.substr(version_start);
  }
  return parts;
}

Result<Evr> parse(std::string_view evr) {
  if (evr.empty()) return tl::unexpected(malformed(evr, "version string is empty"));

  Evr parts = split(evr);
  if (!parts.epoch && evr.find(':') != std::string_view::npos) {
    return tl::unexpected(malformed(evr, "epoch before ':' is not an unsigned number"));
  }
  if (parts.epoch) {
    if (parts.epoch->empty()) return tl::unexpected(malformed(evr, "epoch before ':' is empty"));
    std::string_view digits = *parts.epoch;
    digits.remove_prefix(std::min(digits.find_first_not_of('0'), digits.size()));
    if (detail::compareDigitRuns(digits, "4294967295") > 0) {
      return tl::unexpected(malformed(evr, "epoch does not fit in 32 bits"));
    }
  }
  if (parts.version.empty()) return tl::unexpected(malformed(evr, "version is empty"));
  if (parts.version.find('-') != std::string_view::npos) {
    return tl::unexpected(malformed(evr, "version and release may not contain '-'"));
  }
  if (parts.release && parts.release->empty()) {
    return tl::unexpected(malformed(evr, "release after '-' is empty"));
  }
  if (auto problem = checkCharacters(parts.version, "version")) {
    return tl::unexpected(malformed(evr, *problem));
  }
  if (parts.release) {
    if (auto problem = checkCharacters(*parts.release, "release")) {
      return tl::unexpected(malformed(evr, *problem));
    }
  }
  return parts;
}

std::weak_ordering compareSegments(std::string_view a, std::string_view b) {
  auto is_separator = [](char c) { return !isAlnum(c) && c != '~' && c != '^'; };
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    while (i < a.size() && is_separator(a[i])) ++i;
    while (j < b.size() && is_separator(b[j])) ++j;
    bool more_a = i < a.size();
    bool more_b = j < b.size();

    // '~' sorts before everything, the end of the string included.
    if ((more_a && a[i] == '~') || (more_b && b[j] == '~')) {
      if (!more_a || a[i] != '~') return std::weak_ordering::greater;
      if (!more_b || b[j] != '~') return std::weak_ordering::less;
      ++i;
      ++j;
      continue;
    }

    // '^' sorts after the end of the string but before any other segment.
    if ((more_a && a[i] == '^') || (more_b && b[j] == '^')) {
      if (!more_a) return std::weak_ordering::less;
      if (!more_b) return std::weak_ordering::greater;
      if (a[i] != '^') return std::weak_ordering::greater;
      if (b[j] != '^') return std::weak_ordering::less;
      ++i;
      ++j;
      continue;
    }

    if (!more_a || !more_b) break;

    // The next segment is all digits or all letters, as the first side's
    // first character decides.
    bool numeric = isDigit(a[i]);
    std::size_t end_a = i;
    std::size_t end_b = j;
    if (numeric) {
      while (end_a < a.size() && isDigit(a[end_a])) ++end_a;
      while (end_b < b.size() && isDigit(b[end_b])) ++end_b;
    } else {
      while (end_a < a.size() && isAlpha(a[end_a])) ++end_a;
      while (end_b < b.size() && isAlpha(b[end_b])) ++end_b;
    }

    // Segments of different kinds: the numeric one is newer.
    if (end_b == j) return numeric ? std::weak_ordering::greater : std::weak_ordering::less;

    std::string_view segment_a = a.substr(i, end_a - i);
    std::string_view segment_b = b.substr(j, end_b - j);
    auto result = numeric ? detail::compareDigitRuns(segment_a, segment_b)
                          : detail::compareBytes(segment_a, segment_b);
    if (result != 0) return result;
    i = end_a;
    j = end_b;
  }

  bool done_a = i >= a.size();
  bool done_b = j >= b.size();
  if (done_a && done_b) return std::weak_ordering::equivalent;
  return done_a ? std::weak_ordering::less : std::weak_ordering::greater;
}

std::weak_ordering compare(std::string_view a, std::string_view b) {
  // Equal bytes are the same version, as in rpmvercmp().
  if (a == b) return std::weak_ordering::equivalent;

  Evr evr_a = split(detail::untilNul(a));
  Evr evr_b = split(detail::untilNul(b));

  // A missing or empty epoch counts as 0, as in rpm's parseEVR().
  auto epoch_of = [](const Evr& evr) {
    return evr.epoch && !evr.epoch->empty() ? *evr.epoch : std::string_view("0");
  };
  if (auto result = compareSegments(epoch_of(evr_a), epoch_of(evr_b)); result != 0) {
    return result;
  }
  if (auto result = compareSegments(evr_a.version, evr_b.version); result != 0) return result;

  if (evr_a.release && evr_b.release) return compareSegments(*evr_a.release, *evr_b.release);
  if (evr_a.release) return std::weak_ordering::greater;
  if (evr_b.release) return std::weak_ordering::less;
  return std::weak_ordering::equivalent;
}

}  // namespace pk::version::rpm
