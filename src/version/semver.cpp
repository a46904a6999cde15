#include "version/semver.h"

#include <fmt/format.h>

#include "version/ascii.h"

namespace pk::version::semver {
namespace {

using detail::isAlnum;
using detail::isDigit;

struct Pieces {
  std::string_view major, minor, patch;
  std::string_view prerelease;  // empty when absent
  bool has_prerelease = false;
  std::string_view build;
  bool has_build = false;
};

// Splits at the first '+' (build) and the first '-' before it (pre-release).
// Never fails; a missing core component comes out empty.
Pieces splitPieces(std::string_view text) {
  Pieces pieces;
  if (auto plus = text.find('+'); plus != std::string_view::npos) {
    pieces.has_build = true;
    pieces.build = text.substr(plus + 1);
    text = text.substr(0, plus);
  }
  if (auto hyphen = text.find('-'); hyphen != std::string_view::npos) {
    pieces.has_prerelease = true;
    pieces.prerelease = text.substr(hyphen + 1);
    text = text.substr(0, hyphen);
  }
  std::string_view* core[] = {&pieces.major, &pieces.minor, &pieces.patch};
  for (std::size_t index = 0; index < 3; ++index) {
    auto dot = text.find('.');
    if (index == 2 || dot == std::string_view::npos) {
      *core[index] = text;
      break;
    }
    *core[index] = text.substr(0, dot);
    text.remove_prefix(dot + 1);
  }
  return pieces;
}

bool isNumeric(std::string_view identifier) {
  if (identifier.empty()) return false;
  for (char c : identifier) {
    if (!isDigit(c)) return false;
  }
  return true;
}

bool isIdentifierCharacter(char c) {
  return isAlnum(c) || c == '-';
}

const char* checkIdentifiers(std::string_view list, bool numeric_without_leading_zero) {
  std::size_t start = 0;
  while (true) {
    std::size_t dot = list.find('.', start);
    std::string_view identifier = list.substr(start, dot - start);
    if (identifier.empty()) return "empty identifier";
    for (char c : identifier) {
      if (!isIdentifierCharacter(c)) return "identifiers may contain only [0-9A-Za-z-]";
    }
    if (numeric_without_leading_zero && isNumeric(identifier) && identifier.size() > 1 &&
        identifier.front() == '0') {
      return "numeric pre-release identifier has a leading zero";
    }
    if (dot == std::string_view::npos) return nullptr;
    start = dot + 1;
  }
}

std::weak_ordering compareIdentifier(std::string_view a, std::string_view b) {
  bool numeric_a = isNumeric(a);
  bool numeric_b = isNumeric(b);
  if (numeric_a && numeric_b) return detail::compareDigitRuns(a, b);
  if (numeric_a != numeric_b)
    return numeric_a ? std::weak_ordering::less : std::weak_ordering::greater;
  return detail::compareBytes(a, b);
}

}  // namespace

Result<void> validate(std::string_view version) {
  auto reject = [&](std::string_view rule) {
    return fail(ErrorCode::kMalformedInput,
                fmt::format("invalid semantic version {}: {}", detail::quoted(version), rule));
  };
  if (version.empty()) return reject("version string is empty");

  Pieces pieces = splitPieces(version);
  std::string_view core = version.substr(0, version.find_first_of("-+"));
  std::size_t dots = 0;
  for (char c : core) dots += c == '.' ? 1U : 0U;
  if (dots != 2) return reject("expected MAJOR.MINOR.PATCH");
  for (std::string_view number : {pieces.major, pieces.minor, pieces.patch}) {
    if (!isNumeric(number)) return reject("MAJOR, MINOR and PATCH must be non-negative integers");
    if (number.size() > 1 && number.front() == '0') {
      return reject("MAJOR, MINOR and PATCH may not have leading zeros");
    }
  }
  if (pieces.has_prerelease) {
    if (const char* problem = checkIdentifiers(pieces.prerelease, true)) {
      return reject(fmt::format("pre-release: {}", problem));
    }
  }
  if (pieces.has_build) {
    if (const char* problem = checkIdentifiers(pieces.build, false)) {
      return reject(fmt::format("build metadata: {}", problem));
    }
  }
  return {};
}

std::weak_ordering compare(std::string_view a, std::string_view b) {
  Pieces pieces_a = splitPieces(detail::untilNul(a));
  Pieces pieces_b = splitPieces(detail::untilNul(b));

  for (auto member : {&Pieces::major, &Pieces::minor, &Pieces::patch}) {
    if (auto result = compareIdentifier(pieces_a.*member, pieces_b.*member); result != 0) {
      return result;
    }
  }

  // A pre-release has lower precedence than the release itself.
  if (pieces_a.has_prerelease != pieces_b.has_prerelease) {
    return pieces_a.has_prerelease ? std::weak_ordering::less : std::weak_ordering::greater;
  }

  std::string_view rest_a = pieces_a.prerelease;
  std::string_view rest_b = pieces_b.prerelease;
  while (!rest_a.empty() && !rest_b.empty()) {
    std::size_t dot_a = rest_a.find('.');
    std::size_t dot_b = rest_b.find('.');
    if (auto result = compareIdentifier(rest_a.substr(0, dot_a), rest_b.substr(0, dot_b));
        result != 0) {
      return result;
    }
    rest_a = dot_a == std::string_view::npos ? std::string_view() : rest_a.substr(dot_a + 1);
    rest_b = dot_b == std::string_view::npos ? std::string_view() : rest_b.substr(dot_b + 1);
  }
  // A longer list of equal identifiers has higher precedence.
  if (rest_a.empty() != rest_b.empty()) {
    return rest_a.empty() ? std::weak_ordering::less : std::weak_ordering::greater;
  }
  return std::weak_ordering::equivalent;
}

}  // namespace pk::version::semver
