#include "common/clock.h"

#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

#include <charconv>
#include <cstdint>
#include <cstdio>

namespace pk {

SystemTime SystemClock::now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

Elapsed SystemClock::elapsed() const {
#ifdef _WIN32
  // GetTickCount64 counts milliseconds since boot, sleep and hibernation
  // included, like CLOCK_BOOTTIME.
  return std::chrono::milliseconds(static_cast<std::int64_t>(GetTickCount64()));
#else
  timespec value{};
  clock_gettime(CLOCK_BOOTTIME, &value);
  return std::chrono::seconds(value.tv_sec) +
         std::chrono::duration_cast<Elapsed>(std::chrono::nanoseconds(value.tv_nsec));
#endif
}

bool ShiftedClock::setShift(Elapsed shift) {
  auto current = shift_.load();
  while (shift.count() >= current) {
    if (shift_.compare_exchange_weak(current, shift.count())) return true;
  }
  return false;
}

std::string formatRfc3339(SystemTime time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss clock(seconds - days);
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(clock.hours().count()),
                int(clock.minutes().count()), int(clock.seconds().count()));
  return text;
}

namespace {

bool readNumber(std::string_view text, std::size_t at, std::size_t width, int& value) {
  if (at + width > text.size()) return false;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  std::from_chars(text.data() + at, text.data() + at + width, value);
  return true;
}

}  // namespace

std::optional<SystemTime> parseRfc3339(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!readNumber(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !readNumber(text, 5, 2, month) || text[7] != '-' || !readNumber(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !readNumber(text, 11, 2, hour) ||
      text[13] != ':' || !readNumber(text, 14, 2, minute) || text[16] != ':' ||
      !readNumber(text, 17, 2, second)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;

  std::size_t at = 19;
  std::chrono::microseconds fraction{0};
  if (at < text.size() && text[at] == '.') {
    ++at;
    std::int64_t scale = 100000;
    const std::size_t digits_start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      fraction += std::chrono::microseconds((text[at] - '0') * scale);
      scale /= 10;
      ++at;
    }
    if (at == digits_start) return std::nullopt;
  }

  std::chrono::minutes offset{0};
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int offset_hours = 0, offset_minutes = 0;
    if (!readNumber(text, at + 1, 2, offset_hours) || at + 3 >= text.size() ||
        text[at + 3] != ':' || !readNumber(text, at + 4, 2, offset_minutes) || offset_hours > 23 ||
        offset_minutes > 59) {
      return std::nullopt;
    }
    offset = std::chrono::hours(offset_hours) + std::chrono::minutes(offset_minutes);
    if (text[at] == '-') offset = -offset;
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;

  const auto seconds = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                       std::chrono::minutes(minute) + std::chrono::seconds(second) - offset;
  return SystemTime(
      std::chrono::duration_cast<std::chrono::microseconds>(seconds.time_since_epoch()) + fraction);
}

}  // namespace pk
