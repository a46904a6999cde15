#include "schedule/time_text.h"

#include <cstdint>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

namespace pk::schedule {
namespace {

using std::chrono::seconds;

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly `width` digits at `position`, or nullopt.
std::optional<int> readDigits(std::string_view text, std::size_t position, std::size_t width) {
  if (position + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = position; i < position + width; ++i) {
    if (!isDigit(text[i])) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

Result<date::year_month_day> parseDatePart(std::string_view text, std::string_view whole) {
  auto year = readDigits(text, 0, 4);
  auto month = readDigits(text, 5, 2);
  auto day = readDigits(text, 8, 2);
  if (text.size() != 10 || !year || !month || !day || text[4] != '-' || text[7] != '-') {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("invalid date '{}': expected YYYY-MM-DD, for example 2026-03-10", whole));
  }
  date::year_month_day ymd{date::year{*year}, date::month{static_cast<unsigned>(*month)},
                           date::day{static_cast<unsigned>(*day)}};
  if (!ymd.ok()) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid date '{}': that day does not exist", whole));
  }
  if (*year < kMinYear || *year > kMaxYear) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid date '{}': the year must be between {} and {}", whole,
                            kMinYear, kMaxYear));
  }
  return ymd;
}

// Parses "HH:MM" or "HH:MM:SS" into seconds since midnight.
Result<seconds> parseTimePart(std::string_view text, std::string_view whole) {
  auto hour = readDigits(text, 0, 2);
  auto minute = readDigits(text, 3, 2);
  std::optional<int> second = 0;
  bool shape_ok = (text.size() == 5 || text.size() == 8) && hour && minute && text[2] == ':';
  if (shape_ok && text.size() == 8) {
    second = readDigits(text, 6, 2);
    shape_ok = text[5] == ':' && second.has_value();
  }
  if (!shape_ok) {
    bool has_offset = text.find_first_of("Z+-") != std::string_view::npos;
    return fail(ErrorCode::kInvalidArgument,
                has_offset
                    ? fmt::format("invalid local date-time '{}': give the wall-clock time "
                                  "without a UTC offset or 'Z'; the zone is given separately",
                                  whole)
                    : fmt::format("invalid local date-time '{}': expected "
                                  "YYYY-MM-DDTHH:MM[:SS], for example 2026-03-10T02:00",
                                  whole));
  }
  if (*hour > 23 || *minute > 59 || *second > 59) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid local date-time '{}': the time must be between 00:00:00 "
                            "and 23:59:59",
                            whole));
  }
  return std::chrono::hours(*hour) + std::chrono::minutes(*minute) + seconds(*second);
}

// One number-unit pair reader shared by both length syntaxes. Returns the
// number of seconds, or nullopt on overflow past kMaxLength's range.
std::optional<std::int64_t> unitSeconds(char unit) {
  switch (unit) {
    case 'D':
    case 'd':
      return 86400;
    case 'H':
    case 'h':
      return 3600;
    case 'M':
    case 'm':
      return 60;
    case 'S':
    case 's':
      return 1;
    default:
      return std::nullopt;
  }
}

// Sums number-unit pairs such as "1h30m" (units in `order`, each at most
// once, in that order). Returns nullopt when the text breaks that shape.
std::optional<std::int64_t> sumPairs(std::string_view text, std::string_view order) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t next_unit = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t digits_start = i;
    std::int64_t number = 0;
    while (i < text.size() && isDigit(text[i])) {
      number = number * 10 + (text[i] - '0');
      // Anything this large is far above kMaxLength; stop before overflow.
      if (number > 1'000'000'000) return std::nullopt;
      ++i;
    }
    if (i == digits_start || i == text.size()) return std::nullopt;
    std::size_t unit_index = order.find(text[i], next_unit);
    if (unit_index == std::string_view::npos) return std::nullopt;
    next_unit = unit_index + 1;
    total += number * *unitSeconds(text[i]);
    ++i;
  }
  return total;
}

}  // namespace

Result<date::year_month_day> parseLocalDate(std::string_view text) {
  return parseDatePart(text, text);
}

Result<LocalSeconds> parseLocalDateTime(std::string_view text) {
  if (text.size() < 11 || (text[10] != 'T' && text[10] != ' ')) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid local date-time '{}': expected YYYY-MM-DDTHH:MM[:SS], for "
                            "example 2026-03-10T02:00",
                            text));
  }
  auto date_part = parseDatePart(text.substr(0, 10), text);
  if (!date_part) return tl::unexpected(date_part.error());
  auto time_part = parseTimePart(text.substr(11), text);
  if (!time_part) return tl::unexpected(time_part.error());
  return LocalSeconds{date::local_days{*date_part}.time_since_epoch()} + *time_part;
}

Result<seconds> parseWindowLength(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("invalid window length '{}': {}", text, why));
  };
  if (text.empty()) return invalid("it is empty; give a length such as 4h, 90m or PT4H");
  if (text.front() == '-') return invalid("the length must be positive");

  std::optional<std::int64_t> total;
  if (text.front() == 'P' || text.front() == 'p') {
    // ISO 8601: P[nD][T[nH][nM][nS]]; weeks, months and years are left out
    // because their wall-clock length depends on the calendar.
    std::string_view rest = text.substr(1);
    std::size_t t = rest.find_first_of("Tt");
    std::string_view days = rest.substr(0, t);
    std::string_view time = t == std::string_view::npos ? std::string_view{} : rest.substr(t + 1);
    bool shape_ok =
        !(days.empty() && time.empty()) && !(t != std::string_view::npos && time.empty());
    std::optional<std::int64_t> day_seconds = days.empty() ? 0 : sumPairs(days, "Dd");
    std::optional<std::int64_t> time_seconds = time.empty() ? 0 : sumPairs(time, "HhMmSs");
    if (shape_ok && day_seconds && time_seconds) total = *day_seconds + *time_seconds;
  } else {
    total = sumPairs(text, "dhms");
  }

  if (!total) {
    return invalid("expected a length such as 4h, 90m, 1h30m, 2d, PT4H or P2DT8H");
  }
  if (*total <= 0) return invalid("the length must be positive");
  if (seconds(*total) > kMaxLength) {
    return invalid(fmt::format("the length must be at most {} days", kMaxLength.count() / 86400));
  }
  return seconds(*total);
}

std::string formatLocal(LocalSeconds local) {
  return date::format("%FT%T", local);
}

std::string formatLocalWithOffset(LocalSeconds local, seconds utc_offset) {
  auto magnitude = utc_offset < seconds(0) ? -utc_offset : utc_offset;
  auto hours = magnitude.count() / 3600;
  auto minutes = (magnitude.count() % 3600) / 60;
  return fmt::format("{}{}{:02}:{:02}", formatLocal(local), utc_offset < seconds(0) ? '-' : '+',
                     hours, minutes);
}

std::string formatUtc(SystemTime instant) {
  return date::format("%FT%TZ", std::chrono::floor<seconds>(instant));
}

std::string formatLength(seconds length) {
  if (length == seconds(0)) return "0s";
  std::string text = length < seconds(0) ? "-" : "";
  std::int64_t remaining = std::llabs(length.count());
  const std::pair<char, std::int64_t> units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
  for (auto [unit, size] : units) {
    if (remaining >= size) {
      text += fmt::format("{}{}", remaining / size, unit);
      remaining %= size;
    }
  }
  return text;
}

}  // namespace pk::schedule
