#include "version/apk.h"

#include <array>

#include <fmt/format.h>

#include "version/ascii.h"

namespace pk::version::apk {
namespace {

using detail::isDigit;
using detail::isHexDigit;
using detail::isLower;

// Token kinds in apk's grammar order; the order itself decides which token
// may follow which, and which of two unequal-length versions is newer.
enum class Token {
  kInitialDigit,
  kDigit,
  kLetter,
  kSuffix,
  kSuffixNumber,
  kCommitHash,
  kRevisionNumber,
  kEnd,
  kInvalid,
};

// Suffix ranks; kNone is the release itself, between pre- and post-release.
enum class Suffix { kInvalid, kAlpha, kBeta, kPre, kRc, kNone, kCvs, kSvn, kGit, kHg, kP };

struct SuffixName {
  std::string_view name;
  Suffix suffix;
};

constexpr std::array<SuffixName, 9> kSuffixes{{
    {"alpha", Suffix::kAlpha},
    {"beta", Suffix::kBeta},
    {"pre", Suffix::kPre},
    {"rc", Suffix::kRc},
    {"cvs", Suffix::kCvs},
    {"svn", Suffix::kSvn},
    {"git", Suffix::kGit},
    {"hg", Suffix::kHg},
    {"p", Suffix::kP},
}};

Suffix suffixOf(std::string_view word) {
  for (const auto& entry : kSuffixes) {
    if (entry.name == word) return entry.suffix;
  }
  return Suffix::kInvalid;
}

struct Tokenizer {
  std::string_view rest;
  Token token = Token::kInitialDigit;
  Suffix suffix = Suffix::kInvalid;
  std::string_view value;
  const char* problem = nullptr;  // why the token is kInvalid

  explicit Tokenizer(std::string_view text) : rest(text) { readDigits(); }

  void invalidate(const char* reason) {
    token = Token::kInvalid;
    problem = reason;
  }

  void readDigits() {
    std::size_t length = 0;
    while (length < rest.size() && isDigit(rest[length])) ++length;
    value = rest.substr(0, length);
    rest.remove_prefix(length);
    if (length == 0) invalidate("expected a number");
  }

  // Advances to the next token, checking that it may follow the current one.
  void next() {
    if (rest.empty()) {
      token = Token::kEnd;
      return;
    }
    char c = rest.front();
    if (isLower(c)) {
      if (token > Token::kDigit) return invalidate("a letter may only follow a number");
      value = rest.substr(0, 1);
      rest.remove_prefix(1);
      token = Token::kLetter;
    } else if (c == '.' || isDigit(c)) {
      if (c == '.') {
        if (token > Token::kDigit) return invalidate("'.' may only follow a number");
        rest.remove_prefix(1);
      }
      if (token == Token::kInitialDigit || token == Token::kDigit) {
        token = Token::kDigit;
      } else if (token == Token::kSuffix) {
        token = Token::kSuffixNumber;
      } else {
        return invalidate("a number may not follow a letter or a suffix number");
      }
      readDigits();
    } else if (c == '_') {
      if (token > Token::kSuffixNumber) return invalidate("'_' may not follow a hash or revision");
      rest.remove_prefix(1);
      std::size_t length = 0;
      while (length < rest.size() && isLower(rest[length])) ++length;
      value = rest.substr(0, length);
      rest.remove_prefix(length);
      suffix = suffixOf(value);
      if (suffix == Suffix::kInvalid) {
        return invalidate(
            "unknown suffix; expected _alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg or _p");
      }
      token = Token::kSuffix;
    } else if (c == '~') {
      if (token >= Token::kCommitHash) return invalidate("'~' may appear only once, before -r");
      rest.remove_prefix(1);
      std::size_t length = 0;
      while (length < rest.size() && isHexDigit(rest[length])) ++length;
      value = rest.substr(0, length);
      rest.remove_prefix(length);
      if (length == 0) return invalidate("'~' must be followed by a hexadecimal commit hash");
      token = Token::kCommitHash;
    } else if (c == '-') {
      if (token >= Token::kRevisionNumber) return invalidate("only one -r revision is allowed");
      if (rest.size() < 2 || rest[1] != 'r') return invalidate("'-' must start a -rN revision");
      rest.remove_prefix(2);
      token = Token::kRevisionNumber;
      readDigits();
    } else {
      invalidate("unexpected character");
    }
  }
};

std::weak_ordering compareTokens(const Tokenizer& a, const Tokenizer& b) {
  switch (a.token) {
    case Token::kDigit:
      // A component with a leading zero compares as a string, which orders
      // it like a decimal fraction.
      if (a.value.front() == '0' || b.value.front() == '0') {
        return detail::compareBytes(a.value, b.value);
      }
      return detail::compareDigitRuns(a.value, b.value);
    case Token::kInitialDigit:
    case Token::kSuffixNumber:
    case Token::kRevisionNumber:
      return detail::compareDigitRuns(a.value, b.value);
    case Token::kLetter:
      return detail::compareBytes(a.value, b.value);
    case Token::kSuffix:
      return a.suffix <=> b.suffix;
    default:
      return detail::compareBytes(a.value, b.value);
  }
}

}  // namespace

Result<void> validate(std::string_view version) {
  Tokenizer tokenizer(version);
  while (tokenizer.token < Token::kEnd) tokenizer.next();
  if (tokenizer.token == Token::kEnd) return {};

  std::size_t position = version.size() - tokenizer.rest.size();
  return fail(ErrorCode::kMalformedInput,
              fmt::format("invalid apk version {}: {} at offset {}", detail::quoted(version),
                          tokenizer.problem, position));
}

std::weak_ordering compare(std::string_view a, std::string_view b) {
  Tokenizer token_a(detail::untilNul(a));
  Tokenizer token_b(detail::untilNul(b));
  while (token_a.token == token_b.token && token_a.token < Token::kEnd) {
    if (auto result = compareTokens(token_a, token_b); result != 0) return result;
    token_a.next();
    token_b.next();
  }

  if (token_a.token == token_b.token) return std::weak_ordering::equivalent;

  // Equal so far but one continues: the longer version is newer unless it
  // continues with a pre-release suffix.
  if (token_a.token == Token::kSuffix && token_a.suffix < Suffix::kNone) {
    return std::weak_ordering::less;
  }
  if (token_b.token == Token::kSuffix && token_b.suffix < Suffix::kNone) {
    return std::weak_ordering::greater;
  }
  if (token_a.token > token_b.token) return std::weak_ordering::less;
  if (token_b.token > token_a.token) return std::weak_ordering::greater;
  return std::weak_ordering::equivalent;
}

}  // namespace pk::version::apk
