#include "version/dpkg.h"

#include <array>
#include <climits>

#include <fmt/format.h>

#include "version/ascii.h"

namespace pk::version::dpkg {
namespace {

using detail::isAlpha;
using detail::isDigit;

constexpr bool isBlank(char c) {
  return c == ' ' || c == '\t';
}

// The isspace() set that strtol() skips before a number.
constexpr bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

std::string_view trimBlanks(std::string_view text) {
  while (!text.empty() && isBlank(text.front())) text.remove_prefix(1);
  while (!text.empty() && isBlank(text.back())) text.remove_suffix(1);
  return text;
}

struct RawParts {
  bool has_epoch = false;
  std::string_view epoch;
  std::string_view upstream;
  bool has_revision = false;
  std::string_view revision;
};

// Splits as dpkg does: the first ':' ends the epoch and the last '-' starts
// the revision.
RawParts splitRaw(std::string_view text) {
  RawParts parts;
  if (auto colon = text.find(':'); colon != std::string_view::npos) {
    parts.has_epoch = true;
    parts.epoch = text.substr(0, colon);
    text.remove_prefix(colon + 1);
  }
  if (auto hyphen = text.rfind('-'); hyphen != std::string_view::npos) {
    parts.has_revision = true;
    parts.revision = text.substr(hyphen + 1);
    text = text.substr(0, hyphen);
  }
  parts.upstream = text;
  return parts;
}

enum class EpochStatus { kOk, kEmpty, kNotNumber, kNegative, kTooBig };

// Reads the epoch the way dpkg does, with strtol(): optional white space and
// sign, then digits that must run up to the colon.
EpochStatus readEpoch(std::string_view text, std::int64_t& epoch) {
  std::size_t i = 0;
  while (i < text.size() && isSpace(text[i])) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  std::size_t digits_start = i;
  std::int64_t value = 0;
  bool overflow = false;
  for (; i < text.size() && isDigit(text[i]); ++i) {
    if (value > (INT64_MAX - 9) / 10) {
      overflow = true;
    } else {
      value = value * 10 + (text[i] - '0');
    }
  }
  if (i == digits_start) return EpochStatus::kEmpty;
  if (i != text.size()) return EpochStatus::kNotNumber;
  if (negative && (value != 0 || overflow)) return EpochStatus::kNegative;
  if (overflow || value > INT_MAX) return EpochStatus::kTooBig;
  epoch = value;
  return EpochStatus::kOk;
}

// dpkg's character weight: '~' lowest (below the end of the string), then
// the end and digits, then letters, then everything else.
constexpr int order(char c) {
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return static_cast<unsigned char>(c);
  if (c == '~') return -1;
  if (c != '\0') return static_cast<unsigned char>(c) + 256;
  return 0;
}

// order() for every byte, because the comparison loop is hot.
constexpr std::array<int, 256> kWeights = [] {
  std::array<int, 256> weights{};
  for (std::size_t byte = 0; byte < weights.size(); ++byte) {
    weights[byte] = order(static_cast<char>(byte));
  }
  return weights;
}();

int weightAt(const char* position, const char* end) {
  return position != end ? kWeights[static_cast<unsigned char>(*position)] : 0;
}

bool digitAt(const char* position, const char* end) {
  return position != end && isDigit(*position);
}

Error malformed(std::string_view version, std::string_view rule) {
  return Error{ErrorCode::kMalformedInput,
               fmt::format("invalid dpkg version {}: {}", detail::quoted(version), rule)};
}

}  // namespace

Result<Parts> parse(std::string_view version) {
  std::string_view text = trimBlanks(version);
  if (text.empty()) return tl::unexpected(malformed(version, "version string is empty"));
  for (char c : text) {
    if (isBlank(c)) {
      return tl::unexpected(malformed(version, "version string has embedded spaces"));
    }
  }

  RawParts raw = splitRaw(text);
  Parts parts;
  if (raw.has_epoch) {
    switch (readEpoch(raw.epoch, parts.epoch)) {
      case EpochStatus::kOk:
        break;
      case EpochStatus::kEmpty:
        return tl::unexpected(malformed(version, "epoch in version is empty"));
      case EpochStatus::kNotNumber:
        return tl::unexpected(malformed(version, "epoch in version is not number"));
      case EpochStatus::kNegative:
        return tl::unexpected(malformed(version, "epoch in version is negative"));
      case EpochStatus::kTooBig:
        return tl::unexpected(malformed(version, "epoch in version is too big"));
    }
    if (raw.upstream.empty() && !raw.has_revision) {
      return tl::unexpected(malformed(version, "nothing after colon in version number"));
    }
  }
  if (raw.has_revision && raw.revision.empty()) {
    return tl::unexpected(malformed(version, "revision number is empty"));
  }
  if (raw.upstream.empty()) {
    return tl::unexpected(malformed(version, "version number is empty"));
  }
  if (!isDigit(raw.upstream.front())) {
    return tl::unexpected(malformed(version, "version number does not start with digit"));
  }
  for (char c : raw.upstream) {
    if (!isDigit(c) && !isAlpha(c) && std::string_view(".-+~:").find(c) == std::string_view::npos) {
      return tl::unexpected(malformed(version, "invalid character in version number"));
    }
  }
  for (char c : raw.revision) {
    if (!isDigit(c) && !isAlpha(c) && std::string_view(".+~").find(c) == std::string_view::npos) {
      return tl::unexpected(malformed(version, "invalid character in revision number"));
    }
  }

  parts.upstream = raw.upstream;
  parts.revision = raw.revision;
  return parts;
}

std::weak_ordering compareFragment(std::string_view a, std::string_view b) {
  const char* i = a.data();
  const char* j = b.data();
  const char* end_a = i + a.size();
  const char* end_b = j + b.size();
  while (i != end_a || j != end_b) {
    // Non-digit prefixes, character by character in dpkg's weights. A NUL
    // byte weighs as much as the end, so one side may already be at its end.
    while ((i != end_a && !isDigit(*i)) || (j != end_b && !isDigit(*j))) {
      int weight_a = weightAt(i, end_a);
      int weight_b = weightAt(j, end_b);
      if (weight_a != weight_b) return detail::fromSign(weight_a - weight_b);
      if (i != end_a) ++i;
      if (j != end_b) ++j;
    }

    // Digit runs, by value: leading zeros do not count.
    while (i != end_a && *i == '0') ++i;
    while (j != end_b && *j == '0') ++j;
    int first_difference = 0;
    while (digitAt(i, end_a) && digitAt(j, end_b)) {
      if (first_difference == 0) first_difference = *i - *j;
      ++i;
      ++j;
    }
    if (digitAt(i, end_a)) return std::weak_ordering::greater;
    if (digitAt(j, end_b)) return std::weak_ordering::less;
    if (first_difference != 0) return detail::fromSign(first_difference);
  }
  return std::weak_ordering::equivalent;
}

std::weak_ordering compare(std::string_view a, std::string_view b) {
  // Equal bytes are the same version. Matching often compares an installed
  // version with an identical fixed version.
  if (a == b) return std::weak_ordering::equivalent;

  RawParts parts_a = splitRaw(trimBlanks(detail::untilNul(a)));
  RawParts parts_b = splitRaw(trimBlanks(detail::untilNul(b)));

  // A valid epoch is a plain number; anything else (possible only on
  // unchecked input) is ordered by its text so the order stays antisymmetric.
  std::int64_t epoch_a = 0;
  std::int64_t epoch_b = 0;
  bool valid_a = !parts_a.has_epoch || readEpoch(parts_a.epoch, epoch_a) == EpochStatus::kOk;
  bool valid_b = !parts_b.has_epoch || readEpoch(parts_b.epoch, epoch_b) == EpochStatus::kOk;
  if (valid_a && valid_b) {
    if (epoch_a != epoch_b)
      return epoch_a < epoch_b ? std::weak_ordering::less : std::weak_ordering::greater;
  } else if (valid_a != valid_b) {
    return valid_a ? std::weak_ordering::less : std::weak_ordering::greater;
  } else if (auto result = detail::compareBytes(parts_a.epoch, parts_b.epoch); result != 0) {
    return result;
  }

  if (auto result = compareFragment(parts_a.upstream, parts_b.upstream); result != 0) {
    return result;
  }
  return compareFragment(parts_a.revision, parts_b.revision);
}

}  // namespace pk::version::dpkg
